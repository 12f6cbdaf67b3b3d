"""The append-only audit log: every state change is one event (who, when, from, to, why)."""
import csv
import io
import json

from sqlalchemy import event
from sqlalchemy.orm import Session

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

    actor = db.relationship("User", foreign_keys=[actor_id])

    __table_args__ = (db.Index("ix_audit_events_object", "object_type", "object_id"),)

    @property
    def data(self):
        return json.loads(self.data_json) if self.data_json else {}


@event.listens_for(Session, "before_flush")
def _audit_is_append_only(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("audit events are append-only")


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


def export_csv(events):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["id", "time_utc", "actor_id", "community_id", "action", "object_type",
                     "object_id", "from", "to", "reason", "data"])
    for e in events:
        writer.writerow([e.id, e.created_dt.isoformat(), e.actor_id, e.community_id, e.action,
                         e.object_type, e.object_id, e.from_state, e.to_state, e.reason,
                         e.data_json or ""])
    return buf.getvalue()
