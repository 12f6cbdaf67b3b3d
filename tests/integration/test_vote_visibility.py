"""Who sees a vote's receipts and result (app/votes/visibility.py): a public body's vote is public
once closed; another body's is for its members and the community's staff, a 404 to everyone else,
until the matter it decided has its resolution published; the admin's flag makes a body public."""
from flask import g
from flask.testing import FlaskClient

from app.core.audit import AuditEvent
from app.core.timeutil import utcnow
from app.matters import operations as matters
from app.matters.trail import WITHHELD, trail
from app.meetings import live as meeting_live
from app.meetings import operations as meetings
from app.votes import operations as votes
from tests.conftest import api_token, login
from tests.integration.live_helpers import Meeting
from tests.integration.test_votes_meeting import cast_committed


class Client(FlaskClient):
    """A test client per person: requests share the test's app context, so forget who logged in."""

    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def fresh(app):
    return Client(app, app.response_class, use_cookies=True)


def bearer(client, user):
    return {"Authorization": f"Bearer {api_token(client, user)}"}


def _closed_vote(make, db, preset, matter=False):
    """A secret vote of `preset`'s body, closed, with a staff member; on a matter when asked."""
    room = Meeting(make, db, preset=preset)
    room.staff = make.user(room.community, name="社区干部", roles=("staff",))
    room.matter = None
    if matter:
        room.matter = matters.create(room.staff, room.community, title="中心花园改造",
                                     kind="工程建设与修缮", plan="更换健身器材，铺设透水砖，增加十张座椅。", budget_fen=100_000)
        room.meeting.items[0].matter_id = room.matter.id
        db.session.commit()
    room.start(db)
    for user in (room.chair, *room.members):
        meeting_live.join_online(user, room.meeting)
    db.session.commit()
    room.vote = votes.open_vote(room.chair, room.meeting, kind="secret")
    db.session.commit()
    for i, user in enumerate((room.chair, *room.members)):
        cast_committed(user, room.vote.id, "yes" if i else "no", f"{i}" * 20)
    return room


def _close(room, db):
    votes.close_vote(room.chair, room.vote)
    db.session.commit()


def _statuses(app, room, path, api):
    """{who: status} of GET `path` for the anonymous, a stranger, a resident, a member, staff."""
    found = {}
    people = {"stranger": room.stranger, "resident": room.resident, "member": room.members[0],
              "chair": room.chair, "staff": room.staff}
    found["anonymous"] = fresh(app).get(path).status_code
    for who, user in people.items():
        client = fresh(app)
        if api:
            found[who] = client.get(path, headers=bearer(client, user)).status_code
        else:
            login(client, user)
            found[who] = client.get(path).status_code
    return found


INSIDERS_ONLY = {"anonymous": 404, "stranger": 404, "resident": 404, "member": 200, "chair": 200,
                 "staff": 200}
EVERYONE = dict.fromkeys(INSIDERS_ONLY, 200)


def test_a_non_public_bodys_vote_is_for_its_members_and_staff_until_the_resolution_is_published(
        app, make, db, client):
    room = _closed_vote(make, db, "party_branch_committee", matter=True)
    page, api = f"/votes/{room.vote.id}/receipts", f"/api/v1/votes/{room.vote.id}/receipts"
    # While open: nobody outside learns the vote exists; insiders hear it is not over yet.
    assert _statuses(app, room, page, api=False) == {**INSIDERS_ONLY, "member": 409, "chair": 409,
                                                     "staff": 409}
    _close(room, db)
    assert _statuses(app, room, page, api=False) == INSIDERS_ONLY
    assert _statuses(app, room, api, api=True) == INSIDERS_ONLY
    assert client.get(api).status_code == 404 and client.get(api).get_json()["error"]["code"] == "not_found"
    # The result endpoint, too: a 404 outside.
    result = f"/api/v1/votes/{room.vote.id}"
    assert client.get(result, headers=bearer(client, room.resident)).status_code == 404
    assert client.get(result, headers=bearer(client, room.stranger)).status_code == 404
    assert client.get(result, headers=bearer(client, room.members[0])).get_json()["result"]["text"]

    # The notice board lists the vote, but neither its result nor the minutes.
    meetings.end_meeting(room.chair, room.meeting)
    db.session.commit()
    item = client.get(f"/api/v1/notices/meeting/{room.meeting.id}").get_json()
    listed = item["detail"]["votes"][0]
    assert listed["result"] is None and listed["chain_head"] is None and not listed["is_public"]
    assert item["detail"]["minutes"] is None and item["detail"]["minutes_withheld"]
    html = client.get(f"/notice/meeting/{room.meeting.id}").get_data(as_text=True)
    assert room.vote.chain_head not in html and "结果随决议公开" in html
    # The matter's trail shows the outcome to its readers, the numbers to insiders alone.
    outside = trail(room.matter, room.resident)[0]["meetings"][0]
    inside = trail(room.matter, room.members[0])[0]["meetings"][0]
    assert outside["result"] == WITHHELD and outside["minutes_url"] is None
    assert inside["result"] == room.vote.result["text"]

    # Published with the resolution: public to all, on every page.
    room.matter.resolution_published_dt = utcnow()
    db.session.commit()
    assert _statuses(app, room, page, api=False) == EVERYONE
    assert _statuses(app, room, api, api=True) == EVERYONE
    body = client.get(api).get_json()
    assert body["chain_head"] == room.vote.chain_head and body["result"]["text"] == room.vote.result["text"]
    assert len(body["receipts"]) == 4
    item = client.get(f"/api/v1/notices/meeting/{room.meeting.id}").get_json()
    assert item["detail"]["votes"][0]["chain_head"] == room.vote.chain_head
    assert item["detail"]["minutes"]
    assert trail(room.matter, None)[0]["meetings"][0]["result"] == room.vote.result["text"]


def test_a_vote_on_no_matter_stays_with_its_body(app, make, db):
    room = _closed_vote(make, db, "two_committees")
    _close(room, db)
    assert _statuses(app, room, f"/votes/{room.vote.id}/receipts", api=False) == INSIDERS_ONLY


def test_a_public_bodys_vote_is_public_once_closed(app, make, db, client):
    room = _closed_vote(make, db, "representatives_assembly")
    page = f"/votes/{room.vote.id}/receipts"
    assert client.get(page).status_code == 409
    _close(room, db)
    assert _statuses(app, room, page, api=False) == EVERYONE
    assert client.get(f"/api/v1/votes/{room.vote.id}/receipts").get_json()["result"]["passed"] is True
    assert client.get("/api/v1/votes/99999/receipts").status_code == 404


def test_the_admins_flag_makes_a_body_public_and_is_audited(app, make, db):
    room = _closed_vote(make, db, "two_committees")
    _close(room, db)
    admin = make.user(room.community, name="管理员", roles=("admin",))
    url = f"/c/{room.community.id}/admin/bodies/{room.body.id}/public"
    page = f"/votes/{room.vote.id}/receipts"
    assert fresh(app).get(page).status_code == 404

    staff = fresh(app)
    login(staff, room.staff)
    assert staff.post(url, data={"is_public": "y"}).status_code == 403
    client = fresh(app)
    login(client, admin)
    assert client.post(url, data={"is_public": "y"}).status_code == 302
    db.session.expire_all()
    assert room.body.is_public and room.body.is_marked_public
    event = AuditEvent.query.filter_by(action="body.publicity_changed", object_id=room.body.id).one()
    assert event.actor_id == admin.id
    assert "公开" in client.get(f"/c/{room.community.id}/admin/bodies/{room.body.id}").get_data(as_text=True)
    assert fresh(app).get(page).status_code == 200
    # As public as a 居民会议: the community's residents may now observe its meetings.
    assert room.meeting.can_view(room.resident)

    assert client.post(url, data={}).status_code == 302    # unticked: no longer public
    db.session.expire_all()
    assert not room.body.is_public
    assert fresh(app).get(page).status_code == 404
    # 居民会议 is public by law and stays so.
    assembly = room.community.body_by_preset("residents_assembly")
    client.post(f"/c/{room.community.id}/admin/bodies/{assembly.id}/public", data={})
    db.session.expire_all()
    assert assembly.is_public and AuditEvent.query.filter_by(action="body.publicity_changed").count() == 2
