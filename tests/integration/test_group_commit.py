"""Group commit of casts (app/votes/batch.py) against a real gevent server over loopback.

- A storm of 500 good casts with refused ones mixed in (a second ballot, a wrong nonce, a bad
  choice, a voter not checked in, a closed vote) and double taps: each good cast is acknowledged
  with its receipt and stored once, each bad one refused alone with its code, and the casts were
  written in fewer transactions than there were casts.
- kill -9 while batches of a storm of 200 are in flight: every acknowledged ballot is stored, and the casts that
  were never acknowledged, sent again with their nonces after a restart, count once each.
- The database away (PostgreSQL behind a proxy that is cut): a cast is answered `unavailable` in
  time, and the same cast once the database is back is stored once.
"""
import asyncio
import re
import time
import uuid

import pytest
from sqlalchemy import func, select

from app.votes.models import Ballot, VoteParticipation
from app.votes.sealed import open_ballots
from bench._storm import run, seed_live_meeting, seed_people, storm
from tests.conftest import LiveServer
from tests.integration.test_faults import CuttableProxy, postgres_server_url

pytestmark = pytest.mark.live
GOOD = 500
LIVE_SECRET_KEY = "live-test-secret"   # LiveServer's: it seals the secret ballots
BATCH_LINE = re.compile(r"casts: batch of (\d+) committed, (\d+) refused")


@pytest.fixture(scope="module")
def server(app, database_url):
    """A server of this module's own: it logs each batch (LOG_LEVEL=DEBUG), writes at most 50 casts
    in one (so a storm of 500 takes several), and one test kills it."""
    own = LiveServer(database_url, extra_env={"UPLOAD_DIR": app.config["UPLOAD_DIR"], "LOG_LEVEL": "DEBUG",
                                              "CAST_BATCH_MAX": "50"})
    own.start()
    yield own
    own.stop()


def seed(db, n, present, kind):
    """A live meeting of n members, the first `present` checked in online, and an open vote:
    (vote id, chair, tokens in member order)."""
    from app.meetings.models import Attendance
    from app.meetings.workflow import AttendanceMode
    from app.votes import operations as votes

    body, users, tokens = seed_people(n, "representatives_assembly")
    meeting = seed_live_meeting(users[0], body, ["预算方案"])
    db.session.add_all(Attendance(meeting_id=meeting.id, user_id=u.id, mode=AttendanceMode.ONLINE)
                       for u in users[:present])
    db.session.flush()
    vote = votes.open_vote(users[0], meeting, kind=kind)
    db.session.commit()
    return vote.id, users[0], tokens


def nonce(tag):
    return f"{tag}-{uuid.uuid4().hex}"


async def casts_at_once(url, sends, timeout=60):
    """One socket per (token, payload); every socket emits its `cast` at the same moment.
    Returns the acks in the order of `sends` (an exception's name where none came)."""
    import socketio

    gate = asyncio.Semaphore(100)

    async def connect(token):
        client = socketio.AsyncClient(reconnection=False)
        async with gate:
            await client.connect(url, namespaces=["/live"], transports=["websocket"],
                                 auth={"token": token}, wait_timeout=60)
        return client

    clients = await asyncio.gather(*(connect(token) for token, _ in sends))
    go = asyncio.Event()

    async def cast(client, payload):
        await go.wait()
        try:
            return await client.call("cast", payload, namespace="/live", timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - a dead server is a result here
            return {"ok": False, "error": {"code": type(exc).__name__}}

    tasks = [asyncio.create_task(cast(c, payload)) for c, (_, payload) in zip(clients, sends)]
    await asyncio.sleep(0.2)
    go.set()
    acks = await asyncio.gather(*tasks)
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
    return acks


def batches_since(server, offset):
    """[(committed, refused)] of each batch the server logged since `offset`."""
    with open(server.log, "rb") as log:
        log.seek(offset)
        text = log.read().decode(errors="replace")
    return [(int(a), int(b)) for a, b in BATCH_LINE.findall(text)]


def test_a_storm_with_refused_casts_mixed_in_commits_in_batches(server, db):
    # Members 0-499 cast once (490-499 twice over two sockets: a double tap), 500-519 cast before
    # the storm and again in it, 520-529 send a bad nonce, 530-539 were not checked in; five
    # members of another meeting cast in its closed vote; ten of 0-9 send a bad choice too.
    vote_id, _, tokens = seed(db, 540, present=530, kind="named")
    closed_id, closer, closed_tokens = seed(db, 6, present=6, kind="named")
    from app.votes import operations as votes
    from app.votes.models import Vote

    votes.close_vote(closer, db.session.get(Vote, closed_id))
    db.session.commit()
    early = run(casts_at_once(server.url, [(tokens[i], {"vote_id": vote_id, "choice": "no",
                                                        "nonce": nonce("early")})
                                           for i in range(500, 520)]))
    assert all(a["ok"] for a in early), early
    early_receipts = {a["receipt"] for a in early}

    good = [{"vote_id": vote_id, "choice": "yes", "nonce": nonce(f"good{i}")} for i in range(GOOD)]
    sends = [(tokens[i], good[i], "ok") for i in range(GOOD)]
    sends += [(tokens[i], good[i], "ok") for i in range(490, 500)]   # the same cast again
    sends += [(tokens[i], {"vote_id": vote_id, "choice": "yes", "nonce": nonce("second")}, "already_cast")
              for i in range(500, 520)]
    sends += [(tokens[i], {"vote_id": vote_id, "choice": "yes", "nonce": "short"}, "bad_nonce")
              for i in range(520, 530)]
    sends += [(tokens[i], {"vote_id": vote_id, "choice": "yes", "nonce": nonce("absent")}, "not_present")
              for i in range(530, 540)]
    sends += [(closed_tokens[i], {"vote_id": closed_id, "choice": "yes", "nonce": nonce("late")}, "vote_closed")
              for i in range(1, 6)]
    sends += [(tokens[i], {"vote_id": vote_id, "choice": "maybe", "nonce": nonce("bad")}, "bad_choice")
              for i in range(10)]
    order = list(range(len(sends)))
    order = order[::2] + order[1::2]   # the refused ones spread through the storm
    sends = [sends[i] for i in order]

    offset = server.log_size()
    acks = run(casts_at_once(server.url, [(token, payload) for token, payload, _ in sends]))

    receipts = {}
    for (_, payload, expected), ack in zip(sends, acks):
        if expected == "ok":
            assert ack["ok"] is True and ack["vote_id"] == vote_id, ack
            assert receipts.setdefault(payload["nonce"], ack["receipt"]) == ack["receipt"]
        else:
            assert ack["ok"] is False and ack["error"]["code"] == expected, (expected, ack)
    assert len(receipts) == GOOD and len(set(receipts.values())) == GOOD

    db.session.rollback()   # read what the server committed
    stored = set(db.session.scalars(select(Ballot.receipt).where(Ballot.vote_id == vote_id)))
    assert stored == set(receipts.values()) | early_receipts
    assert db.session.scalar(select(func.count()).select_from(VoteParticipation)
                             .where(VoteParticipation.vote_id == vote_id)) == GOOD + 20

    batches = batches_since(server, offset)
    # Every cast reached a batch: each acknowledged one (the double taps too) and each refused one.
    assert sum(committed for committed, _ in batches) == GOOD + 10
    assert sum(refused for _, refused in batches) == len(sends) - GOOD - 10
    assert len(batches) < GOOD // 2, f"{len(batches)} commits for {GOOD} casts"


def stored_secret(db, vote_id):
    db.session.rollback()
    receipts = [r for r, _ in open_ballots(vote_id, LIVE_SECRET_KEY)]
    voters = db.session.scalar(select(func.count()).select_from(VoteParticipation)
                               .where(VoteParticipation.vote_id == vote_id))
    return receipts, voters


def test_kill_9_mid_batch_loses_no_acknowledged_ballot_and_a_resent_cast_counts_once(server, db):
    # Four batches of 50 are enough to kill the server between one acknowledged and the next.
    voters_in_hall = 200
    vote_id, _, tokens = seed(db, voters_in_hall, present=voters_in_hall, kind="secret")
    answered = []

    def on_ack(ack):
        answered.append(ack)
        if len(answered) == 1:
            server.kill()   # SIGKILL once a batch is acknowledged, while the next are being written

    # The casts the dead server never answers wait out this timeout.
    acks, _ = run(storm(server.url, vote_id, tokens, on_ack=on_ack, timeout=4))
    assert server.proc.returncode == -9
    acked = {i: a for i, a in enumerate(acks) if a.ok}
    unacked = [i for i, a in enumerate(acks) if not a.ok]
    assert acked and unacked, "the kill came after the storm"
    server.start()

    receipts, voters = stored_secret(db, vote_id)
    assert {a.receipt for a in acked.values()} <= set(receipts), "an acknowledged ballot was lost"
    assert voters == len(receipts) <= voters_in_hall

    # Each unacknowledged cast again, with its own nonce: stored or not before the kill, it counts once.
    again = run(casts_at_once(server.url, [(tokens[i], {"vote_id": vote_id, "choice": "yes",
                                                        "nonce": acks[i].nonce}) for i in unacked]))
    assert all(a["ok"] for a in again), [a for a in again if not a["ok"]][:5]
    receipts, voters = stored_secret(db, vote_id)
    assert voters == voters_in_hall and len(receipts) == voters_in_hall
    assert set(receipts) == {a.receipt for a in acked.values()} | {a["receipt"] for a in again}


@pytest.fixture()
def vote_behind_a_proxy(tmp_path):
    """A PostgreSQL database of its own with an open vote of three, and a server that reaches the
    database through a proxy the test can cut (tests/integration/test_faults.py)."""
    from sqlalchemy import text

    admin = postgres_server_url()   # skips without a PostgreSQL server
    name = f"yishi_gc_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield from _behind_a_proxy(admin.url.set(database=name), tmp_path)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _behind_a_proxy(scratch_postgres, tmp_path):
    from app import create_app
    from app.extensions import db as database
    from bench._storm import seed_vote
    from tests.conftest import reset_schema

    direct = scratch_postgres.render_as_string(hide_password=False)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": direct, "SERVER_NAME": None,
                      "UPLOAD_DIR": str(tmp_path)})
    reset_schema(app)
    with app.app_context():
        vote_id, tokens = seed_vote(3, kind="named")
        database.session.remove()
        database.engine.dispose()
    proxy = CuttableProxy(scratch_postgres.host or "127.0.0.1", scratch_postgres.port or 5432)
    through = scratch_postgres.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    server = LiveServer(through, extra_env={"CAST_COMMIT_TIMEOUT": "8"}).start()
    yield server, proxy, vote_id, tokens
    server.stop()
    proxy.close()


def test_casts_while_the_database_is_away_are_refused_unavailable_and_count_once_after(vote_behind_a_proxy):
    import socketio

    server, proxy, vote_id, tokens = vote_behind_a_proxy
    client = socketio.Client(reconnection=False)
    client.connect(server.url, namespaces=["/live"], transports=["websocket"], auth={"token": tokens[1]},
                   wait_timeout=10)
    cast = {"vote_id": vote_id, "choice": "yes", "nonce": nonce("away")}
    try:
        proxy.cut()
        started = time.monotonic()
        away = client.call("cast", cast, namespace="/live", timeout=30)
        assert away["ok"] is False and away["error"]["code"] == "unavailable", away
        assert time.monotonic() - started < 10   # answered, never left hanging
        proxy.mend()
        back = client.call("cast", cast, namespace="/live", timeout=30)
        again = client.call("cast", cast, namespace="/live", timeout=30)
    finally:
        client.disconnect()
    assert back["ok"] is True and again == back
