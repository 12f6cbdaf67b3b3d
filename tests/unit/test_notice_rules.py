"""Pure rules of the notice board: lapsing statuses, Beijing years, rates, text for XML and CSV,
and the SVG charts."""
from datetime import datetime, timedelta
from fractions import Fraction
from xml.etree import ElementTree as ET

import pytest

from app.notice import charts, rules
from app.notice.rules import PostingKind, Status, YearFigures

T = datetime(2026, 3, 1, 12, 0)


# -- statuses that change with the clock -----------------------------------------------------

@pytest.mark.parametrize("now, expected", [
    (T - timedelta(seconds=1), "征集附议中"),
    (T, "已过期"),                        # the instant belongs to the new status
    (T + timedelta(days=30), "已过期"),
])
def test_a_status_lapses_at_its_instant(now, expected):
    assert Status("征集附议中", T, "已过期").at(now) == expected


@pytest.mark.parametrize("until, after", [(None, "已过期"), (T, None), (T, "")])
def test_a_status_without_a_lapse_stays(until, after):
    assert rules.status_at("已办结", until, after, T + timedelta(days=1)) == "已办结"


def test_the_objection_window_is_seven_days_from_publication():
    assert rules.objection_window(T) == (T, T + timedelta(days=7))
    assert rules.objection_window(None) is None


# -- kinds ---------------------------------------------------------------------------------

def test_every_kind_has_a_chinese_label_and_parses_from_its_value():
    for kind in PostingKind:
        assert rules.parse_kind(kind.value) is kind and kind.label
    assert rules.parse_kind("drafts") is None and rules.parse_kind(None) is None
    assert [k for k in PostingKind if k.is_matter] == [PostingKind.resolution, PostingKind.result]


# -- Beijing years -----------------------------------------------------------------------------

@pytest.mark.parametrize("utc, year", [
    (datetime(2025, 12, 31, 15, 59, 59), 2025),
    (datetime(2025, 12, 31, 16, 0, 0), 2026),   # midnight in Beijing
    (datetime(2026, 6, 1), 2026),
    (None, None),
])
def test_local_year(utc, year):
    assert rules.local_year(utc) == year


def test_year_range_is_the_beijing_year_in_utc():
    start, end = rules.year_range(2026)
    assert start == datetime(2025, 12, 31, 16, 0) and end == datetime(2026, 12, 31, 16, 0)
    assert rules.local_year(start) == 2026 and rules.local_year(end) == 2027
    assert rules.local_year(end - timedelta(microseconds=1)) == 2026


@pytest.mark.parametrize("value, expected", [
    ("2024", 2024), ("2027", 2027), ("2028", 2026), ("1999", 2026), ("abc", 2026), (None, 2026),
])
def test_clamp_year(value, expected):
    assert rules.clamp_year(value, datetime(2026, 5, 1)) == expected


def test_local_month():
    assert rules.local_month(datetime(2026, 1, 31, 16, 0)) == 2
    assert rules.local_month(datetime(2026, 1, 31, 15, 59)) == 1


# -- rates -------------------------------------------------------------------------------------

@pytest.mark.parametrize("part, whole, expected", [
    (0, 0, None), (3, 0, None), (0, 4, Fraction(0)), (3, 4, Fraction(3, 4)), (4, 4, Fraction(1)),
])
def test_rate(part, whole, expected):
    assert rules.rate(part, whole) == expected


@pytest.mark.parametrize("part, whole", [(5, 4), (-1, 4)])
def test_a_rate_outside_its_whole_is_a_bug(part, whole):
    with pytest.raises(ValueError):
        rules.rate(part, whole)


@pytest.mark.parametrize("value, digits, expected", [
    (None, 0, "—"), (Fraction(0), 0, "0%"), (Fraction(1), 0, "100%"), (Fraction(3, 4), 0, "75%"),
    (Fraction(1, 200), 0, "1%"),          # exactly half rounds up
    (Fraction(1, 201), 0, "0%"),
    (Fraction(2, 3), 0, "67%"), (Fraction(2, 3), 1, "66.7%"), (Fraction(1, 3), 2, "33.33%"),
])
def test_percent(value, digits, expected):
    assert rules.percent(value, digits) == expected


def test_percent_number():
    assert rules.percent_number(None) is None
    assert rules.percent_number(Fraction(2, 3)) == 66.7


def test_year_figures_add_up_and_give_their_rates():
    a = YearFigures(received=4, accepted=3, answered=2, answered_on_time=1, rated=2, satisfied=1,
                    basically_satisfied=1, meetings_held=1, attendance_expected=10, attendance_present=8)
    b = YearFigures(received=1, unsatisfied=1, rated=1, matters_decided=2)
    total = a + b
    assert total.received == 5 and total.rated == 3 and total.matters_decided == 2
    assert total.acceptance_rate == Fraction(3, 5)
    assert total.on_time_rate == Fraction(1, 2)
    assert total.satisfaction_rate == Fraction(2, 3)
    assert total.attendance_rate == Fraction(4, 5)
    empty = YearFigures()
    assert empty.on_time_rate is None and empty.satisfaction_rate is None and empty.attendance_rate is None


def test_matters_unknown_stay_unknown_in_a_sum():
    assert (YearFigures(matters_decided=None) + YearFigures(matters_decided=3)).matters_decided is None


# -- text --------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, clean", [
    ("正常文字", "正常文字"), ("a\x00b\x08c\x0bd\x0ce\x1ff", "abcdef"), ("行一\n行二\t制表\r", "行一\n行二\t制表\r"),
    ("\ufffe\uffff", ""), (None, ""),
])
def test_xml_safe(raw, clean):
    assert rules.xml_safe(raw) == clean


@pytest.mark.parametrize("markdown, length, expected", [
    ("# 标题\n\n- 第一项：[链接](http://x.cn)\n- **加粗**，2026-01-01", 200, "标题 第一项：链接 加粗 ，2026-01-01"),
    ("一二三四五六七八九十", 5, "一二三四…"),
    ("一二三四五", 5, "一二三四五"),
    ("", 10, ""),
])
def test_plain_excerpt(markdown, length, expected):
    assert rules.plain_excerpt(markdown, length) == expected


@pytest.mark.parametrize("value, cell", [
    ("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("-1", "'-1"), ("@cmd", "'@cmd"), ("停车", "停车"),
    (12, "12"), (None, ""), ("", ""),
])
def test_csv_cells_never_start_a_formula(value, cell):
    assert rules.csv_cell(value) == cell


# -- charts --------------------------------------------------------------------------------------

def _svg(markup):
    return ET.fromstring(markup)


def test_grouped_bars_are_valid_svg_with_a_title_and_no_inline_style():
    markup = charts.grouped_bars("c1", "每月提案 <2026>", "收到 & 答复",
                                 ["1月", "2月", "3月"], [("收到", [4, 0, 10], "bar-received"),
                                                       ("答复", [1, 2, 3], "bar-answered")])
    svg = _svg(markup)
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "c1-title c1-desc"
    assert svg.find(f"{ns}title").text == "每月提案 <2026>"
    assert "style=" not in markup
    bars = [r for r in svg.iter(f"{ns}rect") if r.get("class") == "bar-received" and r.find(f"{ns}title") is not None]
    heights = [float(r.get("height")) for r in bars]
    assert heights[1] == 0 and heights[2] > heights[0] > 0
    assert heights[2] == pytest.approx(240 - 34 - 30)   # 10 on an axis topped at 10: the whole plot


def test_grouped_bars_of_nothing_still_draw_an_axis():
    svg = _svg(charts.grouped_bars("c2", "空", "无", ["1月"], [("收到", [0], "bar-received")]))
    ticks = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "chart-tick"]
    assert ticks == ["0", "0.5", "1"]


@pytest.mark.parametrize("top, nice", [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (120, 200), (500, 500)])
def test_axis_tops_are_round(top, nice):
    assert charts._nice_max(top) == nice


def test_percent_bars_scale_and_say_when_there_is_no_data():
    markup = charts.percent_bars("r", "比率", "说明", [("满意率", Fraction(1, 2)), ("出席率", None)])
    svg = _svg(markup)
    ns = "{http://www.w3.org/2000/svg}"
    bar = next(r for r in svg.iter(f"{ns}rect") if r.get("class") == "chart-bar")
    track = next(r for r in svg.iter(f"{ns}rect") if r.get("class") == "chart-track")
    assert float(bar.get("width")) == pytest.approx(float(track.get("width")) / 2)
    texts = [t.text for t in svg.iter(f"{ns}text")]
    assert "50%" in texts and "无数据" in texts
