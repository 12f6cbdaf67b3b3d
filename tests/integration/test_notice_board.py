"""The public notice board (公开栏) through its pages: what shows, what never shows, filters, Chinese
search, paging, items, print sheets, the feed, the CSV downloads and conditional GET."""
import csv
import io
import re
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from flask import g

from app.core.timeutil import utcnow
from app.meetings import live
from app.meetings import operations as meetings
from app.notice import index
from app.notice import operations as notices
from app.notice.models import NoticePosting
from app.proposals import operations as proposals
from app.proposals import drafts
from app.proposals.models import ProposalSettings
from tests.conftest import login

ATOM = "{http://www.w3.org/2005/Atom}"


class World:
    pass


@pytest.fixture(autouse=True)
def settled(db):
    """Check-ins and hall entries start the room's presence and progress messages in background
    threads that read the database a moment later: let them finish before the tables are emptied."""
    import time

    from app.meetings import live as meeting_live
    from app.votes import operations as vote_ops

    yield
    deadline = time.monotonic() + 5
    while (getattr(meeting_live, "_presence_pending", None) or getattr(vote_ops, "_progress_pending", None)) \
            and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture()
def board(make, db):
    """Two communities with something of every kind, published and unpublished."""
    from app.community.models import HandlerKind, HandlerMember, HandlerOrg

    w = World()
    w.c = make.community("阳光社区")
    w.other = make.community("月亮社区")
    w.admin = make.user(w.c, name="李管理员", roles=["admin"])
    w.staff = make.user(w.c, name="王书记", roles=["staff"])
    w.author = make.user(w.c, name="张阿姨")
    w.neighbours = [make.user(w.c, name=f"邻居{i}", room=f"20{i}", password=None) for i in range(3)]
    w.outsider = make.user(w.other, name="外人")
    w.other_admin = make.user(w.other, name="月亮管理员", roles=["admin"])
    w.org = HandlerOrg(street=w.c.street, community=w.c, kind=HandlerKind.PROPERTY, name="阳光物业")
    w.handler = make.user(None, name="物业小陈", password=None)
    db.session.add(w.org)
    db.session.add(HandlerMember(org=w.org, user=w.handler))
    db.session.add_all([ProposalSettings(community_id=w.c.id, cosign_threshold=2, window_days=14,
                                         review_days=7, reply_days=30, rehandle_days=15,
                                         categories_text="停车交通\n设施维修\n环境卫生")])
    db.session.commit()

    def draft(title, category="停车交通", problem="晚上车辆乱停，消防通道经常被堵住。"):
        p = drafts.create_draft(w.author, w.c, title=title, category=category, problem=problem,
                                   suggestion="划线并安排夜间巡查。", place="东门")
        db.session.commit()
        return p

    w.p_draft = draft("草稿里的楼道灯问题", "设施维修", "楼道灯坏了很久，晚上看不见台阶。")
    w.p_secret = draft("撤回的草稿不应公开", "环境卫生", "这是一份从未发布就撤回的草稿。")
    proposals.withdraw(w.author, w.p_secret)
    db.session.commit()
    w.p_parking = draft("小区停车难，晚上车辆乱停")
    proposals.publish(w.author, w.p_parking)
    db.session.commit()
    w.p_lift = draft("3号楼加装电梯", "设施维修", "3 号楼是 7 层老楼，老人上下楼非常困难。")
    proposals.publish(w.author, w.p_lift)
    db.session.commit()
    for n in w.neighbours[:2]:
        proposals.cosign(n, w.p_lift)
        db.session.commit()
    proposals.accept(w.staff, w.p_lift)
    proposals.assign(w.staff, w.p_lift, w.org.id)
    db.session.commit()
    proposals.answer(w.handler, w.p_lift, "B", "已申请加装电梯补贴，正在征求全楼住户意见。")
    db.session.commit()
    proposals.rate(w.author, w.p_lift, "satisfied")
    db.session.commit()

    body = w.c.body_by_preset("representatives_assembly")
    w.chair = make.user(w.c, name="刘主任", password=None)
    make.member(body, w.chair, role="chair")
    w.members = [make.user(w.c, name=f"代表{i}", building="5", room=f"50{i}", password=None) for i in range(3)]
    for m in w.members:
        make.member(body, m)

    def meeting(title, days):
        start = utcnow() + timedelta(days=days)
        m = meetings.create_meeting(w.chair, body, title=title, start_dt=start, place="社区活动中心")
        meetings.add_item(w.chair, m, title="讨论夜间停车管理办法", description="物业通报试行情况。")
        db.session.commit()
        return m

    w.m_draft = meeting("尚未通知的草稿会议", 10)
    w.m_announced = meeting("第四季度居民代表会议", 10)
    meetings.announce(w.chair, w.m_announced, now=w.m_announced.start_dt - timedelta(days=20),
                      notice_text="请各位代表准时参会。")
    db.session.commit()
    w.m_ended = meeting("第三季度居民代表会议", 0)   # due now: it may start
    meetings.announce(w.chair, w.m_ended, now=w.m_ended.start_dt - timedelta(days=20))
    meetings.start(w.chair, w.m_ended)
    for m in [w.chair] + w.members[:2]:
        live.check_in(w.chair, w.m_ended, m.id)
    db.session.commit()
    from app.votes import operations as votes

    vote = votes.open_vote(w.chair, w.m_ended, title="通过夜间停车管理办法")
    db.session.commit()
    votes.enter_hall_votes(w.chair, vote, entries={w.chair.id: "yes", w.members[0].id: "yes",
                                                   w.members[1].id: "no"})
    db.session.commit()
    votes.close_vote(w.chair, vote)
    db.session.commit()
    meetings.end_meeting(w.chair, w.m_ended)
    db.session.commit()

    w.n_draft = notices.create(w.admin, w.c, title="还没发布的公告草稿", category="居务公开",
                               body="这份草稿不应出现在公开栏上。")
    w.n_finance = notices.create(w.admin, w.c, title="2026 年第三季度社区财务收支公开", category="财务公开",
                                 body="## 收入\n\n| 项目 | 金额 |\n| --- | --- |\n| 上级拨款 | 12,000 元 |\n\n"
                                      "<script>alert(1)</script>支出明细见附表。",
                                 publish_now=True)
    w.n_other = notices.create(w.other_admin, w.other, title="月亮社区垃圾分类新规", category="居务公开",
                               body="下周起实行定时定点投放，请居民配合。", publish_now=True)
    db.session.commit()
    return w


def text(response):
    return response.get_data(as_text=True)


PUBLISHED = ["小区停车难，晚上车辆乱停", "3号楼加装电梯", "第四季度居民代表会议", "第三季度居民代表会议",
             "2026 年第三季度社区财务收支公开", "月亮社区垃圾分类新规"]
UNPUBLISHED = ["草稿里的楼道灯问题", "撤回的草稿不应公开", "尚未通知的草稿会议", "还没发布的公告草稿"]


def titles(response):
    return re.findall(r'<h2 class="posting-title"><a href="[^"]+">([^<]+)</a></h2>', text(response))


# -- what shows ----------------------------------------------------------------------------------

def test_the_board_shows_everything_published_and_nothing_else(client, board):
    response = client.get("/notice/")
    assert response.status_code == 200
    shown = titles(response)
    assert sorted(shown) == sorted(PUBLISHED)
    page = text(response)
    for title in UNPUBLISHED:
        assert title not in page
    assert "共 6 条" in page
    # The status of each kind in words, and a link to each item's stable address.
    assert "已办结" in page and "征集附议中" in page and "已通知" in page and "已结束" in page
    assert f'href="/notice/proposal/{board.p_lift.id}"' in page
    assert f'href="/notice/meeting/{board.m_ended.id}"' in page


def test_unpublished_items_answer_404_at_every_address(client, board):
    for kind, ident in [("proposal", board.p_draft.id), ("proposal", board.p_secret.id),
                        ("meeting", board.m_draft.id), ("general", board.n_draft.id),
                        ("general", 999999), ("nonsense", board.p_lift.id)]:
        assert client.get(f"/notice/{kind}/{ident}").status_code == 404, (kind, ident)
        assert client.get(f"/notice/{kind}/{ident}/print").status_code == 404, (kind, ident)
        assert client.get(f"/api/v1/notices/{kind}/{ident}").status_code == 404, (kind, ident)


SEARCHES = [
    ({"kind": "proposal"}, ["小区停车难，晚上车辆乱停", "3号楼加装电梯"]),
    ({"kind": "meeting"}, ["第四季度居民代表会议", "第三季度居民代表会议"]),
    ({"kind": "general"}, ["2026 年第三季度社区财务收支公开", "月亮社区垃圾分类新规"]),
    ({"category": "设施维修"}, ["3号楼加装电梯"]),
    ({"category": "财务公开"}, ["2026 年第三季度社区财务收支公开"]),
    ({"q": "停车"}, ["小区停车难，晚上车辆乱停", "第四季度居民代表会议", "第三季度居民代表会议"]),
    ({"q": "加装电梯"}, ["3号楼加装电梯"]),
    ({"q": "电梯 补贴"}, ["3号楼加装电梯"]),       # a word of the reply finds the proposal
    ({"q": "梯"}, ["3号楼加装电梯"]),              # one character
    ({"q": "３号楼"}, ["3号楼加装电梯"]),           # full-width digits match ASCII ones
    ({"q": "垃圾分类"}, ["月亮社区垃圾分类新规"]),
    ({"q": "火箭发射"}, []),
    ({"q": "停车", "kind": "proposal"}, ["小区停车难，晚上车辆乱停"]),
]


def test_filters_and_chinese_search(client, board):
    for query, expected in SEARCHES:
        assert sorted(titles(client.get("/notice/", query_string=query))) == sorted(expected), query
    # The filters shown are the board's own: its categories and years.
    page = text(client.get("/notice/?kind=proposal"))
    # A proposal's category is the community's own words (content); a notice's is the board's.
    assert '<option data-uc value="设施维修">设施维修</option>' in page
    assert 'value="财务公开"' not in page
    assert '<option value="财务公开">' in text(client.get("/notice/?kind=general"))


def test_community_and_year_filters(client, board):
    this_year = utcnow().year
    mine = titles(client.get("/notice/", query_string={"community": board.other.id}))
    assert mine == ["月亮社区垃圾分类新规"]
    assert len(titles(client.get("/notice/", query_string={"year": this_year}))) == 6 or \
        utcnow().month == 12  # (a year boundary in Beijing may fall in the last hours of UTC)
    assert titles(client.get("/notice/", query_string={"year": 2001})) == []
    # The community's short address is its filtered board; odd filters are ignored, not errors.
    short = client.get(f"/c/{board.other.id}/notice")
    assert short.status_code == 302 and f"community={board.other.id}" in short.headers["Location"]
    assert client.get("/c/999999/notice").status_code == 404
    assert client.get("/notice/?community=x&year=abc&kind=nope&page=-3").status_code == 200


def test_pages_of_twenty(client, board, db):
    for i in range(20):
        notices.create(board.admin, board.c, title=f"第 {i} 号通知：停水安排", category="服务公开",
                       body="本周三上午九点至十二点停水，请提前储水。", publish_now=True)
    db.session.commit()
    first = client.get("/notice/")
    assert len(titles(first)) == 20 and "第 1 / 2 页" in text(first)
    second = client.get("/notice/?page=2")
    assert len(titles(second)) == 6
    assert set(titles(first)).isdisjoint(titles(second))
    assert "第 19 号通知：停水安排" == titles(first)[0]  # newest first
    searched = client.get("/notice/", query_string={"q": "停水", "page": 2})
    assert len(titles(searched)) == 0 or "第 2 / 2 页" not in text(searched)  # one page of 20 exactly


# -- items -----------------------------------------------------------------------------------------

def test_a_proposal_item_shows_status_reply_rating_and_trail(client, board):
    page = text(client.get(f"/notice/proposal/{board.p_lift.id}"))
    assert "3号楼加装电梯" in page and "已办结" in page
    assert "已申请加装电梯补贴" in page and "B 正在解决或已列入计划" in page
    assert "提案人评价：<strong>满意</strong>" in page
    assert "办理过程" in page and "立案" in page and "交办" in page
    assert "阳光物业" in page
    assert f"/c/{board.c.id}/proposals/{board.p_lift.id}" in page  # the proposal's own page


def test_a_meeting_item_shows_the_notice_then_the_outcome_and_minutes(client, board):
    announced = text(client.get(f"/notice/meeting/{board.m_announced.id}"))
    assert "请各位代表准时参会" in announced and "讨论夜间停车管理办法" in announced
    assert "会议纪要" not in announced and "会议结果" not in announced
    ended = text(client.get(f"/notice/meeting/{board.m_ended.id}"))
    assert "应到 4 人，实到 3 人" in ended
    assert "通过夜间停车管理办法" in ended and "选票哈希链头" in ended
    assert "会议纪要" in ended and "现场出席" in ended


def test_a_general_notice_is_markdown_through_the_sanitiser(client, board):
    page = text(client.get(f"/notice/general/{board.n_finance.id}"))
    assert "<table>" in page and "上级拨款" in page
    assert "<script>alert" not in page


def test_the_print_sheet_is_a4_with_a_qr_code_to_the_page(client, board):
    response = client.get(f"/notice/proposal/{board.p_lift.id}/print")
    page = text(response)
    assert response.status_code == 200
    assert "notice-print.css" in page and '<svg class="qr" role="img"' in page
    assert f"http://localhost/notice/proposal/{board.p_lift.id}" in page
    assert "site-header" not in page      # no site frame on the sheet
    assert "style=" not in page           # the CSP forbids inline styles
    css = client.get("/static/css/notice-print.css")
    assert b"size: A4" in css.data
    css.close()


def test_public_base_url_is_used_for_printed_addresses(app, client, board):
    app.config["PUBLIC_BASE_URL"] = "https://yishi.example.cn"
    try:
        page = text(client.get(f"/notice/general/{board.n_finance.id}/print"))
    finally:
        app.config["PUBLIC_BASE_URL"] = ""
    assert f"https://yishi.example.cn/notice/general/{board.n_finance.id}" in page


# -- feed and downloads ----------------------------------------------------------------------------

def test_the_atom_feed_parses_and_holds_what_was_published(client, board):
    response = client.get("/notice/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    got = sorted(e.find(f"{ATOM}title").text for e in entries)
    assert got == sorted(PUBLISHED)
    for e in entries:
        assert e.find(f"{ATOM}id").text.startswith("http://localhost/notice/")
        assert e.find(f"{ATOM}updated").text.endswith("Z")
        assert e.find(f"{ATOM}link").get("href") == e.find(f"{ATOM}id").text
    assert root.find(f"{ATOM}updated") is not None and root.find(f"{ATOM}author") is not None
    only = ET.fromstring(client.get(f"/notice/feed.atom?kind=meeting&community={board.c.id}").data)
    assert sorted(e.find(f"{ATOM}title").text for e in only.findall(f"{ATOM}entry")) == \
        ["第三季度居民代表会议", "第四季度居民代表会议"]


def test_the_feed_survives_control_characters_in_user_text(client, board, db):
    notices.create(board.admin, board.c, title="含控制字符\x0b的标题", category="其他",
                   body="正文里有\x01控制字符\x1f。", publish_now=True)
    db.session.commit()
    root = ET.fromstring(client.get("/notice/feed.atom").data)
    assert any(e.find(f"{ATOM}title").text.startswith("含控制字符") for e in root.findall(f"{ATOM}entry"))


def test_the_csv_download_opens_in_excel_and_holds_what_was_published(client, board):
    response = client.get("/notice/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert sorted(r["标题"] for r in rows) == sorted(PUBLISHED)
    lift = next(r for r in rows if r["标题"] == "3号楼加装电梯")
    assert lift["类型代码"] == "proposal" and lift["状态"] == "已办结" and lift["社区"] == "阳光社区"
    assert lift["网址"] == f"http://localhost/notice/proposal/{board.p_lift.id}"
    filtered = client.get("/notice/export.csv", query_string={"q": "垃圾"}).data.decode("utf-8-sig")
    assert [r["标题"] for r in csv.DictReader(io.StringIO(filtered))] == ["月亮社区垃圾分类新规"]


def test_csv_cells_cannot_run_as_formulas(client, board, db):
    notices.create(board.admin, board.c, title="=HYPERLINK(\"http://x\")标题", category="其他",
                   body="公式注入的测试内容。", publish_now=True)
    db.session.commit()
    rows = list(csv.reader(io.StringIO(client.get("/notice/export.csv").data.decode("utf-8-sig"))))
    assert any(r[4].startswith("'=HYPERLINK") for r in rows)


# -- conditional GET --------------------------------------------------------------------------------

CONDITIONAL = ["/notice/", "/notice/?kind=proposal&q=停车", "/notice/stats", "/notice/feed.atom",
               "/notice/export.csv", "/notice/stats.csv", "/api/v1/notices", "/api/v1/notices/stats",
               "/api/v1/notices?q=停车"]


def test_conditional_get_answers_304_until_the_board_changes(client, board, db):
    etags = {}
    for path in CONDITIONAL:
        first = client.get(path)
        assert first.status_code == 200 and first.headers["ETag"], path
        assert "no-cache" in first.headers["Cache-Control"], path
        etags[path] = first.headers["ETag"]
        again = client.get(path, headers={"If-None-Match": etags[path]})
        assert again.status_code == 304 and again.data == b"", path
    # Something new is published: every one of these questions gets a new answer.
    fresh = drafts.create_draft(board.author, board.c, title="东门停车位重新划线", category="停车交通",
                                   problem="东门附近停车位的线已经看不清了。", suggestion="重新划线。")
    proposals.publish(board.author, fresh)
    db.session.commit()
    for path in CONDITIONAL:
        changed = client.get(path, headers={"If-None-Match": etags[path]})
        assert changed.status_code == 200 and changed.headers["ETag"] != etags[path], path


def test_an_item_page_revalidates_when_its_content_changes(client, board, db):
    path = f"/notice/proposal/{board.p_parking.id}"
    etag = client.get(path).headers["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    proposals.take_to_review(board.staff, board.p_parking)
    db.session.commit()
    response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 200 and "审查中" in text(response)
    # Large type is part of what the page is: a different copy, a different ETag.
    client.set_cookie("large_type", "1")
    assert client.get(path, headers={"If-None-Match": response.headers["ETag"]}).status_code == 200


def test_signed_in_visitors_get_fresh_pages(client, board):
    login(client, board.author)
    response = client.get("/notice/")
    assert response.status_code == 200 and "ETag" not in response.headers
    assert "no-cache" in response.headers["Cache-Control"]
    assert board.author.name in text(response)


# -- keeping the index in step --------------------------------------------------------------------

def _row(kind, source_id):
    return NoticePosting.query.filter_by(kind=kind, source_id=source_id).one_or_none()


def test_the_index_follows_every_source(board, db):
    assert _row("proposal", board.p_draft.id) is None
    proposals.publish(board.author, board.p_draft)
    db.session.commit()
    assert _row("proposal", board.p_draft.id).status == "征集附议中"
    proposals.take_to_review(board.staff, board.p_draft)
    db.session.commit()
    assert _row("proposal", board.p_draft.id).status == "审查中"
    assert _row("meeting", board.m_draft.id) is None
    meetings.announce(board.chair, board.m_draft, now=board.m_draft.start_dt - timedelta(days=20))
    db.session.commit()
    assert _row("meeting", board.m_draft.id).status == "已通知"
    meetings.cancel(board.chair, board.m_draft, "场地临时无法使用")
    db.session.commit()
    assert _row("meeting", board.m_draft.id).status == "已取消"
    notices.withdraw(board.admin, board.n_finance, "数字有误，更正后重新公开")
    db.session.commit()
    assert _row("general", board.n_finance.id) is None


def test_a_collection_lapses_on_the_board_by_the_clock_alone(board, db):
    row = _row("proposal", board.p_parking.id)
    assert row.status_at(utcnow()) == "征集附议中"
    assert row.status_at(row.status_until) == "已过期"


def test_reindex_rebuilds_the_same_board(board, db, app):
    def snapshot():
        return sorted((r.kind, r.source_id, r.title, r.status, r.category, r.year)
                      for r in NoticePosting.query)

    before = snapshot()
    db.session.execute(NoticePosting.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["notice", "reindex"])
    assert result.exit_code == 0, result.output
    assert "proposal 2" in result.output and "meeting 2" in result.output
    assert snapshot() == before
    assert [p.title for p in index.find(index.Filters(q="加装电梯")).items] == ["3号楼加装电梯"]


def test_the_cached_frame_carries_each_visitors_own_working_csrf_token(app, board):
    """The frame is kept once per page, its form's token filled in per visitor: the large-type
    switch works from a cached page, for each visitor with their own token."""
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        tokens = []
        for _ in range(2):
            # Requests share the test's app context: forget the last visitor's token in `g`.
            g.pop("csrf_token", None)
            visitor = app.test_client()
            page = text(visitor.get("/notice/?kind=proposal"))
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            assert re.search(r'name="next" value="/notice/\?kind=proposal"', page)
            tokens.append(token)
            switched = visitor.post("/auth/large-type", data={"csrf_token": token, "on": "1",
                                                              "next": "/notice/?kind=proposal"})
            assert switched.status_code == 302, text(switched)[:300]
            large = text(visitor.get("/notice/?kind=proposal"))
            assert 'class="large-type' in large and "标准字号" in large
        assert tokens[0] != tokens[1]
        g.pop("csrf_token", None)
        forged = app.test_client().post("/auth/large-type", data={"csrf_token": tokens[0], "on": "1"})
        assert forged.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
