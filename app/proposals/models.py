"""Residents' proposals as stored: the proposal, its co-signs, followers, comments, replies, files."""
from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.core.chinese import index_terms
from app.core.db import keep_fine_statistics
from app.core.termindex import TermIndex
from app.core.timeutil import utcnow
from app.extensions import db
from app.proposals import workflow
from app.proposals.workflow import ProposalState, Role

DEFAULT_CATEGORIES = ("环境卫生", "停车交通", "设施维修", "绿化", "安全", "养老托幼", "文化活动", "物业管理", "其他")


_DEFAULTS = "proposal_settings_defaults"


@event.listens_for(Session, "after_transaction_end")
def _forget_defaults(session, transaction):
    # Another transaction may have stored a community's own settings meanwhile.
    if transaction.parent is None:
        session.info.pop(_DEFAULTS, None)


class ProposalSettings(db.Model):
    """One community's proposal rules; a community without a row uses the defaults."""

    __tablename__ = "proposal_settings"

    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), primary_key=True)
    cosign_threshold = db.Column(db.Integer, nullable=False, default=5)
    window_days = db.Column(db.Integer, nullable=False, default=14)
    review_days = db.Column(db.Integer, nullable=False, default=7)
    reply_days = db.Column(db.Integer, nullable=False, default=30)
    rehandle_days = db.Column(db.Integer, nullable=False, default=15)
    categories_text = db.Column(db.Text, nullable=False, default="\n".join(DEFAULT_CATEGORIES))

    @classmethod
    def for_community(cls, community_id):
        # A community without a row of its own gets the defaults, made once per transaction:
        # `Session.get` answers a stored row from the identity map, but asks the database again
        # for every missing one, once per proposal of a list.
        defaults = db.session.info.setdefault(_DEFAULTS, {})
        found = db.session.get(cls, community_id) if community_id not in defaults else None
        return found if found is not None else cls.defaults_for(community_id)

    @classmethod
    def defaults_for(cls, community_id):
        """The defaults of a community known to have no row of its own (kept for the transaction)."""
        defaults = db.session.info.setdefault(_DEFAULTS, {})
        found = defaults.get(community_id)
        if found is None:
            found = defaults[community_id] = cls(
                community_id=community_id, cosign_threshold=5, window_days=14, review_days=7,
                reply_days=30, rehandle_days=15, categories_text="\n".join(DEFAULT_CATEGORIES))
        return found

    @property
    def categories(self):
        return [c.strip() for c in (self.categories_text or "").splitlines() if c.strip()]

    @property
    def rules(self):
        return workflow.Settings(cosign_threshold=self.cosign_threshold,
                                 window_days=self.window_days, review_days=self.review_days,
                                 reply_days=self.reply_days, rehandle_days=self.rehandle_days)


class Proposal(db.Model):
    __tablename__ = "proposals"

    id = db.Column(db.Integer, primary_key=True)
    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), nullable=False)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    title = db.Column(db.String(120), nullable=False)
    category = db.Column(db.String(32), nullable=False)
    problem = db.Column(db.Text, nullable=False)
    suggestion = db.Column(db.Text, nullable=False)
    place = db.Column(db.String(120), nullable=False, default="")
    state = db.Column(db.String(16), nullable=False, default=ProposalState.draft.value)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    published_dt = db.Column(db.DateTime, nullable=True)
    cosign_count = db.Column(db.Integer, nullable=False, default=0)
    review_started_dt = db.Column(db.DateTime, nullable=True)
    assigned_dt = db.Column(db.DateTime, nullable=True)
    reply_due_dt = db.Column(db.DateTime, nullable=True)
    is_extended = db.Column(db.Boolean, nullable=False, default=False)
    rehandle_count = db.Column(db.Integer, nullable=False, default=0)
    handler_org_id = db.Column(db.Integer, db.ForeignKey("handler_orgs.id"), nullable=True)
    merged_into_id = db.Column(db.Integer, db.ForeignKey("proposals.id"), nullable=True, index=True)
    decline_ground = db.Column(db.String(32), nullable=True)
    decline_reason = db.Column(db.Text, nullable=True)
    rating = db.Column(db.String(24), nullable=True)  # the latest rating; every one is in replies
    closed_dt = db.Column(db.DateTime, nullable=True)

    author = db.relationship("User", foreign_keys=[author_id])
    community = db.relationship("Community")
    handler_org = db.relationship("HandlerOrg")
    merged_into = db.relationship("Proposal", remote_side=[id])
    replies = db.relationship("ProposalReply", back_populates="proposal",
                              order_by="ProposalReply.id", cascade="all, delete-orphan")
    attachments = db.relationship("ProposalAttachment", back_populates="proposal",
                                  order_by="ProposalAttachment.id", cascade="all, delete-orphan")

    __table_args__ = (
        # The list pages: one community, newest first, optionally one state or category. The
        # extra columns cover the filters, so counting and skipping to a deep page read only the
        # index (expiry is published_dt against the window and cosign_count against the threshold;
        # overdue is the review start or the reply date against the clock).
        db.Index("ix_proposals_community_list", "community_id", "id", "state", "author_id"),
        db.Index("ix_proposals_community_state", "community_id", "state", "id", "published_dt",
                 "cosign_count", "review_started_dt", "reply_due_dt"),
        db.Index("ix_proposals_community_category", "community_id", "category", "id"),
        db.Index("ix_proposals_state_due", "state", "reply_due_dt"),
        # A handling organisation's queue, soonest due first, counted from the index alone.
        db.Index("ix_proposals_handler_queue", "handler_org_id", "state", "reply_due_dt", "id"),
    )

    def __repr__(self):
        return f"<Proposal {self.id} {self.title}>"

    # -- the rule's view of this row ----------------------------------------
    @property
    def settings(self):
        cached = getattr(self, "_settings", None)
        if cached is None:
            cached = ProposalSettings.for_community(self.community_id)
            self._settings = cached
        return cached

    def snapshot(self):
        return workflow.Snapshot(
            state=self.state, published_dt=self.published_dt, cosign_count=self.cosign_count,
            review_started_dt=self.review_started_dt, assigned_dt=self.assigned_dt,
            reply_due_dt=self.reply_due_dt, is_extended=self.is_extended,
            rehandle_count=self.rehandle_count)

    def effective_state(self, now=None):
        return workflow.effective_state(self.snapshot(), now or utcnow(), self.settings.rules)

    def deadline(self, now=None):
        return workflow.deadlines(self.snapshot(), now or utcnow(), self.settings.rules)

    def standing(self, now=None):
        """(effective state, running deadline or None), from one look at the row: what a list shows."""
        return workflow.standing(self.snapshot(), now or utcnow(), self.settings.rules)

    @property
    def window_end_dt(self):
        if self.published_dt is None:
            return None
        return self.published_dt + timedelta(days=self.settings.window_days)

    @property
    def is_public(self):
        """Once published, always public (a draft withdrawn before publishing never was)."""
        return self.published_dt is not None

    @property
    def latest_reply(self):
        return self.replies[-1] if self.replies else None

    @property
    def decline_ground_label(self):
        return workflow.DeclineGround(self.decline_ground).label if self.decline_ground else ""

    # -- who someone is to this proposal -----------------------------------
    def roles_of(self, user):
        """The workflow roles `user` holds on this proposal (see workflow.Role)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return {Role.other}
        community = self.community
        roles = set()
        if user.is_staff_of(community):
            roles.add(Role.staff)
        if self.handler_org is not None and self.handler_org.has_member(user):
            roles.add(Role.handler)
        if user.id == self.author_id:
            roles.add(Role.author if user.is_resident_of(community) else Role.unverified)
        elif user.is_resident_of(community):
            roles.add(Role.resident)
        elif user.community_id == community.id:
            roles.add(Role.unverified)
        return roles or {Role.other}

    def is_insider(self, user):
        """Someone who may act on it at all: its community's people and its handler."""
        return Role.other not in self.roles_of(user)

    def can_view(self, user):
        # Once published the whole trail is public (DESIGN §3.7); a draft is its author's alone.
        if self.is_public:
            return True
        return user is not None and getattr(user, "is_authenticated", False) and user.id == self.author_id

    def can_edit(self, user):
        return (self.state == ProposalState.draft.value and user is not None
                and getattr(user, "is_authenticated", False) and user.id == self.author_id)


class ProposalTerm(db.Model):
    """The search index: each two-character word (and Latin word) of a proposal's title and
    problem, so a search reads the proposals that contain a word instead of scanning them all."""

    __tablename__ = "proposal_terms"

    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), primary_key=True)
    term = db.Column(db.String(32), primary_key=True)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id"), primary_key=True,
                            index=True)

    MAX_TERMS = 400

    @staticmethod
    def terms_of(title, problem):
        return index_terms(f"{title}\n{problem}", ProposalTerm.MAX_TERMS)


keep_fine_statistics(ProposalTerm.__table__.c.term)
# Searches fix the community: a word common in one community does not slow another's search.
TERM_INDEX = TermIndex(ProposalTerm.__table__, item="proposal_id", scope=("community_id",))


class ProposalCosign(db.Model):
    __tablename__ = "proposal_cosigns"

    id = db.Column(db.Integer, primary_key=True)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id"), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    # Co-signers may rate the latest reply too (DESIGN §3.6, optional); only the author's rating
    # moves the proposal, these are shown beside it.
    rating = db.Column(db.String(24), nullable=True)
    rated_reply_id = db.Column(db.Integer, db.ForeignKey("proposal_replies.id"), nullable=True)

    @property
    def rating_label(self):
        return workflow.Rating(self.rating).label if self.rating else ""

    user = db.relationship("User")

    __table_args__ = (db.UniqueConstraint("proposal_id", "user_id"),)


class ProposalFollow(db.Model):
    __tablename__ = "proposal_follows"

    id = db.Column(db.Integer, primary_key=True)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id"), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    user = db.relationship("User")

    __table_args__ = (db.UniqueConstraint("proposal_id", "user_id"),)


class ProposalComment(db.Model):
    __tablename__ = "proposal_comments"

    id = db.Column(db.Integer, primary_key=True)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id"), nullable=False, index=True)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    body = db.Column(db.Text, nullable=False)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    is_hidden = db.Column(db.Boolean, nullable=False, default=False)
    hidden_reason = db.Column(db.Text, nullable=True)
    hidden_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    hidden_dt = db.Column(db.DateTime, nullable=True)

    author = db.relationship("User", foreign_keys=[author_id])
    hidden_by = db.relationship("User", foreign_keys=[hidden_by_id])


class ProposalReply(db.Model):
    """A handler's written reply (or a matter's outcome), and the author's rating of it."""

    __tablename__ = "proposal_replies"

    id = db.Column(db.Integer, primary_key=True)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id"), nullable=False, index=True)
    org_id = db.Column(db.Integer, db.ForeignKey("handler_orgs.id"), nullable=True)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    category = db.Column(db.String(1), nullable=False)
    body = db.Column(db.Text, nullable=False)
    reason = db.Column(db.Text, nullable=True)  # why not now, for category C
    is_late = db.Column(db.Boolean, nullable=False, default=False)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    rating = db.Column(db.String(24), nullable=True)
    rated_dt = db.Column(db.DateTime, nullable=True)

    proposal = db.relationship("Proposal", back_populates="replies")
    org = db.relationship("HandlerOrg")
    author = db.relationship("User")

    @property
    def category_label(self):
        return workflow.ReplyCategory(self.category).label

    @property
    def rating_label(self):
        return workflow.Rating(self.rating).label if self.rating else ""


class ProposalAttachment(db.Model):
    __tablename__ = "proposal_attachments"

    id = db.Column(db.Integer, primary_key=True)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id"), nullable=False, index=True)
    filename = db.Column(db.String(120), nullable=False)  # as the uploader named it, cleaned
    stored_name = db.Column(db.String(64), nullable=False, unique=True)
    content_type = db.Column(db.String(32), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    proposal = db.relationship("Proposal", back_populates="attachments")

    @property
    def is_image(self):
        return self.content_type.startswith("image/")
