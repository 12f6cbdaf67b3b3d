"""The live room over /live on a real gevent server: python-socketio clients on a loopback port."""
import pytest

from tests.integration.live_helpers import Meeting

pytestmark = pytest.mark.live


@pytest.fixture()
def room(make, db):
    return Meeting(make, db)


def refused(ack, code=None, message=None):
    assert ack["ok"] is False, ack
    if code:
        assert ack["error"]["code"] == code, ack
    if message:
        assert message in ack["error"]["message"], ack
    return ack["error"]


def test_join_acknowledges_the_full_state(room, clients, db):
    room.start(db)
    member = clients(room.members[0])
    ack = member.join(room.id)
    assert ack["ok"], ack
    state = ack["state"]
    assert state["meeting"]["title"] == "月度例会" and state["meeting"]["state"] == "live"
    assert [i["title"] for i in state["agenda"]] == ["预算", "绿化", "停车"]
    assert "<strong>预算</strong>" in state["agenda"][0]["description_html"]
    assert state["current_item"] == 0
    assert {m["name"] for m in state["members"]} == {"主持人", "记录员", "成员0", "成员1", "成员2"}
    assert state["me"]["role"] == "member" and not state["me"]["can_chair"]
    assert state["present"] == {str(room.members[0].id): "online"}
    assert state["quorum"]["members"] == 5 and state["quorum"]["present"] == 1
    assert state["votes"] == [] and state["speakers"] == [] and state["chat"] == []


def test_people_outside_the_body_are_refused(room, clients, db):
    room.start(db)
    refused(clients(room.stranger).join(room.id), "not_found")
    refused(clients(room.resident).join(room.id), "not_found")  # not a public body: no observers
    refused(clients(room.members[0]).call("join", meeting_id="x"), "invalid_payload")


def test_presence_and_quorum_update_for_everyone(room, clients, db):
    room.start(db)
    chair = clients(room.chair)
    assert chair.join(room.id)["ok"]
    for member in room.members[:2]:
        assert clients(member).join(room.id)["ok"]
    data = chair.wait_for("presence_changed", lambda d: d["quorum"]["present"] == 3)
    assert data["quorum"]["met"] is True and data["quorum"]["minimum"] == 3   # > 1/2 of 5
    assert "应到 5 人，实到 3 人" in data["quorum"]["text"]
    # The secretary checks in a member without a phone, in the hall.
    secretary = clients(room.secretary)
    assert secretary.join(room.id)["ok"]
    ack = secretary.call("check_in", meeting_id=room.id, user_id=room.members[2].id)
    assert ack == {"ok": True, "changed": True}
    data = chair.wait_for("presence_changed", lambda d: d["present"].get(str(room.members[2].id)) == "hall")
    assert data["quorum"]["present"] == 5
    # A member leaving the room online is no longer present; hall attendance stays.
    clients.open[1].close()
    data = chair.wait_for("presence_changed", lambda d: str(room.members[0].id) not in d["present"])
    assert data["present"][str(room.members[2].id)] == "hall"


def test_hall_attendance_stays_hall_when_joining_online(room, clients, db):
    room.start(db)
    secretary = clients(room.secretary)
    assert secretary.join(room.id)["ok"]
    assert secretary.call("check_in", meeting_id=room.id, user_id=room.members[0].id)["ok"]
    state = clients(room.members[0]).join(room.id)["state"]
    assert state["present"][str(room.members[0].id)] == "hall"
    member = clients(room.members[1])
    refused(member.call("check_in", meeting_id=room.id, user_id=room.members[2].id),
            "secretary_only", "只有记录员")
    # A member in the hall checks in with the code on the projector.
    from app.meetings import live

    refused(member.call("check_in", meeting_id=room.id, token="stale"), "stale_token", "二维码已过期")
    token = live.current_hall_token(room.meeting)
    assert member.call("check_in", meeting_id=room.id, token=token) == {"ok": True, "changed": True}
    data = secretary.wait_for("presence_changed", lambda d: d["present"].get(str(room.members[1].id)) == "hall")
    assert data["present"][str(room.members[0].id)] == "hall"


def test_chair_only_commands_are_refused_for_members(room, clients, db):
    room.start(db)
    member = clients(room.members[0])
    assert member.join(room.id)["ok"]
    refused(member.call("next_item", meeting_id=room.id), "chair_only", "只有主持人可以切换议程")
    refused(member.call("give_floor", meeting_id=room.id), "chair_only", "只有主持人")
    refused(member.call("add_speaker", meeting_id=room.id, user_id=room.members[1].id), "chair_only")
    refused(member.call("end_meeting", meeting_id=room.id), "chair_only", "散会")
    refused(member.call("hide_chat", meeting_id=room.id, message_id=1), "chair_only")
    refused(clients(room.stranger).call("next_item", meeting_id=room.id), "not_found")


def test_chair_moves_the_agenda_and_everyone_follows(room, clients, db):
    room.start(db)
    chair, member = clients(room.chair), clients(room.members[0])
    assert chair.join(room.id)["ok"] and member.join(room.id)["ok"]
    assert chair.call("next_item", meeting_id=room.id) == {"ok": True, "index": 1}
    assert member.wait_for("item_changed")["index"] == 1
    assert chair.call("next_item", meeting_id=room.id, index=0)["index"] == 0
    assert member.wait_for("item_changed")["title"] == "预算"
    refused(chair.call("next_item", meeting_id=room.id, index=7), "no_such_item")


def test_speakers_queue_and_the_floor(room, clients, db):
    room.start(db)
    chair, member = clients(room.chair), clients(room.members[0])
    assert chair.join(room.id)["ok"] and member.join(room.id)["ok"]
    assert member.call("raise_hand", meeting_id=room.id)["ok"]
    queue = chair.wait_for("speakers_changed")["speakers"]
    assert [(s["name"], s["state"], s["source"]) for s in queue] == [("成员0", "waiting", "online")]
    refused(member.call("raise_hand", meeting_id=room.id), "already_queued")
    # The chair adds someone in the hall and gives the floor to the first in line.
    assert chair.call("add_speaker", meeting_id=room.id, user_id=room.members[1].id)["ok"]
    assert chair.call("give_floor", meeting_id=room.id)["ok"]
    queue = member.wait_for("speakers_changed", lambda d: any(s["state"] == "speaking" for s in d["speakers"]))
    speaking = [s for s in queue["speakers"] if s["state"] == "speaking"][0]
    assert speaking["name"] == "成员0" and speaking["limit_seconds"] == 180 and speaking["started_dt"]
    refused(member.call("lower_hand", meeting_id=room.id), "not_queued")
    # Giving the floor to the next one ends the current speech.
    assert chair.call("give_floor", meeting_id=room.id)["ok"]
    queue = member.wait_for("speakers_changed", lambda d: d["speakers"][0]["name"] == "成员1")["speakers"]
    assert [(s["name"], s["state"], s["source"]) for s in queue] == [("成员1", "speaking", "hall")]
    assert chair.call("end_floor", meeting_id=room.id)["ok"]
    assert member.wait_for("speakers_changed", lambda d: d["speakers"] == [])


def test_chat_for_members_read_only_for_observers(make, db, clients):
    public = Meeting(make, db, preset="residents_assembly")
    public.start(db)
    member, observer = clients(public.members[0]), clients(public.resident)
    assert member.join(public.id)["ok"]
    state = observer.join(public.id)["state"]
    assert state["me"]["role"] == "observer" and state["me"]["can_chat"] is False
    assert str(public.resident.id) not in state["present"]    # observers are not attendance
    refused(observer.call("chat", meeting_id=public.id, text="我也说两句"), "read_only", "旁听")
    refused(observer.call("raise_hand", meeting_id=public.id), "not_member")
    ack = member.call("chat", meeting_id=public.id, text="<script>x</script>大家好")
    assert ack["ok"]
    posted = observer.wait_for("chat_posted")["message"]
    assert posted["text"] == "x大家好" and posted["name"] == "成员0"
    refused(member.call("chat", meeting_id=public.id, text="   "), "empty")
    refused(member.call("chat", meeting_id=public.id, text="长" * 501), "too_long")
    chair = clients(public.chair)
    assert chair.join(public.id)["ok"]
    assert chair.call("hide_chat", meeting_id=public.id, message_id=ack["message_id"], reason="离题")["ok"]
    hidden = observer.wait_for("chat_posted", lambda d: d["message"]["is_hidden"])["message"]
    assert hidden["text"] == "" and hidden["hidden_reason"] == "离题"


def test_reconnect_restores_the_state(room, clients, db):
    room.start(db)
    chair, member = clients(room.chair), clients(room.members[0])
    assert chair.join(room.id)["ok"] and member.join(room.id)["ok"]
    assert member.call("chat", meeting_id=room.id, text="我先走开一下")["ok"]
    member.close()
    assert chair.call("next_item", meeting_id=room.id, index=2)["ok"]
    assert chair.call("add_speaker", meeting_id=room.id, user_id=room.members[1].id)["ok"]
    assert chair.call("give_floor", meeting_id=room.id)["ok"]
    member.connect()
    state = member.join(room.id)["state"]
    assert state["current_item"] == 2
    assert [(s["name"], s["state"]) for s in state["speakers"]] == [("成员1", "speaking")]
    assert [m["text"] for m in state["chat"]] == ["我先走开一下"]
    assert state["present"][str(room.members[0].id)] == "online"


def test_start_and_end_the_meeting(room, clients, db):
    chair, member = clients(room.chair), clients(room.members[0])
    state = member.join(room.id)["state"]
    assert state["meeting"]["state"] == "announced"
    assert state["present"] == {str(room.members[0].id): "online"}  # waiting in the room counts
    refused(member.call("start_meeting", meeting_id=room.id), "chair_only")
    assert chair.join(room.id)["ok"]
    assert chair.call("start_meeting", meeting_id=room.id) == {"ok": True, "state": "live"}
    assert member.wait_for("state")["state"] == "live"
    assert chair.call("end_meeting", meeting_id=room.id)["ok"]
    ended = member.wait_for("meeting_ended")
    assert ended["state"] == "ended" and ended["minutes_url"].endswith("/minutes")
    refused(member.call("raise_hand", meeting_id=room.id), "wrong_state")
    refused(chair.call("end_meeting", meeting_id=room.id), "wrong_state")
    db.session.expire_all()
    assert "成员0" in room.meeting.minutes_text
