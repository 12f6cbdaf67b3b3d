"""2,000 residents post their micro-project ballots at once to a real gevent server: every answer
is a committed ballot, nothing lost, nothing doubled; the same storm again changes nothing."""
import pytest

from bench._micro_storm import seed_round, storm, stored
from bench._storm import run

pytestmark = pytest.mark.live
RESIDENTS = 2000


def test_two_thousand_residents_vote_at_once(live_server, db):
    round_id, ideas, tokens = seed_round(RESIDENTS)
    picks = [[ideas[0]], [ideas[0], ideas[1]], [ideas[2]]]
    acks, seconds = run(storm(live_server.url, round_id, picks, tokens))
    failures = [a for a in acks if not a.ok]
    assert not failures, (len(failures), failures[:5])
    receipts = {a.receipt for a in acks}
    assert len(receipts) == RESIDENTS
    voters, ballots, in_db, counts = stored(round_id)
    assert voters == ballots == RESIDENTS and in_db == receipts
    expected = {ideas[0]: 0, ideas[1]: 0, ideas[2]: 0, ideas[3]: 0}
    for i in range(RESIDENTS):
        for idea in picks[i % len(picks)]:
            expected[idea] += 1
    assert counts == expected
    # The same ballots again (a retry storm): the same receipts, nothing added.
    again, _ = run(storm(live_server.url, round_id, picks, tokens[:300]))
    assert all(a.ok for a in again) and {a.receipt for a in again} <= receipts
    assert stored(round_id)[:2] == (RESIDENTS, RESIDENTS)
