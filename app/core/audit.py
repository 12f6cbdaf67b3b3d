"""The append-only audit log: every state change is one event (who, when, from, to, why).

The log is a hash chain (app/core/auditchain.py). An event is inserted like any row; when its
transaction commits, `_chain_new_events` takes the one row of `audit_chain_head` under a row lock
(`SELECT … FOR UPDATE` on PostgreSQL; SQLite has one writer at a time anyway), gives the
transaction's new events the next places and hashes, and moves the head on. The lock is taken as
the transaction's last step and held only through its commit, so writers queue for a moment
there and nowhere else, and no lock is ever taken after it (no deadlock). Casts write no audit
event and never take it.
"""
import csv
import importlib
import io
import json

from sqlalchemy import bindparam, event, func, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.core import auditchain
from app.core.i18n import N_, Message
from app.core.timeutil import utcnow
from app.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id = db.Column(db.Integer, primary_key=True)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True, index=True)
    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), nullable=True, index=True)
    action = db.Column(db.String(64), nullable=False)
    object_type = db.Column(db.String(32), nullable=True)
    object_id = db.Column(db.Integer, nullable=True)
    from_state = db.Column(db.String(32), nullable=True)
    to_state = db.Column(db.String(32), nullable=True)
    reason = db.Column(db.Text, nullable=True)
    data_json = db.Column(db.Text, nullable=True)
    # Set when the inserting transaction commits (None only before that): see the module docstring.
    seq = db.Column(db.Integer, nullable=True, unique=True)
    prev_hash = db.Column(db.String(64), nullable=True)
    chain_hash = db.Column(db.String(64), nullable=True)

    actor = db.relationship("User", foreign_keys=[actor_id])

    __table_args__ = (db.Index("ix_audit_events_object_action", "object_type", "object_id", "action"),)

    @property
    def data(self):
        return json.loads(self.data_json) if self.data_json else {}


@event.listens_for(Session, "before_flush")
def _audit_is_append_only(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("audit events are append-only")


class AuditChainHead(db.Model):
    """One row (id 1): the place and hash of the last chained event, locked to append."""

    __tablename__ = "audit_chain_head"

    id = db.Column(db.Integer, primary_key=True, autoincrement=False)
    seq = db.Column(db.Integer, nullable=False, default=0)
    hash = db.Column(db.String(64), nullable=False, default=auditchain.GENESIS)


HEAD_ID = 1
_PENDING = "audit_unchained"
events_table = AuditEvent.__table__
head_table = AuditChainHead.__table__


@event.listens_for(Session, "after_flush")
def _remember_new_events(session, flush_context):
    new = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if new:
        session.info.setdefault(_PENDING, []).extend(new)


@event.listens_for(Session, "before_commit")
def _chain_new_events(session):
    """Give the events this transaction inserted their places and hashes, then move the head."""
    if not session.info.get(_PENDING) and not any(isinstance(o, AuditEvent) for o in session.new):
        return
    session.flush()
    pending = {}
    for obj in session.info.pop(_PENDING, []):
        state = inspect(obj)
        if state.persistent:     # not rolled back with a savepoint
            pending[state.identity[0]] = obj
    if not pending:
        return
    rows = session.execute(select(events_table).where(events_table.c.id.in_(pending),
                                                      events_table.c.chain_hash.is_(None))
                           .order_by(events_table.c.id)).mappings().all()
    if not rows:
        return
    seq, prev = _lock_head(session)
    links = auditchain.link(seq, prev, rows)
    session.execute(events_table.update().where(events_table.c.id == bindparam("b_id"))
                    .values(seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"),
                            chain_hash=bindparam("b_hash")),
                    [{"b_id": row["id"], "b_seq": s, "b_prev": p, "b_hash": h}
                     for row, (s, p, h) in zip(rows, links, strict=True)])
    last_seq, _, last_hash = links[-1]
    session.execute(head_table.update().where(head_table.c.id == HEAD_ID)
                    .values(seq=last_seq, hash=last_hash))
    for row, (s, p, h) in zip(rows, links, strict=True):
        obj = pending[row["id"]]
        set_committed_value(obj, "seq", s)
        set_committed_value(obj, "prev_hash", p)
        set_committed_value(obj, "chain_hash", h)


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session, transaction):
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def _lock_head(session):
    """(seq, hash) of the head, locked until this transaction ends."""
    locked = select(head_table.c.seq, head_table.c.hash).where(head_table.c.id == HEAD_ID).with_for_update()
    row = session.execute(locked).first()
    if row is None:
        # A database whose head row is missing (built without the migration, or emptied):
        # continue from the last chained event, or from the genesis.
        last = session.execute(select(events_table.c.seq, events_table.c.chain_hash)
                               .where(events_table.c.seq.isnot(None))
                               .order_by(events_table.c.seq.desc()).limit(1)).first()
        seq, head = last if last is not None else (0, auditchain.GENESIS)
        # The database's own dialect (imported here: a process on SQLite never loads PostgreSQL's).
        name = "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"
        dialect = importlib.import_module(f"sqlalchemy.dialects.{name}")
        session.execute(dialect.insert(head_table).values(id=HEAD_ID, seq=seq, hash=head)
                        .on_conflict_do_nothing())
        row = session.execute(locked).first()
    return row.seq, row.hash


def current_head(executor=None):
    """(seq, hash) of the last chained event as committed; (0, GENESIS) for an empty log."""
    executor = executor or db.session
    row = executor.execute(select(head_table.c.seq, head_table.c.hash)
                           .where(head_table.c.id == HEAD_ID)).first()
    return (row.seq, row.hash) if row is not None else (0, auditchain.GENESIS)


VERIFY_BATCH = 2000


def verify_log(executor=None):
    """Walk the whole chain in the database: an `auditchain.Check`, also broken when events were
    left out of the chain or the head row does not name the last event."""
    executor = executor or db.session
    unchained = executor.execute(select(func.min(events_table.c.id))
                                 .where(events_table.c.chain_hash.is_(None))).scalar()
    seq, head, count = 0, auditchain.GENESIS, 0
    while True:
        batch = executor.execute(select(events_table).where(events_table.c.seq > seq)
                                 .order_by(events_table.c.seq).limit(VERIFY_BATCH)).mappings().all()
        if not batch:
            break
        check = auditchain.walk(batch, seq, head)
        count += check.count
        if not check.ok:
            return auditchain.Check(count, check.head, check.broken)
        seq, head = batch[-1]["seq"], check.head
    if unchained is not None:
        return auditchain.Check(count, head, auditchain.Break(
            None, unchained, Message(N_("事件不在链中（没有哈希，绕过应用写入）"))))
    stored = executor.execute(select(head_table.c.seq, head_table.c.hash)
                              .where(head_table.c.id == HEAD_ID)).first()
    if stored is not None and (stored.seq, stored.hash) != (seq, head):
        return auditchain.Check(count, head, auditchain.Break(
            stored.seq, None, Message(N_("链头记录（第 %(seq)d 个，%(hash)s）与最后一个事件不符"),
                                      seq=stored.seq, hash=stored.hash)))
    return auditchain.Check(count, head)


def chain_reaches(chain_hash, executor=None):
    """Whether an event with this hash is in the log (a head kept elsewhere is still in the chain;
    whether the chain itself holds is `verify_log`'s question)."""
    executor = executor or db.session
    if chain_hash.lower() == auditchain.GENESIS:
        return True
    return executor.execute(select(events_table.c.id).where(
        events_table.c.chain_hash == chain_hash.lower()).limit(1)).first() is not None


def chain_state(conn):
    """{"seq", "head"} of the chain as this connection sees it, for a backup's manifest; None
    for a database from before the chain."""
    if not inspect(conn).has_table(head_table.name):
        return None
    seq, head = current_head(conn)
    return {"seq": seq, "head": head}


def restored_chain_warnings(conn, kept):
    """What is wrong with a restored chain, in words: broken, or not ending at the head `kept` in
    the archive's manifest. Warnings, not a refusal: the restore is done, the operator must know."""
    if "chain_hash" not in {c["name"] for c in inspect(conn).get_columns(events_table.name)}:
        return ["the restored database predates the audit hash chain; `flask db upgrade` chains it."]
    check = verify_log(conn)
    seq, head = current_head(conn)
    warnings = []
    if not check.ok:
        warnings.append(f"the restored audit log's hash chain is broken at {check.broken} "
                        "(`flask audit verify` says more).")
    if kept and (seq, head) != (kept["seq"], kept["head"]):
        warnings.append(f"the restored audit chain ends at event {seq} ({head}); the manifest names "
                        f"event {kept['seq']} ({kept['head']}).")
    return warnings


def record(action, *, actor=None, community_id=None, obj=None, from_state=None,
           to_state=None, reason=None, **data):
    """Add one audit event to the current transaction and return it."""
    if obj is not None and getattr(obj, "id", 0) is None:
        db.session.flush()  # the event names the object by id
    if community_id is None and obj is not None:
        community_id = getattr(obj, "community_id", None)
    entry = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        community_id=community_id,
        object_type=obj.__tablename__ if obj is not None else None,
        object_id=getattr(obj, "id", None),
        from_state=_text(from_state),
        to_state=_text(to_state),
        reason=reason or None,
        data_json=json.dumps(data, ensure_ascii=False, default=str) if data else None,
    )
    db.session.add(entry)
    return entry


def _text(state):
    if state is None:
        return None
    return getattr(state, "value", state)


def export_csv(events, head=None):
    """The events as CSV; the first row names the chain's head (seq, hash) at the export."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    seq, chain_head = head or current_head()
    writer.writerow(["# audit_chain_head", seq, chain_head])
    writer.writerow(["id", "time_utc", "actor_id", "community_id", "action", "object_type",
                     "object_id", "from", "to", "reason", "data", "seq", "prev_hash", "chain_hash"])
    for e in events:
        writer.writerow([e.id, e.created_dt.isoformat(), e.actor_id, e.community_id, e.action,
                         e.object_type, e.object_id, e.from_state, e.to_state, e.reason,
                         e.data_json or "", e.seq, e.prev_hash, e.chain_hash])
    return buf.getvalue()
