"""Group commit: many small writes from many callers, one transaction per batch.

A `GroupCommitter` keeps one worker (a thread, a greenlet under gevent's patching) per process and
app. Callers `submit` a payload and wait; the worker takes what is waiting (after a short window,
so a storm's writes meet), runs the batch in one transaction, each payload in its own SAVEPOINT
(`each_in_savepoint`), commits once, and only then wakes each caller with its own outcome: its
result, or its own refusal. What the batch queued with `after_commit` runs after that commit.

When the batch cannot commit (the database is away or busy), every caller whose write it held is
told `unavailable`, which is true: nothing of that batch is stored. A caller never waits longer
than `timeout`; a payload whose caller has stopped waiting is left out of later batches. A worker
that dies is replaced by the next `submit`.
"""
import logging
import os
import threading
import time
from collections import deque

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.core.db import savepoint
from app.core.errors import DATABASE_UNAVAILABLE
from app.core.i18n import N_
from app.core.refusal import Refused
from app.extensions import db

log = logging.getLogger(__name__)


def unavailable():
    return Refused("unavailable", N_("服务暂时不可用，请稍后再试。"))


def server_error():
    return Refused("server_error", N_("系统出现问题，请稍后再试。"))


class Job:
    """One caller's write: its payload, and its outcome once the batch has decided it."""

    __slots__ = ("payload", "result", "error", "done", "abandoned")

    def __init__(self, payload):
        self.payload = payload
        self.result = self.error = None
        self.done = threading.Event()
        self.abandoned = False

    def succeed(self, result):
        self.result, self.error = result, None

    def refuse(self, error):
        self.result, self.error = None, error

    def outcome(self):
        if self.error is not None:
            raise self.error
        return self.result


class GroupCommitter:
    """`run(jobs)` writes a batch (calling `job.succeed`/`job.refuse` for each) in the open
    transaction, which the committer then commits. `window`: seconds the worker waits for more
    writes once the first has come; `max_batch`: writes per transaction at most; `timeout`: seconds
    a caller waits at most; `idle`: seconds after which an idle worker ends (the next write
    starts another)."""

    def __init__(self, app, run, *, name="batch", window=0.002, max_batch=256, timeout=15.0,
                 idle=60.0, attempts=3):
        self.app, self.run, self.name = app, run, name
        self.window, self.max_batch, self.timeout, self.idle = window, max_batch, timeout, idle
        self.attempts = attempts
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._queue = deque()
        self._worker = None
        self._pid = None
        # What the batches did, for tests and benches: transactions committed, writes in them.
        self.commits = self.written = 0

    # -- the callers' side ------------------------------------------------------------------

    def submit(self, payload):
        """Hand `payload` to the next batch and wait: its result once that batch has committed,
        or its refusal (raised); `unavailable` if it could not be stored in time."""
        job = Job(payload)
        with self._lock:
            self._ensure_worker()
            self._queue.append(job)
            self._arrived.notify()
        if not job.done.wait(self.timeout):
            with self._lock:
                if not job.done.is_set():
                    job.abandoned = True   # left out if still waiting; if in a batch, stored or not
                    log.warning("%s: no outcome within %s s", self.name, self.timeout)
                    raise unavailable()
        return job.outcome()

    def _ensure_worker(self):
        """Under the lock: a live worker of this process (a forked child inherits a dead one)."""
        if self._worker is not None and self._pid == os.getpid() and self._worker.is_alive():
            return
        self._pid = os.getpid()
        self._worker = threading.Thread(target=self._work, name=f"{self.name}-committer", daemon=True)
        self._worker.start()

    # -- the worker's side --------------------------------------------------------------------

    def _work(self):
        me = threading.current_thread()
        try:
            while True:
                jobs = self._next_batch(me)
                if jobs is None:
                    return
                self._write(jobs)
                # Not held while idle: a storm's last batch (its payloads, results and events).
                del jobs
        except BaseException:
            log.exception("%s: the committer died", self.name)
            with self._lock:
                waiting = list(self._queue) if self._worker is me else []
                self._queue.clear()
            for job in waiting:
                job.refuse(unavailable())
                job.done.set()
            # The thread (greenlet) ends here; the next submit starts another.
        finally:
            with self._lock:
                if self._worker is me:
                    self._worker = None

    def _next_batch(self, me):
        with self._lock:
            while not self._queue:
                if not self._arrived.wait(self.idle) and not self._queue:
                    if self._worker is me:
                        self._worker = None   # idle: the next submit starts another
                    return None
            short = len(self._queue) < self.max_batch
        if short and self.window:
            time.sleep(self.window)   # under gevent this lets the other greenlets bring theirs
        with self._lock:
            jobs = []
            while self._queue and len(jobs) < self.max_batch:
                job = self._queue.popleft()
                if not job.abandoned:
                    jobs.append(job)
            return jobs

    def _write(self, jobs):
        try:
            with self.app.app_context():
                try:
                    self._commit_batch(jobs)
                finally:
                    db.session.remove()
        except BaseException as exc:
            # Nothing of the batch is committed: a refusal stands, a success did not happen. The
            # database away or the worker killed: try again; anything else is a bug, logged.
            bug = isinstance(exc, Exception) and not isinstance(exc, DATABASE_UNAVAILABLE)
            refusal = server_error() if bug else unavailable()
            if bug:
                log.exception("%s: a batch of %d failed", self.name, len(jobs))
            for job in jobs:
                if job.error is None:
                    job.refuse(refusal)
            if not isinstance(exc, Exception):
                raise
        finally:
            for job in jobs:
                job.done.set()

    def _commit_batch(self, jobs):
        for attempt in range(self.attempts):
            try:
                started = time.perf_counter()
                _begin_for_savepoints()
                self.run(jobs)
                db.session.commit()
                written = sum(1 for job in jobs if job.error is None)
                self.commits += 1
                self.written += written
                log.debug("%s: batch of %d committed, %d refused, in %.1f ms", self.name, written,
                          len(jobs) - written, (time.perf_counter() - started) * 1000)
                return
            except DATABASE_UNAVAILABLE as exc:
                # SQLite busy, a lost connection: the whole batch again, from nothing.
                db.session.rollback()
                for job in jobs:
                    job.refuse(None)
                if attempt == self.attempts - 1:
                    raise
                log.warning("%s: batch of %d rolled back (%s), trying again", self.name, len(jobs), exc)


def _begin_for_savepoints():
    """SQLite's Python driver begins a transaction only before its first write, so a SAVEPOINT
    issued earlier would be the transaction and its RELEASE a commit: begin for real. IMMEDIATE
    takes the write lock now, so no read of the batch can go stale before its writes."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("BEGIN IMMEDIATE"))


def each_in_savepoint(jobs, work, *, attempts=3):
    """For each job, `work(job.payload, attempt)` in a SAVEPOINT of its own: a refusal rolls
    back that job's writes alone and refuses it; a lost race (IntegrityError) rolls back and
    runs it again alone, up to `attempts` times. A database that fails under it fails the
    batch (the committer rolls back and may run the batch again)."""
    for job in jobs:
        if job.error is not None:
            continue   # refused before any write (the caller's checks of the batch)
        for attempt in range(attempts):
            try:
                with savepoint():
                    result = work(job.payload, attempt)
            except Refused as exc:
                job.refuse(exc)
            except IntegrityError:
                if attempt < attempts - 1:
                    continue
                log.warning("a write lost its race %d times", attempts)
                job.refuse(unavailable())
            except DBAPIError:
                raise
            except Exception:  # noqa: BLE001 - one write's bug must not fail its neighbours
                log.exception("a write of a batch failed")
                job.refuse(server_error())
            else:
                job.succeed(result)
            break
