"""A secret vote's sealed ballots in the database: their key, the close that opens them and
destroys what held the order of arrival, and the votes a restore under another key makes void.

During the vote each online ballot lives only sealed in its voter's participation row
(app/votes/seal.py, app/votes/casting.py). The close (`write_ballots`, called by
`operations.close_vote` in its transaction):

1. opens every seal with the vote's key and adds the hall's paper totals;
2. writes the ballots once, in receipt order, with their chain links: no ballot row ever had an
   arrival order;
3. rewrites the vote's participation rows in voter order without their seals (SQLite with
   `secure_delete` on, so the freed bytes are zeroed rather than left in the page);
4. after the commit, scrubs what still holds old versions of those rows (`_scrub`): SQLite
   checkpoints the write-ahead log into the database and truncates it; PostgreSQL rewrites both
   tables in primary-key order (`CLUSTER ... USING pk_...`, a full rewrite as `VACUUM (FULL)`), so
   no dead tuple with a seal or an arrival order remains and the live rows lie in voter order.

What this does not reach (PostgreSQL's WAL segments and archives, replicas, file-system blocks
freed earlier) is said in docs/security.md, "Secret ballots".
"""
import functools
import json
import logging
import time

from flask import current_app
from sqlalchemy import delete, insert, inspect, update

from app.core import audit
from app.core.db import after_commit
from app.extensions import db
from app.votes import chain, seal
from app.votes.choices import HallTotals
from app.votes.models import Ballot, Vote, VoteParticipation, VoteState
from app.votes.rules import VoteKind

log = logging.getLogger(__name__)

# PostgreSQL: how long the rewrite may wait for the tables' exclusive lock (casts of other votes
# hold it briefly); past that it gives up and says so in the log rather than stall the server.
REWRITE_LOCK_TIMEOUT = "10s"
SCRUBBED_TABLES = ("vote_participations", "ballots")
OLDER_TRANSACTIONS_WAIT = 10   # seconds


@functools.lru_cache(maxsize=64)
def _derived(secret, vote_id):
    return seal.vote_key(secret, vote_id)


def vote_key(vote_id):
    """The key of one secret vote (seals and receipts), derived from SECRET_KEY, never stored.
    Kept in this process's memory for the votes it serves, so the hottest path skips the HKDF."""
    return _derived(str(current_app.config["SECRET_KEY"]), vote_id)


def open_ballots(vote_id, secret_key=None):
    """[(receipt, choice)] of the sealed ballots of an open secret vote, in voter order, opened with
    the vote's key (from `secret_key`, default this app's). The close counts these; a test or a
    bench that holds the key checks with them that every acknowledged cast is stored."""
    participations = VoteParticipation.__table__
    rows = db.session.execute(
        db.select(participations.c.user_id, participations.c.sealed)
        .where(participations.c.vote_id == vote_id, participations.c.sealed.is_not(None))
        .order_by(participations.c.user_id)).all()
    key = vote_key(vote_id) if secret_key is None else _derived(str(secret_key), vote_id)
    return [seal.open_seal(key, vote_id, user_id, sealed) for user_id, sealed in rows]


def write_ballots(vote, snapshot):
    """At the close of a secret vote, in its transaction: open the seals, write the ballots in
    receipt order with their links, strip the participations; returns the chain head."""
    if db.engine.dialect.name == "sqlite":
        # Deleted cells and freed pages are zeroed, not left behind in the pages the commit writes.
        db.session.execute(db.text("PRAGMA secure_delete=ON"))
    ballots = open_ballots(vote.id)
    # Rows cast before ballots were sealed (a vote open across the upgrade) join the count.
    earlier = db.session.execute(db.select(Ballot.receipt, Ballot.choice)
                                 .where(Ballot.vote_id == vote.id)).all()
    ballots += [tuple(row) for row in earlier]
    if vote.hall_totals_json:
        totals = HallTotals.parse(snapshot.options, json.loads(vote.hall_totals_json))
        ballots.append((chain.HALL_RECEIPT, totals.canonical()))
    links = chain.chain_links(vote.id, ballots)
    if earlier:
        db.session.execute(delete(Ballot).where(Ballot.vote_id == vote.id))
    if links:
        db.session.execute(insert(Ballot.__table__), [
            {"vote_id": vote.id, "receipt": r, "choice": c, "chain_hash": h} for r, c, h in links])
    _strip_participations(vote.id)
    after_commit(_scrub)
    return links[-1][2] if links else chain.genesis(vote.id)


def _strip_participations(vote_id):
    """The vote's participation rows again, in voter order and without seals: whatever order the
    old rows kept (their place in the page, their transaction) goes with them."""
    participations = VoteParticipation.__table__
    kept = db.session.execute(
        db.select(participations.c.user_id, participations.c.household_id, participations.c.mode)
        .where(participations.c.vote_id == vote_id).order_by(participations.c.user_id)).all()
    db.session.execute(delete(participations).where(participations.c.vote_id == vote_id))
    if kept:
        db.session.execute(insert(participations), [
            {"vote_id": vote_id, "user_id": u, "household_id": h, "mode": m, "choice": None,
             "receipt": None, "sealed": None} for u, h, m in kept])


def _scrub():
    """After the close's commit: leave no old version of the rewritten rows in the files."""
    engine = db.engine
    try:
        if engine.dialect.name == "sqlite":
            _checkpoint_sqlite(engine)
        elif engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                _wait_for_older_transactions(conn)
                conn.exec_driver_sql(f"SET lock_timeout = '{REWRITE_LOCK_TIMEOUT}'")
                for table in SCRUBBED_TABLES:
                    # A rewrite (as VACUUM FULL) in the order of the primary key, (vote, voter)
                    # and (vote, receipt): VACUUM FULL kept the rows where the rewritten ones had
                    # landed in the pages' free space, out of voter order now and then.
                    conn.exec_driver_sql(f"CLUSTER {table} USING pk_{table}")
    except Exception:  # noqa: BLE001 - the close is committed; the next close scrubs again
        log.exception("scrubbing the sealed ballots' old versions failed")


def _wait_for_older_transactions(conn, seconds=OLDER_TRANSACTIONS_WAIT):
    """A transaction that began before the close may still see the old rows, and VACUUM keeps
    what anyone may see: wait a little for such transactions to end."""
    deadline = time.monotonic() + seconds
    while True:
        older = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start < statement_timestamp() "
            "AND backend_xmin IS NOT NULL").scalar_one()
        if not older:
            return
        if time.monotonic() > deadline:
            log.warning("%d transactions older than a secret vote's close are still open: the "
                        "rewrite may keep old versions they can see", older)
            return
        time.sleep(0.05)


def _checkpoint_sqlite(engine, attempts=20):
    """Copy the log into the database and truncate it to nothing; a reader still in the log
    makes SQLite answer busy, so try again a little later."""
    with engine.connect() as conn:
        for _ in range(attempts):
            busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            if not busy:
                return
            time.sleep(0.05)
    log.warning("the SQLite write-ahead log could not be truncated: a reader held it")


# -- backups: the archive does not carry the key, so it says which key its seals need -------------

def backup_facts(conn):
    """For a backup's manifest, read on the copy's own connection: the fingerprint of this
    instance's secret key (not the key) and whether sealed ballots of open votes are in the copy."""
    participations = VoteParticipation.__table__
    columns = {c["name"] for c in inspect(conn).get_columns(participations.name)} \
        if inspect(conn).has_table(participations.name) else set()
    waiting = "sealed" in columns and conn.execute(
        db.select(participations.c.vote_id).where(participations.c.sealed.is_not(None)).limit(1)
    ).first() is not None
    return {"key_fingerprint": seal.key_fingerprint(current_app.config["SECRET_KEY"]),
            "sealed_ballots": waiting}


def restore_refusal(manifest):
    """Why restoring `manifest`'s archive under this instance's key would lose votes, or None:
    sealed ballots exist and the archive's key is another."""
    facts = manifest.get("secret_ballots") or {}
    ours = seal.key_fingerprint(current_app.config["SECRET_KEY"])
    if not facts.get("sealed_ballots") or facts.get("key_fingerprint") == ours:
        return None
    return (f"the archive holds sealed ballots of open secret votes, sealed under the secret key "
            f"with fingerprint {facts.get('key_fingerprint')}; this instance's key has fingerprint "
            f"{ours}, so they could not be opened or counted. Restore with the original key "
            "(instance/secret_key or SECRET_KEY, kept apart from the archives), or add --void-sealed "
            "to restore anyway and make those votes void.")


def void_sealed_votes(reason):
    """Make void every open secret vote holding seals this instance cannot open (a restore under
    another secret key): its seals are removed, the vote says so in words, the audit log records
    it. Returns the ids. The caller commits."""
    participations = VoteParticipation.__table__
    ids = sorted(set(db.session.scalars(
        db.select(Vote.id).join(participations, participations.c.vote_id == Vote.id)
        .where(Vote.state == VoteState.OPEN, Vote.kind == VoteKind.SECRET.value,
               participations.c.sealed.is_not(None)))))
    for vote_id in ids:
        db.session.execute(update(Vote).where(Vote.id == vote_id).values(state=VoteState.VOID))
        _strip_participations(vote_id)
        vote = db.session.get(Vote, vote_id)
        audit.record("vote.voided", actor=None, obj=vote.meeting, vote_id=vote_id, title=vote.title,
                     reason=reason)
    db.session.flush()
    return ids
