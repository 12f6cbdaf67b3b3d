"""A micro-project round end to end through the JSON API, and who may do what: another community's
round is not there for writes, residents cannot screen or enter paper totals."""
from datetime import timedelta

import pytest

from app.core.timeutil import utcnow
from app.meetings import operations as meetings
from app.microprojects.models import MicroRound
from tests.conftest import api_token
from tests.integration.micro_helpers import COUNCIL, MicroWorld, dates_for, move_to, settle_background


@pytest.fixture(autouse=True)
def background_settled(db):
    yield
    settle_background()


@pytest.fixture()
def world(make, db):
    return MicroWorld(make, db)


def _h(token):
    return {"Authorization": f"Bearer {token}"}


def _dates(phase):
    return {name: value.isoformat() + "Z" for name, value in
            zip(("collect_start_dt", "screen_start_dt", "deliberate_start_dt", "vote_start_dt", "vote_end_dt",
                 "implement_start_dt", "close_dt"), dates_for(phase).ordered())}


def test_a_round_end_to_end_through_the_api(world, db, client):
    w = world
    staff, resident = _h(api_token(client, w.staff)), _h(api_token(client, w.resident))
    neighbour = _h(api_token(client, w.residents[1]))
    body = {"title": "2026 年民生微实事", "year": 2026, "fund_fen": 50_000_00, "dates": _dates("collecting"),
            "choice_mode": "up_to_k", "max_choices": 1, "is_changeable": False}
    refused = client.post("/api/v1/micro/rounds", json=body, headers=resident)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    created = client.post("/api/v1/micro/rounds", json=body, headers=staff)
    assert created.status_code == 201, created.get_json()
    rid = created.get_json()["id"]
    assert created.get_json()["phase"] == "collecting"

    ideas = []
    for title, cost in (("楼道加装扶手", 30_000_00), ("儿童游乐设施更新", 40_000_00), ("社区长者饭堂", 10_000_00)):
        r = client.post(f"/api/v1/micro/rounds/{rid}/ideas", headers=resident, json={
            "title": title, "description": "居民反映强烈，希望今年能够解决。", "kind": "service",
            "category": "为老服务", "cost_fen": cost})
        assert r.status_code == 201, r.get_json()
        ideas.append(r.get_json()["idea"]["id"])
    assert client.post(f"/api/v1/micro/ideas/{ideas[0]}/cosign", headers=neighbour).status_code == 200
    again = client.post(f"/api/v1/micro/ideas/{ideas[0]}/cosign", headers=neighbour)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_cosigned"
    assert client.get(f"/api/v1/micro/rounds/{rid}/similar?q=楼道扶手", headers=resident).get_json()["items"]

    round_ = db.session.get(MicroRound, rid)
    move_to(db, round_, "screening")
    screen = {"decision": "feasible", "reason": "符合使用范围。"}
    forbidden = client.post(f"/api/v1/micro/ideas/{ideas[0]}/screen", headers=resident,
                            json=screen | {"estimate_fen": 30_000_00})
    assert forbidden.status_code == 403
    for idea_id, estimate in zip(ideas, (30_000_00, 40_000_00, 10_000_00)):
        r = client.post(f"/api/v1/micro/ideas/{idea_id}/screen", headers=staff, json=screen | {"estimate_fen": estimate})
        assert r.status_code == 200, r.get_json()
    over = client.post(f"/api/v1/micro/ideas/{ideas[0]}/screen", headers=staff, json=screen | {"estimate_fen": 10**12})
    assert over.status_code == 422 and over.get_json()["error"]["code"] == "over_cap"

    move_to(db, round_, "deliberation")
    start = utcnow() + timedelta(minutes=10)
    meeting = meetings.create_meeting(w.staff, w.c.body_by_preset("representatives_assembly"), title="代表会议",
                                      start_dt=start)
    db.session.commit()
    wrong_body = client.post(f"/api/v1/micro/rounds/{rid}/deliberation", headers=staff, json={"meeting_id": meeting.id})
    assert wrong_body.status_code == 200   # the 居民代表会议 may decide it too
    db.session.refresh(round_)
    assert round_.agenda_item_id is not None
    round_.agenda_item_id = None   # take it to the 议事会 instead (the helper schedules and votes)
    db.session.commit()
    w.deliberate(round_)
    assert round_.shortlist_fixed_dt is not None

    move_to(db, round_, "voting")
    ballot = client.get(f"/api/v1/micro/rounds/{rid}/ballot", headers=resident).get_json()
    assert [i["id"] for i in ballot["shortlist"]] == ideas and ballot["mine"] is None
    too_many = client.post(f"/api/v1/micro/rounds/{rid}/ballot", headers=resident, json={"picks": ideas[:2]})
    assert too_many.status_code == 422 and too_many.get_json()["error"]["code"] == "too_many_choices"
    cast = client.post(f"/api/v1/micro/rounds/{rid}/ballot", headers=resident, json={"picks": [ideas[1]]})
    assert cast.status_code == 201
    receipt = cast.get_json()["receipt"]
    same = client.post(f"/api/v1/micro/rounds/{rid}/ballot", headers=resident, json={"picks": [ideas[1]]})
    assert same.get_json()["receipt"] == receipt
    final = client.post(f"/api/v1/micro/rounds/{rid}/ballot", headers=resident, json={"picks": [ideas[0]]})
    assert final.status_code == 409 and final.get_json()["error"]["code"] == "already_cast"
    for person in w.residents[1:]:
        token = _h(api_token(client, person))
        assert client.post(f"/api/v1/micro/rounds/{rid}/ballot", headers=token, json={"picks": [ideas[0]]}).status_code == 201
    # Paper: residents cannot enter totals; staff cannot enter more than the paper voters.
    paper = w.make.user(w.c, name="纸质投票", building="6", room="601")
    assert client.post(f"/api/v1/micro/rounds/{rid}/paper/voters", headers=resident,
                       json={"phone": paper.phone}).status_code == 403
    voted_online = client.post(f"/api/v1/micro/rounds/{rid}/paper/voters", headers=staff,
                               json={"phone": w.resident.phone})
    assert voted_online.status_code == 409 and voted_online.get_json()["error"]["code"] == "voted_online"
    assert client.post(f"/api/v1/micro/rounds/{rid}/paper/voters", headers=staff,
                       json={"phone": paper.phone}).get_json() == {"paper_voters": 1}
    assert client.put(f"/api/v1/micro/rounds/{rid}/paper/totals", headers=resident,
                      json={"totals": {str(ideas[2]): 1}}).status_code == 403
    above = client.put(f"/api/v1/micro/rounds/{rid}/paper/totals", headers=staff, json={"totals": {str(ideas[2]): 2}})
    assert above.status_code == 409 and above.get_json()["error"]["code"] == "too_many"
    ok = client.put(f"/api/v1/micro/rounds/{rid}/paper/totals", headers=staff, json={"totals": {str(ideas[2]): 1}})
    assert ok.status_code == 200
    paper_token = _h(api_token(client, paper))
    on_paper = client.post(f"/api/v1/micro/rounds/{rid}/ballot", headers=paper_token, json={"picks": [ideas[0]]})
    assert on_paper.status_code == 409 and on_paper.get_json()["error"]["code"] == "voted_on_paper"
    assert client.get(f"/api/v1/micro/rounds/{rid}/receipts").get_json()["receipts"] == []   # not before the end

    move_to(db, round_, "results")
    data = client.get(f"/api/v1/micro/rounds/{rid}").get_json()   # public, no token
    lines = data["results"]["lines"]
    # 楼道扶手 2 votes (30,000), 游乐设施 1 vote (40,000: no longer fits 20,000), 饭堂 1 paper vote
    # (10,000, smaller estimate first in the tie): skip and continue.
    assert [(line["id"], line["votes"], line["is_funded"]) for line in lines] == [
        (ideas[0], 2, True), (ideas[2], 1, True), (ideas[1], 1, False)]
    assert data["results"]["committed_fen"] == 40_000_00 and data["money"]["fund_fen"] == 50_000_00
    receipts = client.get(f"/api/v1/micro/rounds/{rid}/receipts").get_json()["receipts"]
    assert {"receipt": receipt, "picks": [ideas[1]]} in receipts and len(receipts) == 3

    move_to(db, round_, "implementation")
    r = client.post(f"/api/v1/micro/ideas/{ideas[0]}/assign", headers=staff, json={"org_id": w.org.id})
    assert r.status_code == 200
    m = client.post(f"/api/v1/micro/ideas/{ideas[0]}/milestones", headers=staff,
                    json={"title": "安装完成", "due_dt": (utcnow() + timedelta(days=5)).isoformat() + "Z", "percent": 100})
    assert m.status_code == 200, m.get_json()
    milestone_id = m.get_json()["idea"]["milestones"][0]["id"]
    assert client.post(f"/api/v1/micro/ideas/{ideas[0]}/milestone_done", headers=resident,
                       json={"milestone_id": milestone_id}).status_code == 403
    assert client.post(f"/api/v1/micro/ideas/{ideas[0]}/milestone_done", headers=staff,
                       json={"milestone_id": milestone_id, "note": "完成"}).status_code == 200
    s = client.post(f"/api/v1/micro/ideas/{ideas[0]}/spendings", headers=staff, json={"amount_fen": 29_999_99, "note": "材料"})
    assert s.get_json()["idea"]["spent_fen"] == 29_999_99
    assert client.post(f"/api/v1/micro/ideas/{ideas[0]}/accept", headers=staff, json={"note": "验收合格。"}).status_code == 200
    supervisor = _h(api_token(client, w.supervisor))
    assert client.post(f"/api/v1/micro/ideas/{ideas[0]}/confirm", headers=staff).status_code == 403
    done = client.post(f"/api/v1/micro/ideas/{ideas[0]}/confirm", headers=supervisor).get_json()["idea"]
    assert done["accepted"] and done["confirmed"]
    rated = client.post(f"/api/v1/micro/ideas/{ideas[0]}/rate", headers=neighbour, json={"rating": "basic"})
    assert rated.get_json()["idea"]["ratings"]["basic"] == 1


def test_another_communitys_round_is_not_there(world, db, client, auth):
    w = world
    round_ = w.round("collecting")
    idea = w.idea(round_)
    stranger = _h(api_token(client, w.stranger))
    assert client.post(f"/api/v1/micro/rounds/{round_.id}/ideas", headers=stranger, json={
        "title": "外人的建议项目", "description": "外社区的人想要提出建议。", "kind": "goods",
        "category": "其他"}).status_code == 404
    assert client.post(f"/api/v1/micro/ideas/{idea.id}/cosign", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/micro/rounds/{round_.id}/ballot", headers=stranger).status_code == 404
    auth(client, w.stranger)
    assert client.get(f"/c/{w.c.id}/micro/{round_.id}").status_code == 404
    assert client.get(f"/c/{w.c.id}/micro/{round_.id}/paper").status_code == 404
    client.post("/auth/logout")
    auth(client, w.resident)
    assert client.get(f"/c/{w.c.id}/micro/{round_.id}/paper").status_code == 403
    assert client.get(f"/c/{w.c.id}/micro/new").status_code == 403


def test_the_openapi_document_lists_the_micro_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/micro/rounds", "/api/v1/micro/rounds/{round_id}/ballot",
                 "/api/v1/micro/rounds/{round_id}/paper/totals", "/api/v1/micro/ideas/{idea_id}/screen"):
        assert path in paths
    assert COUNCIL


def test_the_handler_from_elsewhere_carries_the_project_out(world, db, client, auth, make):
    from app.community.models import HandlerMember
    from app.microprojects import implementation as impl, operations as ops, voting

    w = world
    round_ = w.round("collecting")
    idea = w.idea(round_)
    move_to(db, round_, "screening")
    ops.screen(w.staff, idea, feasible=True, estimate_fen=10_00, reason="可行，估算十元。")
    db.session.commit()
    move_to(db, round_, "deliberation")
    w.deliberate(round_)
    move_to(db, round_, "voting")
    voting.cast(w.resident, round_.id, [idea.id])
    move_to(db, round_, "implementation")
    voting.settle(round_)
    worker = make.user(None, name="社工机构员工")   # lives in no community of ours
    db.session.add(HandlerMember(org=w.org, user=worker))
    db.session.commit()
    impl.assign(w.staff, idea, w.org.id)
    db.session.commit()
    token = _h(api_token(client, worker))
    m = client.post(f"/api/v1/micro/ideas/{idea.id}/milestones", headers=token,
                    json={"title": "开始服务", "due_dt": "2030-01-01T00:00:00Z", "percent": 100})
    assert m.status_code == 200, m.get_json()
    auth(client, worker)
    page = client.get(f"/c/{w.c.id}/micro/{round_.id}/ideas/{idea.id}")
    assert page.status_code == 200 and "data-milestone-id" in page.get_data(as_text=True)
    assert client.get(f"/c/{w.c.id}/micro/{round_.id}").status_code == 404   # the rest is the community's
