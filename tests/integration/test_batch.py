"""The group committer (app/core/batch.py) on its own: outcomes per write, after the commit, and
a clear `unavailable` (never a hang) when the database fails or the worker dies."""
import threading
import time

import pytest
from sqlalchemy.exc import OperationalError

from app.core.batch import GroupCommitter, each_in_savepoint
from app.core.db import after_commit
from app.core.refusal import Refused
from app.votes.models import Ballot
from tests.integration.test_group_commit import seed


def submit_all(committer, payloads):
    """Submit from one thread each, at once: [result or refusal code] in the payloads' order."""
    payloads = list(payloads)
    outcomes, threads = [None] * len(payloads), []

    def one(i):
        try:
            outcomes[i] = committer.submit(payloads[i])
        except Refused as exc:
            outcomes[i] = exc.code

    for i in range(len(payloads)):
        threads.append(threading.Thread(target=one, args=(i,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_writes_commit_together_each_refused_alone_and_effects_follow_the_commit(app, db):
    vote_id, _, _ = seed(db, 3, present=3, kind="named")   # a ballot needs its vote
    heard = []

    def write(payload, attempt):
        if payload % 5 == 0:
            raise Refused("bad", "不行。")
        db.session.add(Ballot(vote_id=vote_id, receipt=f"R{payload:04d}", choice="yes"))
        db.session.flush()
        after_commit(lambda: heard.append(payload))
        return f"R{payload:04d}"

    committer = GroupCommitter(app, lambda jobs: each_in_savepoint(jobs, write), window=0.05)
    outcomes = dict(zip(range(1, 31), submit_all(committer, range(1, 31))))
    assert {p: o for p, o in outcomes.items() if p % 5 == 0} == {p: "bad" for p in range(5, 31, 5)}
    assert {p: o for p, o in outcomes.items() if p % 5} == {p: f"R{p:04d}" for p in range(1, 31) if p % 5}
    assert sorted(heard) == [p for p in range(1, 31) if p % 5]   # refused writes announce nothing
    assert committer.commits < 30 and committer.written == 24
    db.session.rollback()
    assert db.session.query(Ballot).filter_by(vote_id=vote_id).count() == 24


def test_a_database_that_fails_answers_unavailable(app, db):
    def fail(jobs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    committer = GroupCommitter(app, fail, window=0)
    started = time.monotonic()
    assert submit_all(committer, [1, 2, 3]) == ["unavailable"] * 3
    assert time.monotonic() - started < 5 and committer.commits == 0


def test_a_stuck_batch_answers_unavailable_in_time_and_a_dead_worker_is_replaced(app, db):
    release = threading.Event()

    def stuck(jobs):
        release.wait(10)
        for job in jobs:
            job.succeed("late")

    committer = GroupCommitter(app, stuck, window=0, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(Refused) as waited:
        committer.submit(1)
    assert waited.value.code == "unavailable" and time.monotonic() - started < 2
    release.set()

    dying = {"left": 1}

    def dies_once(jobs):
        if dying["left"]:
            dying["left"] -= 1
            raise SystemExit("the worker dies")
        for job in jobs:
            job.succeed("ok")

    committer = GroupCommitter(app, dies_once, window=0, timeout=5)
    with pytest.raises(Refused) as died:
        committer.submit(1)
    assert died.value.code == "unavailable"
    assert committer.submit(2) == "ok"   # the next write starts another worker


def test_one_batch_of_a_household_vote_decides_each_cast_alone(app, make, db):
    """Two adults of one household, a double tap, a bad nonce and a retry of a stored ballot,
    all in one batch: the household casts once, the double tap gets one receipt twice."""
    from app.meetings import live
    from app.votes import operations as votes
    from app.votes.batch import CastCommand, _write_casts
    from app.votes.casting import cast_online
    from tests.integration.test_meetings_households import Assembly

    room = Assembly(make, db)
    for user in (room.chair, room.wife, room.husband, room.li, room.zhao):
        live.join_online(user, room.meeting)
    vote = votes.open_vote(room.chair, room.meeting, kind="named")
    db.session.commit()
    early = cast_online(room.chair, vote.id, "yes", "chair-0123456789ab")
    db.session.commit()

    def cast(user, nonce, choice="yes"):
        return CastCommand(user_id=user.id, vote_id=vote.id, choice=choice, nonce=nonce)

    commands = [cast(room.wife, "wife-0123456789abc"), cast(room.husband, "husband-0123456789"),
                cast(room.li, "li-0123456789abcdef"), cast(room.li, "li-0123456789abcdef"),
                cast(room.zhao, "short"), cast(room.chair, "chair-0123456789ab")]
    committer = GroupCommitter(app, _write_casts, window=0.3)
    outcomes = submit_all(committer, commands)
    wife, husband, li, li_again, zhao, chair = outcomes
    assert [wife, husband].count("household_already_cast") == 1   # the first of the two decides
    assert any(isinstance(o, dict) for o in (wife, husband))
    assert isinstance(li, dict) and li == li_again
    assert zhao == "bad_nonce"
    assert chair == {"receipt": early, "vote_id": vote.id}
    assert committer.commits == 1
    db.session.rollback()
    assert db.session.query(Ballot).filter_by(vote_id=vote.id).count() == 3   # chair, 王, 李
