"""Stored votes: consultations (民意征集) now; meeting votes join them here."""
import json

from flask_babel import gettext as _, lazy_gettext as _l

from app.core.timeutil import utcnow
from app.extensions import db
from app.votes.choices import OptionSet


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
        return {"upcoming": _("未开始"), "open": _("征集中"), "closed": _("已结束")}[self.phase()]


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


class VoteState:
    OPEN = "open"
    CLOSED = "closed"
    # A secret vote whose sealed ballots cannot be opened any more: restored from a backup under
    # another secret key with `flask restore --void-sealed` (app/votes/sealed.py).
    VOID = "void"


VOTE_STATE_LABELS = {VoteState.OPEN: _l("表决中"), VoteState.CLOSED: _l("已结束"),
                     VoteState.VOID: _l("已作废（密封选票无法开启）")}


class Vote(db.Model):
    """A vote held on an agenda item of a live meeting (DESIGN §6).

    Everything the count needs is frozen when it opens: `snapshot_json` (eligible, hall, online,
    options, households; `rules.Snapshot`) and `rule_json` (the body's rule then). The result is
    stored with its numbers and rule in words (`result_json`) and the head of the ballot chain.
    """

    __tablename__ = "votes"

    id = db.Column(db.Integer, primary_key=True)
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id"), nullable=False, index=True)
    item_id = db.Column(db.Integer, db.ForeignKey("agenda_items.id"), nullable=True, index=True)
    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), nullable=False, index=True)
    title = db.Column(db.String(200), nullable=False)
    kind = db.Column(db.String(8), nullable=False)            # rules.VoteKind
    options_json = db.Column(db.Text, nullable=False)         # choices.OptionSet.to_dict()
    snapshot_json = db.Column(db.Text, nullable=False)
    rule_json = db.Column(db.Text, nullable=False)
    state = db.Column(db.String(8), nullable=False, default=VoteState.OPEN, index=True)
    auto_close = db.Column(db.Boolean, nullable=False, default=False)
    hall_totals_json = db.Column(db.Text, nullable=True)      # a secret vote's counted paper ballots
    opened_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    opened_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    closed_dt = db.Column(db.DateTime, nullable=True)
    closed_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    result_json = db.Column(db.Text, nullable=True)
    passed = db.Column(db.Boolean, nullable=True)
    chain_head = db.Column(db.String(64), nullable=True)

    meeting = db.relationship("Meeting")
    item = db.relationship("AgendaItem")

    @property
    def is_open(self):
        return self.state == VoteState.OPEN

    @property
    def is_void(self):
        return self.state == VoteState.VOID

    @property
    def state_label(self):
        return str(VOTE_STATE_LABELS.get(self.state, self.state))

    @property
    def options(self):
        return OptionSet.from_dict(json.loads(self.options_json))

    @property
    def result(self):
        return json.loads(self.result_json) if self.result_json else None


class VoteParticipation(db.Model):
    """That a member took part, and how: kept apart from the ballots.

    For a named vote the choice and receipt are recorded here too (who chose what is public in the
    minutes). For a secret vote `choice` and `receipt` stay empty; while it is open `sealed` holds
    the voter's ballot sealed under the vote's key (app/votes/seal.py), opaque without the secret
    key, and the close removes it. Nothing orders the rows: no autoincrement id, no time stamp;
    the key is (vote, voter) and on SQLite the table is WITHOUT ROWID. Unique per vote and
    household on the household base (a household casts once); `household_id` is empty otherwise.
    """

    __tablename__ = "vote_participations"

    vote_id = db.Column(db.Integer, db.ForeignKey("votes.id"), primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), primary_key=True)
    household_id = db.Column(db.Integer, nullable=True)
    mode = db.Column(db.String(8), nullable=False)            # online | hall
    choice = db.Column(db.String(200), nullable=True)         # named votes only
    receipt = db.Column(db.String(12), nullable=True)         # named votes only
    sealed = db.Column(db.LargeBinary, nullable=True)         # secret votes, while open

    __table_args__ = (db.UniqueConstraint("vote_id", "household_id", name="uq_vote_participations_household"),
                      {"sqlite_with_rowid": False})


class Ballot(db.Model):
    """One ballot: the vote, a random receipt and the choice. Nothing else.

    No voter, no time stamp, no ordered id: the key is (vote, receipt) and on SQLite the table is
    WITHOUT ROWID, so rows are kept in receipt order, not arrival order. On PostgreSQL a secret
    vote's ballots are rewritten in receipt order when it closes. `chain_hash` is the ballot's link
    in the hash chain, written at the close (`chain.chain_links`).
    """

    __tablename__ = "ballots"

    vote_id = db.Column(db.Integer, db.ForeignKey("votes.id"), primary_key=True)
    receipt = db.Column(db.String(12), primary_key=True)
    choice = db.Column(db.String(200), nullable=False)        # OptionSet.canonical(), or hall totals
    chain_hash = db.Column(db.String(64), nullable=True)

    __table_args__ = {"sqlite_with_rowid": False}
