"""Meeting operations in process: snapshot, presence messages, plan with the notice, audit."""
from datetime import timedelta

import pytest

from app.core.audit import AuditEvent
from app.core.refusal import Refused
from app.core.timeutil import utcnow
from app.meetings import live, operations
from tests.integration.live_helpers import Meeting


def test_members_are_a_snapshot_taken_at_announcement(make, db):
    room = Meeting(make, db)
    late = make.user(room.community, name="后来者")
    make.member(room.body, late)
    assert room.meeting.member(late) is None
    assert live.quorum(room.meeting)["members"] == 5
    assert not live.join_online(late, room.meeting)


def test_presence_message_is_full_in_a_small_room_and_a_delta_in_a_big_one(make, db, monkeypatch):
    room = Meeting(make, db)
    room.start(db)
    live.join_online(room.members[0], room.meeting)
    live.check_in(room.secretary, room.meeting, room.members[1].id)
    db.session.commit()
    small = live.presence_update(room.meeting, {room.members[0].id})
    assert small["present"] == {str(room.members[0].id): "online", str(room.members[1].id): "hall"}
    monkeypatch.setattr(live, "FULL_PRESENCE_UP_TO", 2)
    live.leave_online(room.members[0].id, room.id)
    db.session.commit()
    big = live.presence_update(room.meeting, {room.members[0].id, room.members[1].id})
    assert "present" not in big
    assert big["changes"] == {str(room.members[0].id): None, str(room.members[1].id): "hall"}
    assert big["quorum"]["present"] == 1


def test_leaving_never_removes_hall_attendance(make, db):
    room = Meeting(make, db)
    room.start(db)
    live.check_in(room.secretary, room.meeting, room.members[0].id)
    live.join_online(room.members[0], room.meeting)
    assert not live.leave_online(room.members[0].id, room.id)


def test_party_assembly_needs_the_plan_with_the_notice(make, db):
    community = make.community()
    body = community.body_by_preset("party_members_assembly")
    chair = make.user(community)
    make.member(body, chair, role="chair")
    meeting = operations.create_meeting(chair, body, title="党员大会", start_dt=utcnow() + timedelta(days=5))
    operations.add_item(chair, meeting, title="发展党员")
    with pytest.raises(Refused, match="会议方案"):
        operations.announce(chair, meeting)
    meeting.notice_text = "会议方案：……"
    operations.announce(chair, meeting)
    assert meeting.state.value == "announced"


def test_organising_is_for_chair_secretary_and_staff(make, db):
    community = make.community()
    body = community.body_by_preset("two_committees")
    member, staff = make.user(community), make.user(community, roles=["staff"])
    make.member(body, member)
    start = utcnow() + timedelta(days=2)
    with pytest.raises(Refused):
        operations.create_meeting(member, body, title="x", start_dt=start)
    meeting = operations.create_meeting(staff, body, title="x", start_dt=start)
    with pytest.raises(Refused, match="议程"):
        operations.announce(staff, meeting)
    operations.cancel(staff, meeting, "改期")
    with pytest.raises(Refused):
        operations.add_item(staff, meeting, title="y")
    db.session.commit()
    actions = [e.action for e in AuditEvent.query.filter_by(object_type="meetings", object_id=meeting.id)
                                       .order_by(AuditEvent.id)]
    assert actions == ["meeting.created", "meeting.cancelled"]
