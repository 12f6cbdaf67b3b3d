"""A big room: ordinary members get counts and their own entry, the officers the whole roster.

In process (Flask-SocketIO's test client); the threshold is lowered so that the five-member body
of `live_helpers.Meeting` counts as big.
"""
import pytest

from app.extensions import socketio
from app.meetings import room
from tests.integration.live_helpers import Meeting, token


@pytest.fixture()
def big(monkeypatch, make, db):
    monkeypatch.setattr(room, "FULL_ROSTER_UP_TO", 3)
    meeting = Meeting(make, db)
    meeting.start(db)
    return meeting


def joined(app, db, user, meeting_id):
    live = socketio.test_client(app, namespace="/live", auth={"token": token(db, user)})
    ack = live.emit("join", {"meeting_id": meeting_id}, namespace="/live", callback=True)
    assert ack["ok"], ack
    return live, ack["state"]


def test_a_member_of_a_big_room_gets_counts_and_their_own_entry(app, db, big):
    member = big.members[0]
    live, state = joined(app, db, member, big.id)
    assert state["roster_complete"] is False and state["members_total"] == 5
    assert [m["user_id"] for m in state["members"]] == [member.id]
    assert state["present"] == {str(member.id): "online"}     # their own check-in, nobody else's
    assert state["quorum"]["present"] == 1 and state["quorum"]["members"] == 5
    live.disconnect(namespace="/live")


def test_the_officers_of_a_big_room_get_everyone(app, db, big):
    everyone = {big.chair.id, big.secretary.id, *(m.id for m in big.members)}
    member, secretary = big.members[0].id, big.secretary.id
    joined(app, db, big.members[0], big.id)
    live, state = joined(app, db, big.secretary, big.id)
    assert state["me"]["role"] == "secretary"
    assert state["roster_complete"] is True and state["members_total"] == 5
    assert {m["user_id"] for m in state["members"]} == everyone
    assert set(state["present"]) == {str(member), str(secretary)}
    assert state["quorum"]["present"] == 2
    live.disconnect(namespace="/live")


def test_a_small_room_gives_everyone_the_roster(app, make, db):
    meeting = Meeting(make, db)
    meeting.start(db)
    _, state = joined(app, db, meeting.members[1], meeting.id)
    assert state["roster_complete"] is True and len(state["members"]) == 5


def test_the_agenda_a_join_sends_follows_edits_until_the_meeting_starts(app, make, db):
    from app.auth.models import User
    from app.meetings import operations
    from app.meetings.models import Meeting as MeetingRow

    meeting = Meeting(make, db)
    chair, members = meeting.chair.id, [m.id for m in meeting.members]

    def titles(user_id):
        _, state = joined(app, db, db.session.get(User, user_id), meeting.id)
        return [i["title"] for i in state["agenda"]], state["agenda"]

    assert titles(members[0])[0] == ["预算", "绿化", "停车"]
    operations.add_item(db.session.get(User, chair), db.session.get(MeetingRow, meeting.id), title="加装电梯",
                        for_vote=False)   # after the notice, too late to be voted on
    db.session.commit()
    assert titles(members[1])[0][-1] == "加装电梯"     # announced: still editable, so never kept
    operations.start(db.session.get(User, chair), db.session.get(MeetingRow, meeting.id))
    db.session.commit()
    for member in members:
        names, agenda = titles(member)
        assert names == ["预算", "绿化", "停车", "加装电梯"]
        assert agenda[0]["description_html"].count("<strong>预算</strong>") == 1


def test_the_heartbeat_is_configurable(make):
    from app import create_app

    create_app({"TESTING": True, "SOCKETIO_PING_INTERVAL": 10, "SOCKETIO_PING_TIMEOUT": 40})
    assert (socketio.server.eio.ping_interval, socketio.server.eio.ping_timeout) == (10, 40)
