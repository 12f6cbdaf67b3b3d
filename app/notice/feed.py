"""Open formats of the board: the Atom feed and the CSV downloads (UTF-8 with a BOM for Excel)."""
import csv
import io
from datetime import timezone
from xml.etree import ElementTree as ET

from app.core import locale
from app.core.timeutil import format_local
from app.notice import rules

ATOM_NS = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM_NS)

LIST_COLUMNS = ["类型代码", "类型", "编号", "社区", "标题", "类别", "状态", "发布时间", "更新时间", "网址"]
STATS_COLUMNS = [
    ("community_id", "社区编号"), ("community", "社区"), ("year", "年份"),
    ("received", "收到提案"), ("accepted", "立案"), ("acceptance_rate", "立案率(%)"),
    ("answered", "已答复"), ("answered_on_time", "按时答复"), ("on_time_rate", "按时答复率(%)"),
    ("rated", "已评价"), ("satisfied", "满意"), ("basically_satisfied", "基本满意"),
    ("unsatisfied", "不满意"), ("satisfaction_rate", "满意率(%)"),
    ("matters_decided", "决定事项"), ("meetings_held", "召开会议"),
    ("attendance_expected", "应出席人次"), ("attendance_present", "实出席人次"),
    ("attendance_rate", "出席率(%)"),
]


def rfc3339(dt):
    return dt.replace(tzinfo=timezone.utc, microsecond=0).isoformat().replace("+00:00", "Z")


def _el(parent, tag, text=None, **attrs):
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: rules.xml_safe(str(v)) for k, v in attrs.items()})
    if text is not None:
        element.text = rules.xml_safe(str(text))
    return element


def atom(*, title, feed_url, board_url, entries, now):
    """An Atom 1.0 document. `entries`: dicts with title, url, published_dt, updated_dt, summary,
    category and community."""
    feed = ET.Element(f"{{{ATOM_NS}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": locale.html_lang()})
    _el(feed, "title", title)
    _el(feed, "id", feed_url)
    _el(feed, "updated", rfc3339(max((e["updated_dt"] for e in entries), default=now)))
    _el(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    _el(feed, "link", rel="alternate", type="text/html", href=board_url)
    author = _el(feed, "author")
    _el(author, "name", "议事 · 公开栏")
    _el(feed, "generator", "Yishi")
    for e in entries:
        entry = _el(feed, "entry")
        _el(entry, "title", e["title"])
        _el(entry, "id", e["url"])
        _el(entry, "link", rel="alternate", type="text/html", href=e["url"])
        _el(entry, "published", rfc3339(e["published_dt"]))
        _el(entry, "updated", rfc3339(e["updated_dt"]))
        _el(entry, "category", term=e["kind"], label=e["kind_label"])
        if e.get("category"):
            _el(entry, "category", term=e["category"])
        summary = f"【{e['kind_label']}】{e['community']} · {e['status']}"
        if e.get("summary"):
            summary += f"：{e['summary']}"
        _el(entry, "summary", summary)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")


def _csv_bytes(header, rows):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([rules.csv_cell(v) for v in row])
    # The BOM tells Excel the file is UTF-8; without it Chinese opens as mojibake.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def list_csv(entries):
    return _csv_bytes(LIST_COLUMNS, (
        [e["kind"], e["kind_label"], e["source_id"], e["community"], e["title"], e["category"],
         e["status"], format_local(e["published_dt"]), format_local(e["updated_dt"]), e["url"]]
        for e in entries))


def stats_csv(rows):
    """`rows`: dicts with every key of STATS_COLUMNS."""
    return _csv_bytes([label for _, label in STATS_COLUMNS],
                      ([row.get(key) for key, _ in STATS_COLUMNS] for row in rows))
