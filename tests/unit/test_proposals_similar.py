"""Unit tests of Chinese text matching for similar proposals and search."""

import pytest

from app.core.chinese import search_terms, tokens
from app.proposals.similar import rank, similarity


@pytest.mark.parametrize("text, expected", [
    ("", set()),
    ("停车", {"停车"}),
    ("小区停车难", {"小区", "区停", "停车", "车难"}),
    ("加装电梯", {"加装", "装电", "电梯"}),
    ("楼", {"楼"}),
    ("3号楼WiFi信号差", {"3", "号楼", "wifi", "信号", "号差"}),
    ("ＷｉＦｉ５Ｇ，信号", {"wifi5g", "信号"}),  # full-width folded to ASCII
    ("停车！难", {"停车", "难"}),  # punctuation splits runs
    ("snake_case 2025", {"snake", "case", "2025"}),
])
def test_tokens(text, expected):
    assert tokens(text) == expected


@pytest.mark.parametrize("short, long", [("停车", "小区停车难"), ("加装", "加装电梯")])
def test_two_character_words_match_inside_longer_text(short, long):
    assert tokens(short) <= tokens(long)
    assert similarity(short, long) > 0
    assert rank(short, [(1, long)]) and rank(short, [(1, long)])[0][0] == 1


def test_similarity_is_symmetric_and_bounded():
    a, b = "小区停车难", "停车难问题怎么解决"
    assert similarity(a, b) == similarity(b, a)
    assert similarity(a, a) == 1.0
    assert similarity(a, "加装电梯") == 0.0
    assert similarity("", a) == 0.0


def test_common_pairs_do_not_make_proposals_similar():
    assert similarity("小区停车难", "小区绿化差") == 0.0


def test_a_query_of_common_pairs_still_matches():
    assert similarity("小区", "小区绿化差") > 0


def test_rank_orders_best_first_and_drops_unrelated():
    candidates = [
        (1, "小区绿化差"),
        (2, "停车难问题怎么解决，晚上车位不够" + "很长的说明" * 30),
        (3, "加装电梯"),
        (4, "小区停车难"),
    ]
    assert [ident for ident, _ in rank("停车难", candidates)] == [4, 2]


def test_rank_limit_and_min_score():
    candidates = [(i, "加装电梯" + "。" * i) for i in range(10)]
    assert len(rank("加装电梯", candidates, limit=3)) == 3
    assert rank("加装电梯", candidates, min_score=1.01) == []


def test_rank_keeps_candidate_order_on_ties():
    assert [i for i, _ in rank("电梯", [(7, "电梯"), (3, "电梯")])] == [7, 3]


def test_rank_score_is_between_zero_and_one():
    for _, score in rank("电动车充电桩不够", [(1, "加装电动车充电桩"), (2, "电动车充电桩不够")]):
        assert 0 < score <= 1


def test_one_chance_pair_is_not_similar():
    assert rank("电动车充电桩不够用", [(1, "充电宝丢了")]) == []


@pytest.mark.parametrize("query, expected", [
    ("停", ["停"]),
    ("停车", ["停车"]),
    ("小区停车", ["小区", "区停", "停车"]),
    ("停车 停车", ["停车"]),
    ("3号楼 WiFi", ["3", "号楼", "wifi"]),
    ("100%_停车", ["100", "停车"]),
    ("   ", []),
])
def test_search_terms(query, expected):
    assert search_terms(query) == expected


def test_search_terms_are_capped():
    assert len(search_terms("一二三四五六七八九十甲乙丙丁戊己庚辛")) == 12
    assert search_terms("一二三四", max_terms=2) == ["一二", "二三"]
