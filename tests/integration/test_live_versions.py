"""Room versions: a screen is never silently wrong (app/live.py has the protocol).

Every room fact carries the room's version; a screen that sees a gap, or whose periodic `sync`
answers a newer version, joins again. `Screen` below applies the rule of room.js in Python, and
with it every client of two processes ends with the room as the database has it after Redis was
killed mid-meeting and broadcasts were lost.
"""
import queue
import time

import pytest

from app.meetings import live
from app.meetings.models import ChatMessage, Meeting as MeetingRow
from tests.integration.live_helpers import Client, Clients, Meeting

pytestmark = pytest.mark.live

KEEPS_VERSION = {"vote_progress", "hall_entered"}


class Screen(Client):
    """A python-socketio client that keeps the room's chat, presence and version by the rule of
    room.js: facts in version order, a gap left open for `gap_wait` s or a `sync` that answers a
    newer version means joining again."""

    def __init__(self, url, db, user, meeting_id, gap_wait=1.5, sync_every=2.0):
        super().__init__(url, db, user)
        self.meeting_id, self.gap_wait, self.sync_every = meeting_id, gap_wait, sync_every
        self.waiting, self.gap_since, self.synced, self.joins = [], None, time.monotonic(), 0
        self.rejoin()

    def rejoin(self):
        ack = self.call("join", meeting_id=self.meeting_id)
        assert ack["ok"], ack
        state, self.joins = ack["state"], self.joins + 1
        self.last, self.chat, self.present = state["version"], {m["id"]: m for m in state["chat"]}, state["present"]
        self.gap_since = None

    def apply(self, name, data):
        if name == "chat_posted":
            self.chat[data["message"]["id"]] = data["message"]
        elif name == "presence_changed":
            if "present" in data:
                self.present = data["present"]
            for user_id, mode in data.get("changes", {}).items():
                self.present.pop(user_id, None) if mode is None else self.present.__setitem__(user_id, mode)

    def step(self):
        """Take in what has arrived; join again where the rule says so."""
        while not self.events.empty():
            name, data = self.events.get_nowait()
            if isinstance(data, dict) and isinstance(data.get("version"), int):
                self.waiting.append((data["version"], name in KEEPS_VERSION, name, data))
        self.waiting.sort(key=lambda f: (f[0], f[1]))
        while self.waiting:
            version, keeps, name, data = self.waiting[0]
            if version > (self.last if keeps else self.last + 1):
                break
            self.waiting.pop(0)
            if keeps or version > self.last:
                self.last = self.last if keeps else version
                self.apply(name, data)
        now = time.monotonic()
        self.gap_since = (self.gap_since or now) if self.waiting else None
        if self.gap_since is not None and now - self.gap_since > self.gap_wait:
            self.rejoin()
        elif now - self.synced > self.sync_every and self.connected():
            self.synced = now
            ack = self.call("sync", meeting_id=self.meeting_id)
            if not ack["ok"] or ack["version"] > self.last:
                self.rejoin()

    def connected(self):
        return self.sio.connected

    def texts(self):
        return [m["text"] for _, m in sorted(self.chat.items())]


def truth(db, meeting_id):
    """The room as the database has it: chat texts, who is present, the version."""
    db.session.expire_all()
    texts = [m.text for m in ChatMessage.query.filter_by(meeting_id=meeting_id).order_by(ChatMessage.id)]
    present = {str(u): mode.value for u, mode in live.present_rows(meeting_id)}
    version = db.session.get(MeetingRow, meeting_id).room_version
    db.session.rollback()
    return texts, present, version


def settle(screens, db, meeting_id, timeout):
    """Step every screen until each shows the database's room; the seconds it took."""
    started = time.monotonic()
    while True:
        for screen in screens:
            screen.step()
        want = truth(db, meeting_id)
        if all((s.texts(), s.present, s.last) == want for s in screens):
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            seen = {s.user.name: (s.texts(), s.present, s.last) for s in screens}
            raise AssertionError(f"screens never agreed with the database {want}: {seen}")
        time.sleep(0.1)


def settled_version(db, meeting_id, quiet=0.6, timeout=10):
    """The room's version once nothing has raised it for `quiet` seconds."""
    from app.meetings.models import Meeting

    deadline, last, since = time.monotonic() + timeout, None, time.monotonic()
    while time.monotonic() < deadline:
        db.session.rollback()
        version = db.session.scalar(db.select(Meeting.room_version).where(Meeting.id == meeting_id))
        if version != last:
            last, since = version, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return version
        time.sleep(0.05)
    raise AssertionError(f"the room's version kept moving for {timeout} s")


def heard(client, seen, event, predicate=lambda data: True, timeout=5):
    """Wait for `event` like Client.wait_for, keeping everything heard on the way in `seen`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            name, data = client.events.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            break
        seen.append((name, data))
        if name == event and predicate(data):
            return data
    raise AssertionError(f"{client.user.name} did not receive {event} in {timeout} s")


def test_every_fact_carries_the_next_version(live_server, make, db):
    room = Meeting(make, db)
    room.start(db)
    live.check_in(room.secretary, room.meeting, room.members[1].id)   # quorum: 3 of 5 with the chair
    db.session.commit()
    # That check-in's presence fact is raised by this process a moment after the commit: let it
    # land before the chair's join reads the version the test counts from.
    settled_version(db, room.id)
    clients = Clients(live_server.url, db)
    try:
        chair, member = clients(room.chair), clients(room.members[0])
        base = chair.join(room.id)["state"]["version"]
        seen = []
        assert member.join(room.id)["ok"]
        heard(chair, seen, "presence_changed", lambda d: str(room.members[0].id) in d["present"])
        assert chair.call("next_item", meeting_id=room.id)["ok"]
        heard(chair, seen, "item_changed")
        assert member.call("raise_hand", meeting_id=room.id)["ok"]
        heard(chair, seen, "speakers_changed")
        assert member.call("chat", meeting_id=room.id, text="版本号")["ok"]
        heard(chair, seen, "chat_posted")
        assert chair.call("open_vote", meeting_id=room.id, kind="named")["ok"]
        vote_id = heard(chair, seen, "vote_opened")["vote_id"]
        assert member.call("cast", vote_id=vote_id, choice="yes", nonce="n" * 32)["ok"]
        progress = heard(chair, seen, "vote_progress", lambda d: d["cast"] == 1)
        top = max(d["version"] for name, d in seen if name not in KEEPS_VERSION)
        # A count changes nothing a join would not show: it carries the version, raises nothing.
        assert progress["version"] == top
        assert chair.call("sync", meeting_id=room.id) == {"ok": True, "version": top}
        assert chair.call("close_vote", meeting_id=room.id, vote_id=vote_id)["ok"]
        heard(chair, seen, "vote_closed")
        raised = [d["version"] for name, d in seen if name not in KEEPS_VERSION]
        # Each fact took the next version: none skipped, none twice, in the order they were told.
        assert raised == list(range(base + 1, base + 1 + len(raised))), seen
        assert {name for name, _ in seen} >= {"presence_changed", "item_changed", "speakers_changed",
                                               "chat_posted", "vote_opened", "vote_closed"}
        # A join's state carries the version it is at least as new as.
        assert clients(room.members[2]).join(room.id)["state"]["version"] >= raised[-1]
        # Only a socket that joined the room may ask for its version.
        assert clients(room.resident).call("sync", meeting_id=room.id)["error"]["code"] == "not_joined"
    finally:
        clients.close()




def test_screens_of_two_processes_end_right_after_redis_loses_broadcasts(private_redis, two_servers, make, db):
    first, second = two_servers
    room = Meeting(make, db)
    room.start(db)
    screens = []
    try:
        chair = Screen(first.url, db, room.chair, room.id)
        member = Screen(second.url, db, room.members[0], room.id)
        watcher = Screen(first.url, db, room.members[1], room.id)
        screens += [chair, member, watcher]
        assert chair.call("chat", meeting_id=room.id, text="开会前")["ok"]
        settle(screens, db, room.id, timeout=10)
        joins = [s.joins for s in screens]

        private_redis.kill()
        # Broadcasts are lost on every process; the commands themselves still succeed.
        for i in range(3):
            assert chair.call("chat", meeting_id=room.id, text=f"断线期间{i}")["ok"]
        assert member.call("chat", meeting_id=room.id, text="另一个进程说")["ok"]
        late = Client(second.url, db, room.members[2])   # arrives on process 2 during the outage
        assert late.join(room.id)["ok"]
        time.sleep(1.0)
        private_redis.start()   # same port, empty

        # Nothing sent after the restart is needed: the periodic sync shows each screen its gap.
        took = settle(screens, db, room.id, timeout=30)
        assert all(s.joins > j for s, j in zip(screens, joins)), "a screen was right by luck"
        texts, present, _ = truth(db, room.id)
        assert texts[-4:] == ["断线期间0", "断线期间1", "断线期间2", "另一个进程说"]
        assert str(room.members[2].id) in present
        assert took < 30
        late.close()
    finally:
        for screen in screens:
            screen.close()
