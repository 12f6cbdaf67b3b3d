"""Session helpers: commit once per request or event, and run side effects after commit."""
import os

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.extensions import db

# FULL: every commit is on disk before it is acknowledged, even through a power cut.
SQLITE_SYNCHRONOUS = os.environ.get("SQLITE_SYNCHRONOUS", "FULL").upper()


def after_commit(callback):
    """Run callback once the current transaction has committed (never on rollback).

    Broadcasts, e-mails and signals go through here so nobody hears of a change
    that was rolled back.
    """
    db.session.info.setdefault("after_commit", []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session):
    callbacks = session.info.pop("after_commit", [])
    for callback in callbacks:
        callback()


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session):
    session.info.pop("after_commit", None)


def commit():
    db.session.commit()


def get_or_404(model, ident, message=None):
    from app.core.errors import NotFound

    obj = db.session.get(model, ident) if ident is not None else None
    if obj is None:
        raise NotFound(message or "找不到该记录。")
    return obj


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: write-ahead log (readers never block the writer; a commit survives a killed
    process) and a busy timeout, so concurrent writers wait their turn instead of failing."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        cursor.execute("PRAGMA busy_timeout=10000")
    finally:
        cursor.close()
