"""Votes in the live room over /live: the events people see, on a real gevent server."""
import queue
import time

import pytest

from app.meetings import live
from tests.integration.live_helpers import Meeting

pytestmark = pytest.mark.live


def seated(make, db, clients, hall=1):
    room = Meeting(make, db)
    room.start(db)
    for member in room.members[:hall]:
        live.check_in(room.secretary, room.meeting, member.id)
    db.session.commit()
    people = {"chair": clients(room.chair), "secretary": clients(room.secretary)}
    for i, member in enumerate(room.members):
        people[i] = clients(member)
    for client in people.values():
        assert client.join(room.id)["ok"]
    return room, people


def heard_until(client, event, timeout=5):
    """(names of the events the client heard before `event`, that event's data)."""
    names, deadline = [], time.time() + timeout
    while True:
        try:
            name, data = client.events.get(timeout=max(deadline - time.time(), 0.01))
        except queue.Empty:
            raise AssertionError(f"{client.user.name} did not receive {event}; heard {names}") from None
        if name == event:
            return names, data
        names.append(name)


def test_a_hybrid_named_vote_from_open_to_result(make, db, clients):
    room, people = seated(make, db, clients)
    chair, secretary = people["chair"], people["secretary"]
    refused = people[1].call("open_vote", meeting_id=room.id)
    assert refused["ok"] is False and refused["error"]["code"] == "chair_only"
    ack = chair.call("open_vote", meeting_id=room.id, kind="named")
    assert ack["ok"], ack
    vote_id = ack["vote_id"]
    opened = people[2].wait_for("vote_opened")
    assert opened["vote"]["title"] == "预算" and opened["vote"]["progress"]["eligible"] == 5
    # The hall member cannot vote online; the online members can, with receipts.
    in_hall = people[0].call("cast", vote_id=vote_id, choice="yes", nonce="n0" * 10)
    assert in_hall["ok"] is False and in_hall["error"]["code"] == "in_hall"
    receipts = [people[i].call("cast", vote_id=vote_id, choice="yes", nonce=f"n{i}" * 10) for i in (1, 2)]
    assert all(r["ok"] and r["receipt"] for r in receipts)
    assert chair.call("cast", vote_id=vote_id, choice="no", nonce="chair" * 4)["ok"]
    progress = secretary.wait_for("vote_progress", lambda d: d["cast"] == 3)
    assert progress == {"vote_id": vote_id, "meeting_id": room.id, "cast": 3, "eligible": 5,
                        "remaining": 2, "complete": False, "version": progress["version"]}
    entered = secretary.call("enter_hall_votes", meeting_id=room.id, vote_id=vote_id,
                             entries={str(room.members[0].id): "yes"})
    assert entered["ok"], entered
    # The officers' screens tick the hall member off (ids only); nobody else hears of it.
    for officer in (secretary, chair):
        heard = officer.wait_for("hall_entered")
        assert heard == {"vote_id": vote_id, "meeting_id": room.id, "hall_entered": [room.members[0].id],
                         "version": heard["version"]}   # the room's version, not raised
    closed = chair.call("close_vote", meeting_id=room.id, vote_id=vote_id)
    assert closed["ok"] and closed["result"]["passed"] is True
    for client in (people[0], people[1], secretary):
        before, heard = heard_until(client, "vote_closed")
        assert heard["result"]["text"] == closed["result"]["text"]
        assert "赞成 3 票" in heard["result"]["text"]
        if client is not secretary:
            assert "vote_progress" in before and "hall_entered" not in before
    state = people[1].join(room.id)["state"]
    assert state["votes"][0]["state"] == "closed"
    assert state["votes"][0]["me"]["receipt"] == receipts[0]["receipt"]


def test_a_secret_vote_shows_counts_only_until_the_close(make, db, clients):
    room, people = seated(make, db, clients, hall=0)
    vote_id = people["chair"].call("open_vote", meeting_id=room.id, kind="secret")["vote_id"]
    people[0].call("cast", vote_id=vote_id, choice="no", nonce="s0" * 10)
    progress = people[1].wait_for("vote_progress")
    assert set(progress) == {"vote_id", "meeting_id", "cast", "eligible", "remaining", "complete", "version"}
    state = people[1].join(room.id)["state"]
    assert state["votes"][0]["result"] is None and "hall_totals" not in state["votes"][0]
    outsider = clients(room.stranger)
    assert outsider.call("cast", vote_id=vote_id, choice="yes", nonce="x" * 20)["error"]["code"] == "not_found"
    assert outsider.call("join", meeting_id=room.id)["ok"] is False


def test_auto_close_when_everyone_present_has_voted(make, db, clients):
    room, people = seated(make, db, clients, hall=0)
    vote_id = people["chair"].call("open_vote", meeting_id=room.id, auto_close=True)["vote_id"]
    voters = [people["chair"], people["secretary"], people[0], people[1], people[2]]
    for i, client in enumerate(voters):
        assert client.call("cast", vote_id=vote_id, choice="yes", nonce=f"auto{i}" * 5)["ok"]
    closed = people[0].wait_for("vote_closed", timeout=5)
    assert closed["vote_id"] == vote_id and closed["result"]["passed"] is True
