"""Time is law: a meeting starts no earlier than its announced time (less the set-up margin) on
every path; postponing or editing an announced meeting tells its members; an item added after the
notice cannot be voted on unless it went out with the notice period; cancelling says why."""
import re
from datetime import timedelta

import pytest
import requests

from app.core.audit import AuditEvent
from app.core.notify import Notification
from app.core.refusal import Refused
from app.core.timeutil import to_local, utcnow
from app.meetings import live, operations
from app.meetings.workflow import MeetingState
from tests.conftest import api_token, login
from tests.integration.live_helpers import Meeting, token


def ahead(room, db, days=10, title="十天后的会议"):
    """A meeting of the room's body announced now for `days` ahead: the issue's case."""
    start = utcnow() + timedelta(days=days)
    meeting = operations.create_meeting(room.chair, room.body, title=title, start_dt=start, place="社区会议室")
    operations.add_item(room.chair, meeting, title="预算")
    operations.announce(room.chair, meeting)
    db.session.commit()
    return meeting


def bearer(client, user):
    return {"Authorization": f"Bearer {api_token(client, user)}"}


def notes(user, since_id=0):
    return [n.text for n in Notification.query.filter(Notification.user_id == user.id,
                                                      Notification.id > since_id).order_by(Notification.id)]


def last_note_id():
    return max([n.id for n in Notification.query.all()] or [0])


# -- the start window ------------------------------------------------------------------------

@pytest.mark.live
def test_starting_early_over_live_is_refused_with_the_time(make, db, clients):
    room = Meeting(make, db)
    early = ahead(room, db)
    chair = clients(room.chair)
    assert chair.join(early.id)["ok"]
    ack = chair.call("start_meeting", meeting_id=early.id)
    assert ack["ok"] is False and ack["error"]["code"] == "too_early", ack
    assert ack["error"]["message"].startswith("会议定于 ") and "最早可于" in ack["error"]["message"]
    db.session.expire_all()
    assert early.state is MeetingState.ANNOUNCED and early.started_dt is None
    # The meeting that is due (ten minutes from now, inside the 30-minute margin) starts.
    assert chair.join(room.id)["ok"]
    assert chair.call("start_meeting", meeting_id=room.id) == {"ok": True, "state": "live"}


def test_starting_early_through_the_api_is_refused(make, db, client):
    room = Meeting(make, db)
    early = ahead(room, db)
    chair = bearer(client, room.chair)
    refused = client.post(f"/api/v1/meetings/{early.id}/start", headers=chair)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "too_early"
    assert "最早可于" in refused.get_json()["error"]["message"]
    member = client.post(f"/api/v1/meetings/{room.id}/start", headers=bearer(client, room.members[0]))
    assert member.status_code == 403
    started = client.post(f"/api/v1/meetings/{room.id}/start", headers=chair)
    assert started.status_code == 200 and started.get_json()["state"] == "live"
    again = client.post(f"/api/v1/meetings/{room.id}/start", headers=chair)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "wrong_state"
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "post" in spec["paths"]["/api/v1/meetings/{meeting_id}/start"]
    assert "patch" in spec["paths"]["/api/v1/meetings/{meeting_id}"]


def test_the_operation_keeps_the_configured_margin(app, make, db):
    room = Meeting(make, db)   # due in ten minutes
    app.config["MEETING_EARLY_START_MINUTES"] = 0
    try:
        with pytest.raises(Refused) as refused:
            operations.start(room.chair, room.meeting)
        assert refused.value.code == "too_early"
        db.session.rollback()
        operations.start(room.chair, room.meeting, now=room.meeting.start_dt)   # exactly on time
    finally:
        app.config["MEETING_EARLY_START_MINUTES"] = 30
    assert room.meeting.state is MeetingState.LIVE


def test_an_early_meeting_offers_the_start_button_but_nothing_starts_it(make, db, client):
    room = Meeting(make, db)
    early = ahead(room, db)
    login(client, room.chair)
    page = client.get(f"/meetings/{early.id}/room")
    assert page.status_code == 200 and 'data-command="start_meeting"' in page.get_data(as_text=True)
    assert AuditEvent.query.filter_by(action="meeting.started", object_id=early.id).count() == 0


# -- postponing and editing ------------------------------------------------------------------

def test_postponing_on_the_page_notifies_every_member(make, db, client):
    room = Meeting(make, db)
    before = last_note_id()
    login(client, room.chair)
    page = client.get(f"/meetings/{room.id}")
    assert 'id="reschedule"' in page.get_data(as_text=True)
    later = room.meeting.start_dt + timedelta(days=7)
    response = client.post(f"/meetings/{room.id}/edit", data={
        "title": "月度例会（改期）", "place": "社区活动中心二楼",
        "start": to_local(later).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert room.meeting.title == "月度例会（改期）" and room.meeting.place == "社区活动中心二楼"
    assert room.meeting.start_dt == later.replace(second=0, microsecond=0)
    for member in room.members + [room.secretary]:
        [text] = notes(member, before)
        assert "推迟" in text and "社区活动中心二楼" in text and "月度例会（改期）" in text
    assert notes(room.resident, before) == []      # not a member
    event = AuditEvent.query.filter_by(action="meeting.rescheduled", object_id=room.id).one()
    assert event.actor_id == room.chair.id
    # A member may not.
    with pytest.raises(Refused):
        operations.reschedule(room.members[0], room.meeting, title="x")


def test_moving_earlier_needs_the_notice_period(make, db, client):
    room = Meeting(make, db)               # 两委联席会议: one day's notice
    meeting = ahead(room, db, days=10)
    chair = bearer(client, room.chair)
    url = f"/api/v1/meetings/{meeting.id}"
    too_soon = (utcnow() + timedelta(hours=20)).replace(microsecond=0).isoformat() + "+00:00"
    refused = client.patch(url, headers=chair, json={"start_dt": too_soon})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "notice_too_short" and "须不早于" in error["message"]
    in_time = utcnow() + timedelta(days=2)
    moved = client.patch(url, headers=chair, json={"start_dt": in_time.isoformat() + "+00:00",
                                                    "place": "二楼"})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["place"] == "二楼"
    assert "提前" in notes(room.members[0])[-1]
    # Nothing to change, or a meeting already live: refused.
    assert client.patch(url, headers=chair, json={"place": "二楼"}).status_code == 422
    room.start(db)
    late = client.patch(f"/api/v1/meetings/{room.id}", headers=chair, json={"title": "x"})
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "wrong_state"


# -- items added after the notice ----------------------------------------------------------------

def test_a_late_item_for_a_vote_is_refused_and_a_discussion_item_cannot_be_voted_on(make, db, client):
    room = Meeting(make, db)   # announced long ago, due in ten minutes
    chair = bearer(client, room.chair)
    agenda = f"/api/v1/meetings/{room.id}/agenda"
    refused = client.post(agenda, headers=chair, json={"title": "追加预算"})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "item_too_late" and "不早于" in error["message"] and "讨论事项" in error["message"]
    before = last_note_id()
    added = client.post(agenda, headers=chair, json={"title": "追加预算", "for_vote": False})
    assert added.status_code == 201, added.get_json()
    item = added.get_json()
    assert item["for_vote"] is False and item["is_late"] is True and item["noticed_dt"] is None
    assert "追加预算" in notes(room.members[0], before)[0]
    # The page says which items are for a vote and which came late.
    login(client, room.chair)
    html = client.get(f"/meetings/{room.id}").get_data(as_text=True)
    assert f'data-item-id="{item["id"]}" data-for-vote="false" data-late="true" data-votable="false"' in html
    assert 'data-for-vote="true" data-late="false" data-votable="true"' in html
    room.start(db)
    for user in (room.chair, *room.members):
        live.check_in(room.chair, room.meeting, user.id)
    live.next_item(room.chair, room.meeting, 3)
    db.session.commit()
    opened = client.post(f"/api/v1/meetings/{room.id}/votes", headers=chair, json={"kind": "named"})
    assert opened.status_code == 409
    assert opened.get_json()["error"]["code"] == "item_not_in_notice"
    # An item that was in the notice can still be voted on.
    live.next_item(room.chair, room.meeting, 0)
    db.session.commit()
    assert client.post(f"/api/v1/meetings/{room.id}/votes", headers=chair, json={"kind": "named"}).status_code == 201


def test_a_late_item_in_time_goes_out_with_the_notice_and_can_be_voted_on(make, db):
    room = Meeting(make, db)
    meeting = ahead(room, db, days=10)
    before = last_note_id()
    item = operations.add_item(room.chair, meeting, title="加装电梯", for_vote=True)
    db.session.commit()
    assert item.noticed_dt is not None and item.is_votable and item.is_late
    assert any("加装电梯" in text and "表决事项" in text for text in notes(room.members[1], before))
    assert AuditEvent.query.filter_by(action="meeting.item_added", object_id=meeting.id).count() == 2


@pytest.mark.live
def test_open_vote_over_live_refuses_an_item_not_in_the_notice(make, db, clients):
    room = Meeting(make, db)
    operations.add_item(room.chair, room.meeting, title="临时动议", for_vote=False)
    db.session.commit()
    room.start(db)
    for user in room.members:
        live.check_in(room.chair, room.meeting, user.id)
    db.session.commit()
    chair = clients(room.chair)
    state = chair.join(room.id)["state"]
    assert [i["votable"] for i in state["agenda"]] == [True, True, True, False]
    assert chair.call("next_item", meeting_id=room.id, index=3)["ok"]
    ack = chair.call("open_vote", meeting_id=room.id, kind="named")
    assert ack["ok"] is False and ack["error"]["code"] == "item_not_in_notice", ack


# -- cancelling --------------------------------------------------------------------------------

@pytest.mark.live
def test_cancelling_tells_every_member_and_the_open_room_why(make, db, clients, server):
    room = Meeting(make, db)
    member = clients(room.members[0])
    assert member.join(room.id)["ok"]
    before = last_note_id()
    reason = "台风预警，改日再开"
    response = requests.post(f"{server.url}/api/v1/meetings/{room.id}/cancel", timeout=10,
                             headers={"Authorization": f"Bearer {token(db, room.chair)}"},
                             json={"reason": reason})
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "cancelled" and response.json()["cancel_reason"] == reason
    heard = member.wait_for("state")
    assert (heard["meeting_id"], heard["state"], heard["reason"]) == (room.id, "cancelled", reason)
    db.session.expire_all()
    for user in [room.chair, room.secretary, *room.members]:
        assert any(reason in text for text in notes(user, before)), user.name
    # A (re)joined room and both pages show the reason.
    assert member.join(room.id)["state"]["meeting"]["cancel_reason"] == reason


def test_cancelled_pages_show_the_reason(make, db, client):
    room = Meeting(make, db)
    operations.cancel(room.chair, room.meeting, "场地被占用")
    db.session.commit()
    login(client, room.members[0])
    show = client.get(f"/meetings/{room.id}").get_data(as_text=True)
    assert 'data-cancel-reason>场地被占用<' in show
    page = client.get(f"/meetings/{room.id}/room")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<span id="cancel-reason">场地被占用</span>' in html
    assert "hidden" not in re.search(r'<p id="cancelled"[^>]*>', html).group()
    with pytest.raises(Refused):
        operations.cancel(room.chair, room.meeting, "")
