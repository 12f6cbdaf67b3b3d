"""Stored votes: consultations (民意征集) now; meeting votes join them here."""
import json

from app.core.timeutil import utcnow
from app.extensions import db
from app.votes.rules import OptionSet


class Consultation(db.Model):
    """An advisory poll open to every verified resident of a community for a set time."""

    __tablename__ = "consultations"

    id = db.Column(db.Integer, primary_key=True)
    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), nullable=False, index=True)
    title = db.Column(db.String(120), nullable=False)
    description = db.Column(db.Text, nullable=True)  # Markdown
    options_json = db.Column(db.Text, nullable=False)
    start_dt = db.Column(db.DateTime, nullable=False)
    end_dt = db.Column(db.DateTime, nullable=False)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    community = db.relationship("Community")
    created_by = db.relationship("User")
    responses = db.relationship("ConsultationResponse", back_populates="consultation",
                                cascade="all, delete-orphan", lazy="dynamic")

    __table_args__ = (db.Index("ix_consultations_community_end", "community_id", "end_dt"),)

    @property
    def options(self):
        return OptionSet.from_dict(json.loads(self.options_json))

    def phase(self, now=None):
        """upcoming / open / closed, from the clock alone (no scheduler needed)."""
        now = now or utcnow()
        if now < self.start_dt:
            return "upcoming"
        return "open" if now < self.end_dt else "closed"

    @property
    def phase_label(self):
        return {"upcoming": "未开始", "open": "征集中", "closed": "已结束"}[self.phase()]


class ConsultationResponse(db.Model):
    __tablename__ = "consultation_responses"

    id = db.Column(db.Integer, primary_key=True)
    consultation_id = db.Column(db.Integer, db.ForeignKey("consultations.id"), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    choice = db.Column(db.String(200), nullable=False)  # OptionSet.canonical()
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    consultation = db.relationship("Consultation", back_populates="responses")

    # One answer per resident, enforced by the database as well as by the operation.
    __table_args__ = (db.UniqueConstraint("consultation_id", "user_id"),)
