"""The statistics as readers get them: a year's snapshot, counted beforehand and recounted when old.

Counting a whole street's year takes seconds (app/notice/stats.py), so the statistics page, its
CSV and the API read the year's snapshot (one row) and say when it was counted. A year nobody
has asked for yet is counted once, while its first reader waits. A snapshot older than
NOTICE_STATS_MAX_AGE seconds is still served as it is, and one recount of it starts in the
background: one per year in a process, and one across processes (the row is claimed first).
`flask notice stats refresh` (cron) recounts ahead of the readers, so that they need not.
NOTICE_STATS_MAX_AGE = 0 counts on every read and keeps nothing (the tests' setting); such figures
are as of the answer itself and carry no time.
"""
import logging
import os
import threading
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app.core.timeutil import utcnow
from app.extensions import db
from app.notice import operations, stats
from app.notice.models import NoticeStatSnapshot

log = logging.getLogger(__name__)

MAX_AGE = 600   # seconds; NOTICE_STATS_MAX_AGE (config or environment) overrides

# A process that found another one recounting a year leaves it alone this long before it asks
# again (each asking is a write: the claim).
RETRY_SECONDS = 30

_lock = threading.Lock()
_running = {}   # year -> the thread recounting it in this process
_asked = {}     # year -> time.monotonic() when this process last started a recount of it


def max_age():
    value = current_app.config.get("NOTICE_STATS_MAX_AGE", os.environ.get("NOTICE_STATS_MAX_AGE", MAX_AGE))
    return max(0.0, float(value))


def stored(year):
    """The year's snapshot as stored, or None."""
    table = NoticeStatSnapshot.__table__
    row = db.session.execute(select(table.c.figures, table.c.computed_dt)
                             .where(table.c.year == year)).one_or_none()
    return None if row is None else stats.Snapshot(year=year, figures=row.figures, computed_dt=row.computed_dt)


def current(year):
    """The year's snapshot for a reader: the stored one (a recount starts in the background when
    it is older than the max age), or, when there is none yet, one counted now and kept (the
    caller's transaction commits it)."""
    seconds = max_age()
    if not seconds:
        return stats.Snapshot(year=year, figures=stats.compute(year), computed_dt=None)
    found = stored(year)
    if found is None:
        return operations.refresh_stats(year)
    if utcnow() - found.computed_dt > timedelta(seconds=seconds):
        refresh_later(year)
    return found


def refresh(year):
    """Recount the year now and commit (the command line, the demo's seed)."""
    snapshot = operations.refresh_stats(year)
    db.session.commit()
    return snapshot


def refresh_every_year():
    """Recount every year the board has; the years, newest first."""
    years = stats.available_years(utcnow())
    for year in years:
        refresh(year)
    return years


def refresh_later(year):
    """Recount the year in the background, unless this process is already at it."""
    app = current_app._get_current_object()
    with _lock:
        if year in _running or time.monotonic() - _asked.get(year, -RETRY_SECONDS) < RETRY_SECONDS:
            return
        _asked[year] = time.monotonic()
        # A plain thread, as the mail worker's (app/core/mail.py): a greenlet under gevent, a
        # thread elsewhere. Under gevent a recount on SQLite holds the process while it counts
        # (PostgreSQL's waits yield): cron recounting ahead of the max age avoids that.
        thread = threading.Thread(target=_recount, args=(app, year, max_age()),
                                  name=f"yishi-stats-{year}", daemon=True)
        _running[year] = thread
    thread.start()


def _recount(app, year, seconds):
    try:
        with app.app_context():
            try:
                now = utcnow()
                if operations.claim_stats_refresh(year, now, now - timedelta(seconds=seconds)):
                    db.session.commit()   # the claim is seen by the other processes at once
                    operations.refresh_stats(year, now)
                    db.session.commit()
            except Exception:  # noqa: BLE001 - a background task has nobody to answer; readers keep the old one
                db.session.rollback()
                log.exception("could not recount the statistics of %s", year)
            finally:
                db.session.remove()
    finally:
        with _lock:
            _running.pop(year, None)


def wait_for_refreshes(timeout=30):
    """Wait until this process's background recounts have ended (tests, the command line)."""
    with _lock:
        threads = list(_running.values())
    for thread in threads:
        thread.join(timeout)
