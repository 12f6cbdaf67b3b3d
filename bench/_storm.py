"""A vote storm: a live meeting whose members all cast at once over /live.

Shared by bench/votes.py and the storm tests (tests/integration/test_vote_storm.py).

`seed_vote(n, kind)` (inside an app context) makes a community whose body has a chair and n-1
members, all present online in a live meeting, opens a vote and returns (vote_id, tokens).
`storm(url, vote_id, tokens)` connects one asyncio python-socketio client per token, then has
every client emit `cast` at the same moment, and returns one `Ack` per client.
"""
import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from bench._heap import heap_frozen


def seed_people(n, preset):
    """A community whose body (`preset`) has a chair and n-1 members: (body, users, tokens)."""
    from app.auth.models import ApiToken, User, UserState
    from app.community.models import Body, Community, MemberRole, Membership, Street
    from app.extensions import db

    stamp = uuid.uuid4().hex[:8]
    street = Street(name=f"基准街道{stamp}")
    community = Community(street=street, name="基准社区")
    body = Body.from_preset(community, preset)
    db.session.add_all([street, community, body])
    users = [User(phone=f"1{uuid.uuid4().int % 10**10:010d}", name=f"居民{i}", community=community,
                  state=UserState.VERIFIED) for i in range(n)]
    db.session.add_all(users)
    db.session.flush()
    db.session.add_all(Membership(body=body, user=u, role=MemberRole.CHAIR if i == 0 else MemberRole.MEMBER)
                       for i, u in enumerate(users))
    tokens = [ApiToken.issue(u, 1)[1] for u in users]
    return body, users, tokens


def seed_live_meeting(chair, body, items):
    """A meeting of `body` with `items` on the agenda, announced and started by `chair`."""
    from app.core.timeutil import utcnow
    from app.meetings import operations as meetings

    start = utcnow() + timedelta(minutes=10)   # announced long ago, due now: it may start
    meeting = meetings.create_meeting(chair, body, title="基准会议", start_dt=start)
    for title in items:
        meetings.add_item(chair, meeting, title=title)
    meetings.announce(chair, meeting, now=start - timedelta(days=30))
    meetings.start(chair, meeting)
    return meeting


def seed_vote(n, kind="secret", preset="representatives_assembly", auto_close=False):
    from app.extensions import db
    from app.meetings.models import Attendance
    from app.meetings.workflow import AttendanceMode
    from app.votes import operations as votes

    body, users, tokens = seed_people(n, preset)
    meeting = seed_live_meeting(users[0], body, ["预算方案"])
    db.session.add_all(Attendance(meeting_id=meeting.id, user_id=u.id, mode=AttendanceMode.ONLINE)
                       for u in users)
    db.session.flush()
    vote = votes.open_vote(users[0], meeting, kind=kind, auto_close=auto_close)
    db.session.commit()
    return vote.id, tokens


@dataclass
class Ack:
    ok: bool
    receipt: str | None
    nonce: str
    error: str | None
    ms: float | None


async def storm(url, vote_id, tokens, choice="yes", on_ack=None, timeout=60, concurrency=200):
    """Connect everyone, then cast all at once; `on_ack(ack)` is called as each answer arrives.

    Returns (acks, seconds from the first emit to the last answer)."""
    import socketio

    sem = asyncio.Semaphore(concurrency)

    async def connect(token):
        sio = socketio.AsyncClient(reconnection=False)
        async with sem:
            await sio.connect(url, namespaces=["/live"], transports=["websocket"],
                              auth={"token": token}, wait_timeout=60)
        return sio

    clients = await asyncio.gather(*(connect(t) for t in tokens))
    go = asyncio.Event()

    async def cast(sio, i):
        nonce = f"storm-{i:05d}-{uuid.uuid4().hex}"
        await go.wait()
        t0 = time.perf_counter()
        try:
            answer = await sio.call("cast", {"vote_id": vote_id, "choice": choice, "nonce": nonce},
                                    namespace="/live", timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - a dead server or a timeout is a result here
            ack = Ack(False, None, nonce, type(exc).__name__, None)
        else:
            ms = (time.perf_counter() - t0) * 1000
            ack = Ack(bool(answer.get("ok")), answer.get("receipt"), nonce,
                      None if answer.get("ok") else answer["error"]["code"], ms)
        if on_ack:
            on_ack(ack)
        return ack

    tasks = [asyncio.create_task(cast(sio, i)) for i, sio in enumerate(clients)]
    await asyncio.sleep(0.2)
    with heap_frozen():
        started = time.perf_counter()
        go.set()
        acks = await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
    return acks, elapsed


def pct(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run(coro):
    """Run a coroutine to the end in a thread of its own: callers (a test session with
    Playwright's loop open) may already have an event loop running in this thread."""
    import threading

    outcome = {}

    def target():
        try:
            outcome["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
