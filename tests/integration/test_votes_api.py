"""Votes through the JSON API: open, cast (with retries), hall entry, close, result, receipts."""
from app.meetings import live
from tests.conftest import api_token
from tests.integration.live_helpers import Meeting
from tests.integration.test_votes_meeting import cast_committed


def bearer(client, user):
    return {"Authorization": f"Bearer {api_token(client, user)}"}


def test_a_whole_vote_through_the_api(make, db, client):
    # A public body's vote: its receipts are public after the close (test_vote_visibility.py has the rest).
    room = Meeting(make, db, preset="representatives_assembly")
    room.start(db)
    for user in (room.chair, room.members[0], room.members[1]):
        live.join_online(user, room.meeting)
    live.check_in(room.secretary, room.meeting, room.members[2].id)
    db.session.commit()
    chair, member, secretary = (bearer(client, u) for u in (room.chair, room.members[0], room.secretary))

    refused = client.post(f"/api/v1/meetings/{room.id}/votes", headers=member, json={})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "chair_only"
    opened = client.post(f"/api/v1/meetings/{room.id}/votes", headers=chair, json={"kind": "named"})
    assert opened.status_code == 201, opened.get_json()
    vote = opened.get_json()
    assert vote["state"] == "open" and vote["eligible"] == 5 and vote["result"] is None
    url = f"/api/v1/votes/{vote['id']}"

    cast = client.post(url + "/cast", headers=member, json={"choice": "yes", "nonce": "n" * 20})
    assert cast.status_code == 201
    again = client.post(url + "/cast", headers=member, json={"choice": "yes", "nonce": "n" * 20})
    assert again.get_json()["receipt"] == cast.get_json()["receipt"]
    changed = client.post(url + "/cast", headers=member, json={"choice": "no", "nonce": "n" * 20})
    assert changed.status_code == 409 and changed.get_json()["error"]["message"] == "您已投票，不能再次投票或更改。"
    bad = client.post(url + "/cast", headers=chair, json={"choice": "maybe", "nonce": "c" * 20})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "bad_choice"
    missing = client.post(url + "/cast", headers=chair, json={"choice": "yes"})
    assert missing.status_code == 422
    assert client.post(url + "/cast", headers=chair, json={"choice": "yes", "nonce": "c" * 20}).status_code == 201

    hall = client.post(url + "/hall", headers=secretary, json={"entries": {str(room.members[2].id): "yes"}})
    assert hall.status_code == 200, hall.get_json()
    assert hall.get_json()["progress"]["cast"] == 3
    assert client.get(url + "/receipts").status_code == 409   # not before the close

    closed = client.post(url + "/close", headers=chair)
    assert closed.status_code == 200
    result = closed.get_json()["result"]
    assert result["passed"] is True and "通过" in result["text"]
    assert client.post(url + "/close", headers=chair).status_code == 409

    listed = client.get(url + "/receipts")   # public: no token
    assert listed.status_code == 200
    body = listed.get_json()
    assert body["chain_head"] == result["chain_head"] and len(body["receipts"]) == 3
    assert cast.get_json()["receipt"] in {r["receipt"] for r in body["receipts"]}
    seen = client.get(url, headers=member).get_json()
    assert seen["me"]["voted"] is True and seen["me"]["receipt"] == cast.get_json()["receipt"]


def test_outsiders_get_404_and_the_api_is_documented(make, db, client):
    room = Meeting(make, db)
    room.start(db)
    for user in (room.chair, *room.members):
        live.join_online(user, room.meeting)
    db.session.commit()
    opened = client.post(f"/api/v1/meetings/{room.id}/votes", headers=bearer(client, room.chair), json={})
    url = f"/api/v1/votes/{opened.get_json()['id']}"
    stranger = bearer(client, room.stranger)
    assert client.get(url, headers=stranger).status_code == 404
    assert client.post(url + "/cast", headers=stranger, json={"choice": "yes", "nonce": "s" * 20}).status_code == 404
    assert client.get(url).status_code == 401
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/meetings/{meeting_id}/votes", "/api/v1/votes/{vote_id}/cast",
                 "/api/v1/votes/{vote_id}/close", "/api/v1/votes/{vote_id}/receipts",
                 "/api/v1/votes/{vote_id}/hall", "/api/v1/votes/{vote_id}"):
        assert path in paths, path


def test_the_public_receipt_page_finds_a_receipt_typed_loosely(make, db, client):
    from app.votes import operations as votes

    room = Meeting(make, db, preset="representatives_assembly")
    room.start(db)
    for user in (room.chair, *room.members):
        live.join_online(user, room.meeting)
    db.session.commit()
    vote = votes.open_vote(room.chair, room.meeting, kind="secret")
    db.session.commit()
    assert client.get(f"/votes/{vote.id}/receipts").status_code == 409
    mine = cast_committed(room.members[0], vote.id, "no", "r" * 20)
    cast_committed(room.members[1], vote.id, "yes", "s" * 20)
    votes.close_vote(room.chair, vote)
    db.session.commit()
    page = client.get(f"/votes/{vote.id}/receipts?code=" + mine.lower().replace("-", " "))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "已找到回执码" in html and mine in html and "反对" in html
    assert vote.chain_head in html
    missing = client.get(f"/votes/{vote.id}/receipts?code=0000-0000-00").get_data(as_text=True)
    assert "没有找到这个回执码" in missing
    assert client.get("/votes/99999/receipts").status_code == 404
