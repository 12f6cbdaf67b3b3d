"""The matters API: public reading with the trail, drafting, scheduling, objections, reports,
and every shortcut refused."""
from datetime import timedelta

import pytest

from app.matters.models import Matter
from tests.conftest import api_token
from tests.integration.test_matters_flow import (  # noqa: F401
    World, background_settled, to_resolution_public,
)

API = "/api/v1/matters"


class Caller:
    def __init__(self, client, token=None):
        self.client, self.headers = client, ({"Authorization": f"Bearer {token}"} if token else {})

    def get(self, path="", **query):
        return self.client.get(API + path, query_string=query, headers=self.headers)

    def post(self, path="", json=None):
        return self.client.post(API + path, json=json if json is not None else {}, headers=self.headers)

    def patch(self, path, json):
        return self.client.patch(API + path, json=json, headers=self.headers)


@pytest.fixture()
def world(make, db):
    return World(make, db)


@pytest.fixture()
def staff(client, world):
    return Caller(client, api_token(client, world.staff))


@pytest.fixture()
def resident(client, world):
    return Caller(client, api_token(client, world.resident))


@pytest.fixture()
def anonymous(client):
    return Caller(client)


def error(response, status):
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    return response.get_json()["error"]


def draft(staff, **changes):
    body = {"title": "中心花园改造", "kind": "工程建设与修缮", "plan": "更换健身器材，铺设透水砖。",
            "budget": "86000.50"} | changes
    response = staff.post(json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_the_api_is_documented(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ["/api/v1/matters", "/api/v1/matters/{matter_id}", "/api/v1/matters/{matter_id}/trail",
                 "/api/v1/matters/{matter_id}/schedule", "/api/v1/matters/{matter_id}/objections",
                 "/api/v1/matters/{matter_id}/implementation", "/api/v1/matters/{matter_id}/reports"]:
        assert path in spec["paths"]
    assert {"MatterDetail", "MatterTrailStage", "MatterObjection"} <= set(spec["components"]["schemas"])


def test_staff_draft_with_an_exact_budget_and_others_cannot(staff, resident, anonymous, world, db):
    created = draft(staff)
    assert created["stage"] == "proposal" and created["stage_label"] == "党支部会提议"
    assert created["budget_fen"] == 8_600_050 and created["budget_yuan"] == "86000.50"
    assert [s["state"] for s in created["trail"]] == ["current"] + ["pending"] * 6
    assert draft(staff, budget=1234.5)["budget_fen"] == 123_450
    assert error(resident.post(json={"title": "居民起草的事项", "kind": "公共资金使用",
                                     "plan": "这是一个方案，够十个字。"}), 403)
    assert error(anonymous.post(json={}), 401)["code"] == "missing_token"
    bad = error(staff.post(json={"title": "短", "kind": "不存在", "plan": "短"}), 422)
    assert set(bad["details"]) == {"title", "kind", "plan"}
    assert error(staff.post(json={"title": "预算为负数的事项", "kind": "公共资金使用",
                                  "plan": "方案内容足够长了。", "budget": "-1"}), 422)
    assert error(staff.post(json={"title": "预算精确到厘的事项", "kind": "公共资金使用",
                                  "plan": "方案内容足够长了。", "budget": "1.001"}), 422)


def test_unpublished_matters_are_not_public(staff, resident, anonymous, world, db):
    created = draft(staff)
    assert error(anonymous.get(f"/{created['id']}"), 404)
    assert error(resident.get(f"/{created['id']}"), 404)     # a resident not deliberating it
    assert anonymous.get(community_id=world.c.id).get_json()["total"] == 0
    assert staff.get().get_json()["total"] == 1
    assert error(anonymous.get(), 422)["code"] == "community_required"


def test_no_shortcut_through_the_api(staff, resident, world, db, client):
    created = draft(staff)
    mid = created["id"]
    # No endpoint writes the stage; unknown fields are refused.
    assert error(staff.patch(f"/{mid}", {"stage": "result_public"}), 422)
    assert error(staff.post(f"/{mid}/implementation"), 409)["code"] == "wrong_stage"
    assert error(staff.post(f"/{mid}/reports", {"text": "提前开工了。", "percent_done": 100}), 409)
    assert error(resident.post(f"/{mid}/objections", {"text": "我有异议要提。"}), 404)
    wrong = world.meeting("representatives_assembly")
    db.session.commit()
    refused = error(staff.post(f"/{mid}/schedule", {"meeting_id": wrong.id}), 422)
    assert refused["code"] == "wrong_body" and "党支部委员会" in refused["message"]
    # The meetings API lets an organiser add any matter_id to an agenda: the vote still moves nothing.
    token = api_token(client, world.staff)
    response = client.post(f"/api/v1/meetings/{wrong.id}/agenda", json={"title": "绕过", "matter_id": mid},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    world.announce(wrong)
    world.hold_vote(wrong)
    got = staff.get(f"/{mid}").get_json()
    assert got["stage"] == "proposal" and got["resolution_published_dt"] is None
    assert all(not m for m in (s["meetings"] for s in got["trail"]))
    assert Matter.query.filter(Matter.resolution_published_dt.isnot(None)).count() == 0


def test_schedule_revise_and_lock(staff, world, db):
    created = draft(staff)
    mid = created["id"]
    meeting = world.meeting("party_branch_committee")
    db.session.commit()
    scheduled = staff.post(f"/{mid}/schedule", {"meeting_id": meeting.id})
    assert scheduled.status_code == 201
    assert scheduled.get_json()["meeting_id"] == meeting.id
    again = error(staff.post(f"/{mid}/schedule", {"meeting_id": meeting.id}), 409)
    assert again["code"] == "already_on_agenda"
    revised = staff.patch(f"/{mid}", {"plan": "修改后的方案：分两期实施。", "budget": None})
    assert revised.status_code == 200 and revised.get_json()["budget_fen"] is None
    world.announce(meeting)
    world.hold_vote(meeting)
    world.decide(db.session.get(Matter, mid), "two_committees")
    assert staff.get(f"/{mid}").get_json()["stage"] == "review"
    assert error(staff.patch(f"/{mid}", {"plan": "定稿后又想改的方案。"}), 409)["code"] == "plan_locked"


def test_public_notice_objections_and_implementation(staff, resident, anonymous, world, db, client):
    matter = to_resolution_public(world, world.matter())
    mid = matter.id
    got = anonymous.get(f"/{mid}")
    assert got.status_code == 200
    data = got.get_json()
    assert data["stage"] == "resolution_public" and data["objection_days"] == 7
    assert [s["state"] for s in data["trail"]] == ["done"] * 4 + ["current", "pending", "pending"]
    resolution = data["trail"][3]
    assert resolution["meetings"][0]["body"] == "居民代表会议"
    assert resolution["meetings"][0]["attendance"].startswith("应到 4 人，实到 4 人")
    assert "通过" in resolution["meetings"][0]["result"]
    assert anonymous.get(f"/{mid}/trail").get_json()[4]["key"] == "resolution_public"
    listed = anonymous.get(community_id=world.c.id).get_json()
    assert [m["id"] for m in listed["items"]] == [mid]

    objection = resident.post(f"/{mid}/objections", {"text": "请公开施工单位的比价结果。"})
    assert objection.status_code == 201
    oid = objection.get_json()["id"]
    assert objection.get_json()["is_overdue"] is False and objection.get_json()["is_mine"]
    public_view = anonymous.get(f"/{mid}/objections").get_json()
    assert public_view[0]["author"] is None and public_view[0]["text"] == "请公开施工单位的比价结果。"
    assert error(resident.post(f"/{mid}/objections/{oid}/answer", {"text": "我自己答复自己。"}), 403)
    assert error(resident.post(f"/{mid}/objections/{oid}/accept"), 409)["code"] == "not_answered"
    answered = staff.post(f"/{mid}/objections/{oid}/answer", {"text": "比价结果已在公告栏张贴。"})
    assert answered.status_code == 200 and answered.get_json()["author"] == "王居民"
    assert resident.post(f"/{mid}/objections/{oid}/accept").get_json()["is_resolved"] is True

    assert error(staff.post(f"/{mid}/implementation"), 409)["code"] == "window_open"
    matter = db.session.get(Matter, mid)
    matter.resolution_published_dt -= timedelta(days=7)
    db.session.commit()
    assert error(resident.post(f"/{mid}/implementation"), 403)
    started = staff.post(f"/{mid}/implementation")
    assert started.status_code == 200 and started.get_json()["stage"] == "implementation"
    assert error(staff.post(f"/{mid}/reports", {"text": "进度", "percent_done": 101}), 422)
    assert error(staff.post(f"/{mid}/reports", {"text": "完成一半。", "percent_done": "50"}), 422)
    report = staff.post(f"/{mid}/reports", {"text": "完成一半。", "percent_done": 50, "spent": "40000"})
    assert report.status_code == 201 and report.get_json()["spent_fen"] == 4_000_000
    assert anonymous.get(f"/{mid}/reports").get_json()[0]["percent_done"] == 50
    assert anonymous.get(f"/{mid}").get_json()["percent_done"] == 50


def test_follow_through_the_api(staff, resident, anonymous, world, db):
    matter = to_resolution_public(world, world.matter())
    followed = resident.post(f"/{matter.id}/follow")
    assert followed.status_code == 200 and followed.get_json()["following"] is True
    stopped = resident.client.delete(f"{API}/{matter.id}/follow", headers=resident.headers)
    assert stopped.get_json()["following"] is False
    assert error(anonymous.post(f"/{matter.id}/follow"), 401)
