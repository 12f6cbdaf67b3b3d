"""The board as open data (JSON API), general notices for admins (pages and API), statistics, and
the one reading rule of proposals (a published proposal is public, a draft is not)."""
import csv
import io
from datetime import timedelta

import pytest

from app.core.timeutil import utcnow
from app.notice import stats
from app.notice.models import Notice, NoticePosting
from app.proposals import operations as proposals
from tests.conftest import api_token, login
from tests.integration.test_notice_board import board, settled, text, titles  # noqa: F401  (fixtures)


def bearer(client, user):
    return {"Authorization": f"Bearer {api_token(client, user)}"}


# -- open data ---------------------------------------------------------------------------------

def test_the_list_api_needs_no_token_and_filters_like_the_page(client, board):  # noqa: F811
    body = client.get("/api/v1/notices").get_json()
    assert body["total"] == 6 and body["pages"] == 1
    item = next(i for i in body["items"] if i["title"] == "3号楼加装电梯")
    assert item["kind"] == "proposal" and item["status"] == "已办结" and item["community"] == "阳光社区"
    assert item["url"] == f"http://localhost/notice/proposal/{board.p_lift.id}"
    assert item["published_dt"].endswith("+00:00")
    found = client.get("/api/v1/notices", query_string={"q": "停车", "kind": "proposal"}).get_json()
    assert [i["title"] for i in found["items"]] == ["小区停车难，晚上车辆乱停"]
    paged = client.get("/api/v1/notices", query_string={"per_page": 4, "page": 2}).get_json()
    assert len(paged["items"]) == 2 and paged["pages"] == 2
    other = client.get("/api/v1/notices", query_string={"community_id": board.other.id}).get_json()
    assert [i["title"] for i in other["items"]] == ["月亮社区垃圾分类新规"]
    bad = client.get("/api/v1/notices", query_string={"kind": "secret", "per_page": 1000})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid"


def test_the_item_api_gives_the_content_of_each_kind(client, board):  # noqa: F811
    lift = client.get(f"/api/v1/notices/proposal/{board.p_lift.id}").get_json()
    assert lift["detail"]["state"] == "closed"
    assert lift["detail"]["replies"][0]["rating_label"] == "满意"
    assert any(step["label"] == "交办" for step in lift["detail"]["trail"])
    assert lift["print_url"].endswith(f"/notice/proposal/{board.p_lift.id}/print")
    meeting = client.get(f"/api/v1/notices/meeting/{board.m_ended.id}").get_json()
    assert meeting["detail"]["attendance"] == {"expected": 4, "present": 3, "unit": "人"}
    assert meeting["detail"]["votes"][0]["title"] == "通过夜间停车管理办法"
    assert meeting["detail"]["votes"][0]["chain_head"]
    assert "会议纪要" in meeting["detail"]["minutes"]
    assert meeting["detail"]["start_dt"].endswith("+00:00")
    notice = client.get(f"/api/v1/notices/general/{board.n_finance.id}").get_json()
    assert notice["category"] == "财务公开" and "上级拨款" in notice["detail"]["body"]
    for kind, ident in [("proposal", board.p_draft.id), ("meeting", board.m_draft.id),
                        ("general", board.n_draft.id)]:
        response = client.get(f"/api/v1/notices/{kind}/{ident}")
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_openapi_documents_the_board(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/notices", "/api/v1/notices/{kind}/{source_id}", "/api/v1/notices/stats",
                 "/api/v1/notices/manage", "/api/v1/notices/manage/{notice_id}/publish"):
        assert path in spec["paths"], path
    assert spec["paths"]["/api/v1/notices"]["get"]["security"] == []
    assert spec["paths"]["/api/v1/notices/manage"]["post"]["security"] == [{"bearerAuth": []}]


# -- general notices: who may write them --------------------------------------------------------

NOTICE = {"title": "关于小区消防演练的通知", "category": "服务公开", "body": "本周六上午十点在中心花园举行消防演练。"}


def test_admins_write_publish_and_withdraw_notices_through_the_api(client, board, db):  # noqa: F811
    headers = bearer(client, board.admin)
    created = client.post("/api/v1/notices/manage", json=NOTICE, headers=headers)
    assert created.status_code == 201, created.get_json()
    nid = created.get_json()["id"]
    assert created.get_json()["state"] == "draft" and created.get_json()["url"] is None
    assert client.get(f"/notice/general/{nid}").status_code == 404
    fixed = client.put(f"/api/v1/notices/manage/{nid}", json=NOTICE | {"title": "关于消防演练的通知（更正）"},
                       headers=headers)
    assert fixed.get_json()["title"] == "关于消防演练的通知（更正）"
    published = client.post(f"/api/v1/notices/manage/{nid}/publish", headers=headers).get_json()
    assert published["state"] == "published" and published["url"] == f"/notice/general/{nid}"
    assert "关于消防演练的通知（更正）" in titles(client.get("/notice/"))
    again = client.post(f"/api/v1/notices/manage/{nid}/publish", headers=headers)
    assert again.status_code == 409
    no_reason = client.post(f"/api/v1/notices/manage/{nid}/withdraw", json={"reason": ""}, headers=headers)
    assert no_reason.status_code == 422
    gone = client.post(f"/api/v1/notices/manage/{nid}/withdraw", json={"reason": "时间改期"}, headers=headers)
    assert gone.get_json()["state"] == "withdrawn"
    assert client.get(f"/notice/general/{nid}").status_code == 404
    listed = client.get("/api/v1/notices/manage", headers=headers).get_json()
    assert {n["state"] for n in listed} == {"draft", "published", "withdrawn"}
    direct = client.post("/api/v1/notices/manage", json=NOTICE | {"publish": True}, headers=headers)
    assert direct.get_json()["state"] == "published"
    invalid = client.post("/api/v1/notices/manage", json=NOTICE | {"body": "太短"}, headers=headers)
    assert invalid.status_code == 422 and invalid.get_json()["error"]["details"]["body"]


@pytest.mark.parametrize("who, status", [("staff", 403), ("resident", 403), ("outsider", 404),
                                         ("other_admin", 404), ("anonymous", 401)])
def test_only_the_communitys_admins_manage_its_notices(client, board, who, status):  # noqa: F811
    users = {"staff": board.staff, "resident": board.author, "outsider": board.outsider,
             "other_admin": board.other_admin}
    headers = bearer(client, users[who]) if who in users else {}
    create = client.post("/api/v1/notices/manage", json=NOTICE | {"community_id": board.c.id},
                         headers=headers)
    assert create.status_code == status, create.get_json()
    publish = client.post(f"/api/v1/notices/manage/{board.n_draft.id}/publish", headers=headers)
    assert publish.status_code == (401 if who == "anonymous" else 404), publish.get_json()
    assert Notice.query.count() == 3


def test_admins_use_the_pages_too(client, board, db):  # noqa: F811
    login(client, board.admin)
    page = client.get(f"/c/{board.c.id}/notices/")
    assert page.status_code == 200 and "还没发布的公告草稿" in text(page)
    refused = client.post(f"/c/{board.c.id}/notices/", data=NOTICE | {"title": "短"})
    assert refused.status_code == 422
    created = client.post(f"/c/{board.c.id}/notices/", data=NOTICE | {"publish": "1"})
    assert created.status_code == 302
    notice = Notice.query.filter_by(title=NOTICE["title"]).one()
    assert notice.is_public
    assert NOTICE["title"] in titles(client.get("/notice/"))
    edit = client.post(f"/c/{board.c.id}/notices/{notice.id}",
                       data=NOTICE | {"body": "演练改到周日上午十点，地点不变。"})
    assert edit.status_code == 302
    item = text(client.get(f"/notice/general/{notice.id}"))
    assert "演练改到周日" in item and "更新于" in item
    client.post(f"/c/{board.c.id}/notices/{board.n_draft.id}/publish")
    assert NoticePosting.query.filter_by(kind="general", source_id=board.n_draft.id).count() == 1
    client.post(f"/c/{board.c.id}/notices/{notice.id}/withdraw", data={"reason": "改期另行通知"})
    assert NOTICE["title"] not in titles(client.get("/notice/"))
    # Another community's notices are not found at all.
    assert client.get(f"/c/{board.other.id}/notices/").status_code == 404
    assert client.get(f"/c/{board.c.id}/notices/{board.n_other.id}").status_code == 404


def test_residents_cannot_open_the_admin_pages(client, board):  # noqa: F811
    assert client.get(f"/c/{board.c.id}/notices/").status_code == 302   # to the login page
    login(client, board.author)
    assert client.get(f"/c/{board.c.id}/notices/").status_code == 403


# -- statistics ----------------------------------------------------------------------------------

def test_statistics_count_the_year(client, board, db):  # noqa: F811
    year = stats.rules.local_year(utcnow())
    overview = stats.overview(year)
    by_id = {cid: f for cid, _, f in overview.rows}
    mine = by_id[board.c.id]
    # Published: parking (collecting) and the lift (accepted, answered in time, rated 满意).
    assert (mine.received, mine.accepted, mine.answered, mine.answered_on_time) == (2, 1, 1, 1)
    assert (mine.rated, mine.satisfied, mine.satisfaction_rate) == (1, 1, 1)
    # One meeting held: four voting members, three present.
    assert (mine.meetings_held, mine.attendance_expected, mine.attendance_present) == (1, 4, 3)
    assert by_id[board.other.id].received == 0 and by_id[board.other.id].on_time_rate is None
    assert overview.total.received == 2
    assert sum(overview.months_received) == 2 and sum(overview.months_answered) == 1
    page = client.get(f"/notice/stats?year={year}")
    body = text(page)
    assert page.status_code == 200
    assert '<svg class="chart" id="chart-months"' in body and '<svg class="chart" id="chart-rates"' in body
    assert "<caption" in body and "全街道合计" in body and "100%" in body and "75%" in body
    assert "style=" not in body
    one = text(client.get(f"/notice/stats?year={year}&community={board.other.id}"))
    assert "月亮社区" in one and "全街道合计" not in one and "—" in one


def test_statistics_as_csv_and_json(client, board):  # noqa: F811
    year = stats.rules.local_year(utcnow())
    response = client.get(f"/notice/stats.csv?year={year}")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["社区"] for r in rows] == ["阳光社区", "月亮社区", "全街道合计"]
    assert rows[0]["收到提案"] == "2" and rows[0]["满意率(%)"] == "100.0" and rows[0]["出席率(%)"] == "75.0"
    assert rows[1]["按时答复率(%)"] == ""
    data = client.get("/api/v1/notices/stats", query_string={"year": year}).get_json()
    assert data["year"] == year and len(data["rows"]) == 2
    assert data["total"]["received"] == 2 and data["total"]["attendance_rate"] == 75.0
    assert len(data["months"]["received"]) == 12
    assert client.get("/api/v1/notices/stats?community_id=99999").status_code == 404
    assert client.get("/notice/stats?year=1066").status_code == 200   # odd years fall back


def test_a_late_first_reply_is_not_on_time(client, board, db):  # noqa: F811
    p = board.p_parking
    for n in board.neighbours[:2]:
        proposals.cosign(n, p)
        db.session.commit()
    proposals.accept(board.staff, p)
    proposals.assign(board.staff, p, board.org.id)
    db.session.commit()
    proposals.answer(board.handler, p, "A", "已在东门重新划线。", now=p.reply_due_dt + timedelta(hours=1))
    db.session.commit()
    figures = dict((cid, f) for cid, _, f in stats.overview(stats.rules.local_year(utcnow())).rows)
    assert (figures[board.c.id].answered, figures[board.c.id].answered_on_time) == (2, 1)


# -- the one reading rule of proposals ------------------------------------------------------------

def test_a_published_proposal_is_public_on_its_page_and_in_the_api_alike(client, board, db):  # noqa: F811
    lift, draft, secret = board.p_lift.id, board.p_draft.id, board.p_secret.id
    c = board.c.id
    # Anyone, without an account.
    assert client.get(f"/c/{c}/proposals/{lift}").status_code == 200
    assert client.get(f"/api/v1/proposals/{lift}").status_code == 200
    assert client.get(f"/api/v1/proposals/{lift}/comments").status_code == 200
    for ident in (draft, secret):    # a draft, and a draft withdrawn before it was ever published
        assert client.get(f"/c/{c}/proposals/{ident}").status_code == 404
        assert client.get(f"/api/v1/proposals/{ident}").status_code == 404
    # Someone of another community reads the same, and still may not act on it.
    outsider = bearer(client, board.outsider)
    assert client.get(f"/api/v1/proposals/{lift}", headers=outsider).get_json()["allowed_actions"] == []
    assert client.get(f"/api/v1/proposals/{draft}", headers=outsider).status_code == 404
    assert client.post(f"/api/v1/proposals/{lift}/comments", json={"body": "路过"},
                       headers=outsider).status_code == 404
    # The author reads her own draft in both places; a bad token is refused, not ignored.
    author = bearer(client, board.author)
    assert client.get(f"/api/v1/proposals/{draft}", headers=author).get_json()["state"] == "draft"
    login(client, board.author)
    assert client.get(f"/c/{c}/proposals/{draft}").status_code == 200
    assert client.get(f"/c/{c}/proposals/{secret}").status_code == 200
    assert client.get(f"/api/v1/proposals/{lift}",
                      headers={"Authorization": "Bearer wrong"}).status_code == 401
