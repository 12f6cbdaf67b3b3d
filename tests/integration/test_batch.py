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
    """Submit from one thread each, at once: {payload: result or refusal code}."""
    outcomes, threads = {}, []

    def one(payload):
        try:
            outcomes[payload] = committer.submit(payload)
        except Refused as exc:
            outcomes[payload] = exc.code

    for payload in payloads:
        threads.append(threading.Thread(target=one, args=(payload,)))
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
    outcomes = submit_all(committer, range(1, 31))
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
    assert submit_all(committer, [1, 2, 3]) == {1: "unavailable", 2: "unavailable", 3: "unavailable"}
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
