"""The unit of work: one place per entry kind commits, and side effects run after the commit.

An HTML or API request is committed by `end_request` when it answers with a success or a redirect
and rolled back when it answers with a refusal or an error; a `/live` command and a cast go through
`unit_of_work`. Views, API endpoints and event handlers never commit; operations flush.
"""
import logging
import os
import sqlite3
from contextlib import contextmanager

from sqlalchemy import DDL, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.extensions import db
from app.core.i18n import N_
from app.core.refusal import Refused

log = logging.getLogger(__name__)

# In WAL mode NORMAL keeps every commit through a killed or crashed process (the tests kill -9 a
# server mid-vote) and costs no fsync per commit; only a power cut or an OS crash may lose the
# last commits. FULL closes that too, at about 5 ms per commit; PostgreSQL is the choice for
# production either way.
SQLITE_SYNCHRONOUS = os.environ.get("SQLITE_SYNCHRONOUS", "NORMAL").upper()

# A search index's word column is very skewed: a few words are in nearly every row, most in a
# handful. At PostgreSQL's default statistics target (100) the planner misjudged a word's rows by
# 10× and joined a multi-word search in the wrong order (3号楼加装电梯 among 100,000 proposals:
# 13.3 ms in the database at the default, 8.6 ms at 1000).
WORD_STATISTICS_TARGET = 1000


def keep_fine_statistics(column, target=WORD_STATISTICS_TARGET):
    """Have PostgreSQL sample `column` finely. This covers tables made by create_all; the
    migration 5b1e0c2a9d47 sets it on databases that already exist."""
    table = column.table
    event.listen(table, "after_create", DDL(
        f"ALTER TABLE {table.name} ALTER COLUMN {column.name} SET STATISTICS {int(target)}")
        .execute_if(dialect="postgresql"))


def after_commit(callback):
    """Run callback once the current transaction has committed (never on rollback).

    Broadcasts, e-mails and signals go through here so nobody hears of a change that was rolled
    back. Callbacks run when the committed transaction has ended, so they may read the database
    (a new transaction begins by itself) and commit what they write themselves. A failing callback
    is logged: the change it follows is committed and stays so.
    """
    db.session.info.setdefault("after_commit", []).append(callback)


@event.listens_for(Session, "after_commit")
def _committed(session):
    # SQL is refused inside this hook: hand the callbacks on to the end of the transaction.
    session.info.setdefault("committed_callbacks", []).extend(session.info.pop("after_commit", []))


@event.listens_for(Session, "after_transaction_end")
def _run_after_commit(session, transaction):
    if transaction.parent is not None:
        return
    callbacks = session.info.pop("committed_callbacks", [])
    for callback in callbacks:
        try:
            callback()
        except Exception:  # noqa: BLE001 - the change is committed; a listener must not undo it
            log.exception("after-commit callback %r failed", callback)
            session.rollback()


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session, previous_transaction):
    # Only the whole transaction's rollback: a SAVEPOINT's drops what it queued itself (`savepoint`).
    if previous_transaction.parent is None:
        session.info.pop("after_commit", None)


@contextmanager
def savepoint():
    """A SAVEPOINT: what runs inside is rolled back alone if it raises, and so are the
    after-commit callbacks it queued (a refused write of a batch announces nothing)."""
    queued = db.session.info.setdefault("after_commit", [])
    mark = len(queued)
    try:
        with db.session.begin_nested():
            yield
    except BaseException:
        del db.session.info.setdefault("after_commit", [])[mark:]
        raise


def end_request(response):
    """After every HTTP request (HTML and API): keep its changes when it succeeded (2xx, 3xx),
    drop them when it was refused or failed (4xx, 5xx)."""
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


def unit_of_work(work, *, retry_on=(), attempts=1):
    """Run `work(attempt)` and commit it; its result is returned only once it is committed (a cast's
    receipt, a command's acknowledgement). Anything raised rolls it back. An error in `retry_on`
    (a lost race) rolls back and runs it again, `attempts` times at most."""
    for attempt in range(attempts):
        try:
            result = work(attempt)
            db.session.commit()
            return result
        except retry_on:
            db.session.rollback()
            if attempt == attempts - 1:
                raise
        except BaseException:
            db.session.rollback()
            raise
    raise AssertionError("unreachable")


def init_app(app):
    app.after_request(end_request)


def get_or_404(model, ident, message=None):

    obj = db.session.get(model, ident) if ident is not None else None
    if obj is None:
        raise Refused("not_found", message or N_("找不到该记录。"))
    return obj


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: write-ahead log (readers never block the writer; a commit survives a killed
    process) and a busy timeout, so concurrent writers wait their turn instead of failing."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        cursor.execute("PRAGMA busy_timeout=10000")
    finally:
        cursor.close()
