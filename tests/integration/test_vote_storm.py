"""Vote storms against a real gevent server over loopback: 300 casts at once, every ack a
committed ballot, no duplicates; and kill -9 in the middle loses nothing acknowledged."""
import pytest
from sqlalchemy import func, select

from app.votes.models import Ballot, VoteParticipation
from app.votes.sealed import open_ballots
from bench._storm import run, seed_vote, storm

pytestmark = pytest.mark.live
STORM = 300
LIVE_SECRET_KEY = "live-test-secret"   # the live server's (tests/conftest.py): it seals the ballots


def stored(db, vote_id):
    db.session.rollback()   # read what the server committed, not a stale snapshot
    # While the vote is open its ballots are sealed in the participation rows: open them with the
    # server's key (plaintext ballot rows would be there only for a named vote).
    receipts = {r for r, _ in open_ballots(vote_id, LIVE_SECRET_KEY)}
    receipts |= set(db.session.scalars(select(Ballot.receipt).where(Ballot.vote_id == vote_id)))
    voters = db.session.scalar(select(func.count(VoteParticipation.user_id)).where(VoteParticipation.vote_id == vote_id))
    return receipts, voters


def test_three_hundred_casts_at_once_are_each_committed_exactly_once(live_server, db):
    vote_id, tokens = seed_vote(STORM, kind="secret")
    acks, seconds = run(storm(live_server.url, vote_id, tokens))
    failures = [a for a in acks if not a.ok]
    assert not failures, failures[:5]
    receipts = [a.receipt for a in acks]
    assert all(receipts) and len(set(receipts)) == STORM
    in_db, voters = stored(db, vote_id)
    assert voters == STORM and in_db == set(receipts)
    # A second storm of the same people with new nonces changes nothing: each is refused.
    again, _ = run(storm(live_server.url, vote_id, tokens[:50], choice="no"))
    assert {a.error for a in again} == {"already_cast"}
    assert stored(db, vote_id) == (in_db, STORM)


def test_kill_9_during_a_storm_loses_no_acknowledged_ballot(live_server, db):
    server = live_server   # the session's server: killed here, started again on its port below
    vote_id, tokens = seed_vote(STORM, kind="secret")
    answered = []

    def on_ack(ack):
        answered.append(ack)
        if len(answered) == STORM // 3:
            server.kill()   # SIGKILL: no clean shutdown, no flush

    acks, _ = run(storm(server.url, vote_id, tokens, on_ack=on_ack, timeout=8))
    acked = {a.receipt: a for a in acks if a.ok}
    assert len(acked) >= STORM // 3
    assert server.proc.returncode == -9
    restarted = server.start()
    in_db, voters = stored(db, vote_id)
    assert set(acked) <= in_db, "an acknowledged ballot was lost"
    assert voters == len(in_db), "participation and ballots disagree"
    # The restarted server answers a retry of an acknowledged cast with the same receipt.
    first = next(iter(acked.values()))
    index = next(i for i, a in enumerate(acks) if a is first)
    import socketio

    client = socketio.Client(reconnection=False)
    client.connect(restarted.url, namespaces=["/live"], transports=["websocket"],
                   auth={"token": tokens[index]}, wait_timeout=10)
    try:
        retry = client.call("cast", {"vote_id": vote_id, "choice": "yes", "nonce": first.nonce},
                            namespace="/live", timeout=10)
    finally:
        client.disconnect()
    assert retry == {"ok": True, "receipt": first.receipt, "vote_id": vote_id}
