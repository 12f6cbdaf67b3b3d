"""A 居民会议 on the household base: every count of presence is in households (户), the same numbers
the vote uses — the room's meter for the chair and a member, the open-vote check, the vote, the API,
the minutes — and a household's other adults see at once that it has voted, and by whom."""
from datetime import timedelta

import pytest

from app.core.timeutil import utcnow
from app.meetings import live
from app.meetings import operations as meetings
from app.meetings import room as meeting_room
from app.votes import operations as votes
from app.votes import present
from tests.conftest import api_token


class Assembly:
    """Six voting residents in four households: 王 (three adults), the chair's, 李, 赵."""

    def __init__(self, make, db):
        self.community = make.community()
        self.body = self.community.body_by_preset("residents_assembly")
        self.body.residents_base = "households"
        db.session.commit()
        self.chair = make.user(self.community, name="主任", room="102")
        self.wife = make.user(self.community, name="王阿姨", room="101")
        self.husband = make.user(self.community, name="王叔叔", room="101")
        self.grandma = make.user(self.community, name="王奶奶", room="101")
        self.li = make.user(self.community, name="李四", room="103")
        self.zhao = make.user(self.community, name="赵五", room="104")
        make.member(self.body, self.chair, role="chair")
        for user in (self.wife, self.husband, self.grandma, self.li, self.zhao):
            make.member(self.body, user)
        start = utcnow() + timedelta(minutes=10)   # due: inside the set-up margin
        self.meeting = meetings.create_meeting(self.chair, self.body, title="居民公约", start_dt=start)
        meetings.add_item(self.chair, self.meeting, title="修订居民公约")
        meetings.announce(self.chair, self.meeting, now=start - timedelta(days=30))
        meetings.start(self.chair, self.meeting)
        db.session.commit()
        self.id = self.meeting.id


def households_meter(quorum, present, met):
    assert quorum["base"] == "households" and quorum["unit"] == "户"
    assert (quorum["members"], quorum["present"], quorum["minimum"], quorum["met"]) == (4, present, 3, met)
    assert f"应到 4 户，实到 {present} 户" in quorum["text"]


@pytest.mark.live
def test_meter_open_check_and_vote_agree_and_the_household_sees_who_voted(make, db, clients):
    hall = Assembly(make, db)
    chair, wife, husband, grandma = (clients(u) for u in (hall.chair, hall.wife, hall.husband, hall.grandma))
    for client in (chair, wife, husband, grandma):
        assert client.join(hall.id)["ok"]
    # Four of six people, but two of four households: exactly half is not 过半数, on every screen.
    for client in (grandma, chair):
        state = client.join(hall.id)["state"]
        households_meter(state["quorum"], present=2, met=False)
        assert state["quorum"]["persons"] == {"members": 6, "present": 4}
    refused = chair.call("open_vote", meeting_id=hall.id)
    assert refused["ok"] is False and refused["error"]["code"] == "no_quorum"
    assert "应到 4 户，实到 2 户" in refused["error"]["message"]

    # One household more (李四, checked in in the hall by the chair): the meter and the check agree.
    chair.drain()
    assert chair.call("check_in", meeting_id=hall.id, user_id=hall.li.id)["ok"]
    moved = chair.wait_for("presence_changed", lambda d: d["quorum"]["present"] == 3)
    households_meter(moved["quorum"], present=3, met=True)
    households_meter(wife.join(hall.id)["state"]["quorum"], present=3, met=True)
    opened = chair.call("open_vote", meeting_id=hall.id, kind="secret")
    assert opened["ok"], opened
    vote_id = opened["vote_id"]
    announced = husband.wait_for("vote_opened")["vote"]
    assert (announced["unit"], announced["eligible"], announced["progress"]["eligible"]) == ("户", 4, 3)

    # 王阿姨 casts for the household: 王叔叔 and 王奶奶 hear it without tapping; nobody else does.
    for client in (chair, wife, husband, grandma):
        client.drain()
    assert wife.call("cast", vote_id=vote_id, choice="yes", nonce="wang-0123456789ab")["ok"]
    fact = {"vote_id": vote_id, "meeting_id": hall.id, "by": "王阿姨", "by_user_id": hall.wife.id}
    assert husband.wait_for("household_voted") == fact
    assert grandma.wait_for("household_voted") == fact
    chair.wait_for("vote_progress", lambda d: d["cast"] == 1)
    for client in (chair, wife):
        heard = []
        while not client.events.empty():
            heard.append(client.events.get_nowait()[0])
        assert "household_voted" not in heard
    taken = husband.call("cast", vote_id=vote_id, choice="no", nonce="wang-1123456789ab")
    assert taken["ok"] is False and taken["error"]["code"] == "household_already_cast"

    # 王奶奶's phone slept: coming back, her screen says who voted for the household.
    grandma.close()
    late = clients(hall.grandma)
    me = late.join(hall.id)["state"]["votes"][0]["me"]
    assert me["household_voted"] == {"by": "王阿姨", "by_user_id": hall.wife.id}
    assert me["can_cast"] is False and me["voted"] is False
    assert "household_voted" not in wife.join(hall.id)["state"]["votes"][0]["me"]

    closed = chair.call("close_vote", meeting_id=hall.id, vote_id=vote_id)
    assert closed["ok"], closed
    result = closed["result"]
    assert (result["unit"], result["members"], result["present"]) == ("户", 4, 3)
    assert "应到 4 户，实到 3 户" in result["text"]


def test_a_big_room_shows_a_member_the_meter_in_households(make, db, monkeypatch):
    """Above FULL_ROSTER_UP_TO a member's join gets the counts only: in households too."""
    hall = Assembly(make, db)
    for user in (hall.chair, hall.wife, hall.husband, hall.li):
        live.join_online(user, hall.meeting)
    db.session.commit()
    monkeypatch.setattr(meeting_room, "FULL_ROSTER_UP_TO", 1)
    monkeypatch.setattr(meeting_room, "_present_counts", {})
    state = meeting_room.state(hall.meeting, hall.zhao)
    assert state["roster_complete"] is False
    households_meter(state["quorum"], present=3, met=True)
    assert state["quorum"] == live.quorum(hall.meeting)
    officer = meeting_room.state(hall.meeting, hall.chair)
    assert officer["roster_complete"] is True and officer["quorum"] == state["quorum"]


def test_exactly_half_the_households_cannot_open_a_vote_and_one_more_can(make, db):
    hall = Assembly(make, db)
    for user in (hall.chair, hall.wife, hall.husband, hall.grandma):
        live.join_online(user, hall.meeting)
    db.session.commit()
    households_meter(live.quorum(hall.meeting), present=2, met=False)
    with pytest.raises(Exception) as refused:
        votes.open_vote(hall.chair, hall.meeting)
    assert getattr(refused.value, "code", None) == "no_quorum"
    db.session.rollback()
    live.check_in(hall.chair, hall.meeting, hall.zhao.id)
    db.session.commit()
    households_meter(live.quorum(hall.meeting), present=3, met=True)
    vote = votes.open_vote(hall.chair, hall.meeting)
    db.session.commit()
    assert present.vote_view(vote)["eligible"] == 4 and present.progress_view(vote)["eligible"] == 3


def test_the_api_and_the_minutes_count_households(make, db, client):
    hall = Assembly(make, db)
    for user in (hall.chair, hall.wife, hall.husband, hall.li):
        live.join_online(user, hall.meeting)
    db.session.commit()
    token = api_token(client, hall.wife)
    response = client.get(f"/api/v1/meetings/{hall.id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    quorum = response.get_json()["quorum"]
    households_meter(quorum, present=3, met=True)
    assert quorum["persons"] == {"members": 6, "present": 4}
    meetings.end_meeting(hall.chair, hall.meeting)
    db.session.commit()
    minutes = hall.meeting.minutes_text
    assert "出席：应到 4 户，实到 3 户（> 1/2 即 3 户，符合法定人数）" in minutes
    assert "出席成员 4 人（共 6 人）" in minutes
    # The public notice board says the same of the meeting (居民会议 is public).
    notice = client.get(f"/api/v1/notices/meeting/{hall.id}").get_json()
    assert notice["detail"]["attendance"] == {"expected": 4, "present": 3, "unit": "户"}
    page = client.get(f"/notice/meeting/{hall.id}").get_data(as_text=True)
    assert 'data-unit="户"' in page and "应到 4 户，实到 3 户" in page


def test_the_api_counts_people_on_the_other_bases(make, db, client):
    community = make.community()
    body = community.body_by_preset("two_committees")
    chair = make.user(community, name="书记")
    make.member(body, chair, role="chair")
    meeting = meetings.create_meeting(chair, body, title="例会", start_dt=utcnow() + timedelta(hours=1))
    db.session.commit()
    headers = {"Authorization": f"Bearer {api_token(client, chair)}"}
    assert client.get(f"/api/v1/meetings/{meeting.id}", headers=headers).get_json()["quorum"] is None
    meetings.add_item(chair, meeting, title="预算")
    meetings.announce(chair, meeting, now=utcnow() - timedelta(days=3))
    db.session.commit()
    quorum = client.get(f"/api/v1/meetings/{meeting.id}", headers=headers).get_json()["quorum"]
    assert (quorum["unit"], quorum["base"], quorum["members"], quorum["present"]) == ("人", "persons", 1, 0)
