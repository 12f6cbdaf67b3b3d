"""Major matters as stored: the matter, its stage history, objections, reports, files, followers."""
from flask_babel import gettext as _

from app.community.models import str_enum
from app.core.timeutil import utcnow
from app.extensions import db
from app.matters import workflow
from app.matters.workflow import MatterStage, Outcome

DEFAULT_KINDS = (
    "公共资金使用",
    "工程建设与修缮",
    "居民公约制定与修改",
    "集体资产处置",
    "补贴与救助名单",
    "其他重大事项",
)


COMMITTEE_PRESETS = (workflow.PARTY_BRANCH, workflow.TWO_COMMITTEES)


def can_draft(user, community):
    """Committee members (两委成员): community staff, or members of the party branch committee or
    the two committees."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff_of(community) or any(
        m.body.community_id == community.id and m.body.preset in COMMITTEE_PRESETS
        for m in user.memberships)


# Before publication a matter is read by those who deliberate it, from the stage their body
# takes it up: the committees and the supervisors from stage 1, party members from stage 3
# (the plan comes with their notice), representatives and the residents' assembly from stage 4.
VISIBLE_FROM = {
    workflow.PARTY_BRANCH: 1, workflow.TWO_COMMITTEES: 1, workflow.SUPERVISORY: 1,
    workflow.PARTY_ASSEMBLY: 3, "representatives_assembly": 4, "residents_assembly": 4,
}
PUBLISHED_FROM = MatterStage.resolution_public.number


def visible_from(user, community):
    """The first stage number at which `user` may read a community's matters (5: published only)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return PUBLISHED_FROM
    if user.is_staff_of(community):
        return 1
    return min([VISIBLE_FROM.get(m.body.preset, PUBLISHED_FROM) for m in user.memberships
                if m.body.community_id == community.id] + [PUBLISHED_FROM])


class MatterSettings(db.Model):
    """One community's list of matters that must pass 4+2, and its notice period."""

    __tablename__ = "matter_settings"

    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), primary_key=True)
    kinds_text = db.Column(db.Text, nullable=False, default="\n".join(DEFAULT_KINDS))
    objection_days = db.Column(db.Integer, nullable=False, default=workflow.MIN_OBJECTION_DAYS)

    @classmethod
    def for_community(cls, community_id):
        found = db.session.get(cls, community_id)
        if found is None:
            found = cls(community_id=community_id, kinds_text="\n".join(DEFAULT_KINDS),
                        objection_days=workflow.MIN_OBJECTION_DAYS)
        return found

    @property
    def kinds(self):
        return [k.strip() for k in (self.kinds_text or "").splitlines() if k.strip()]


class Matter(db.Model):
    __tablename__ = "matters"

    id = db.Column(db.Integer, primary_key=True)
    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), nullable=False, index=True)
    title = db.Column(db.String(120), nullable=False)
    kind = db.Column(db.String(40), nullable=False)
    stage = db.Column(str_enum(MatterStage, 24), nullable=False, default=MatterStage.proposal)
    plan = db.Column(db.Text, nullable=False)                      # Markdown
    budget_fen = db.Column(db.BigInteger, nullable=True)           # exact: yuan × 100
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id"), nullable=True, unique=True)
    round = db.Column(db.Integer, nullable=False, default=1)       # + 1 each time it is sent back
    objection_days = db.Column(db.Integer, nullable=True)          # fixed when the resolution is published
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    resolution_published_dt = db.Column(db.DateTime, nullable=True)
    implementation_started_dt = db.Column(db.DateTime, nullable=True)
    result_published_dt = db.Column(db.DateTime, nullable=True)

    community = db.relationship("Community")
    created_by = db.relationship("User")
    proposal = db.relationship("Proposal")
    steps = db.relationship("MatterStep", back_populates="matter", order_by="MatterStep.id",
                            cascade="all, delete-orphan")
    objections = db.relationship("MatterObjection", back_populates="matter",
                                 order_by="MatterObjection.id", cascade="all, delete-orphan")
    reports = db.relationship("MatterReport", back_populates="matter", order_by="MatterReport.id",
                              cascade="all, delete-orphan")
    attachments = db.relationship("MatterAttachment", back_populates="matter",
                                  order_by="MatterAttachment.id", cascade="all, delete-orphan")

    __table_args__ = (db.Index("ix_matters_community_stage", "community_id", "stage", "id"),)

    def __repr__(self):
        return f"<Matter {self.id} {self.title}>"

    @property
    def is_published(self):
        return self.stage.is_published

    @property
    def budget_text(self):
        return workflow.format_yuan(self.budget_fen) if self.budget_fen is not None else ""

    @property
    def plan_attachments(self):
        return [a for a in self.attachments if a.report_id is None]

    @property
    def objection_end_dt(self):
        if self.resolution_published_dt is None:
            return None
        return workflow.window_end(self.resolution_published_dt, self.objection_days)

    @property
    def spent_fen(self):
        """Money spent as last reported (reports give the running total)."""
        return self.reports[-1].spent_fen if self.reports else 0

    @property
    def percent_done(self):
        return self.reports[-1].percent_done if self.reports else 0

    @property
    def has_final_report(self):
        return any(r.percent_done == 100 for r in self.reports)

    # -- who someone is to this matter -------------------------------------------------------
    def can_manage(self, user):
        """Revise, schedule, answer objections, report: the community's committee members."""
        return can_draft(user, self.community)

    def can_view(self, user):
        if self.is_published:
            return True  # the notice is public: anyone, without an account
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        if self.can_manage(user) or visible_from(user, self.community) <= self.stage.number:
            return True
        return MatterFollow.query.filter_by(matter_id=self.id, user_id=user.id).first() is not None

    def can_object(self, user):
        return bool(user is not None and getattr(user, "is_authenticated", False)
                    and user.is_resident_of(self.community))


class MatterStep(db.Model):
    """The stage history: each decision (a vote of a body) or change (publication, start)."""

    __tablename__ = "matter_steps"

    id = db.Column(db.Integer, primary_key=True)
    matter_id = db.Column(db.Integer, db.ForeignKey("matters.id"), nullable=False, index=True)
    round = db.Column(db.Integer, nullable=False, default=1)
    stage = db.Column(str_enum(MatterStage, 24), nullable=False)
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id"), nullable=True, index=True)
    vote_id = db.Column(db.Integer, db.ForeignKey("votes.id"), nullable=True, index=True)
    passed = db.Column(db.Boolean, nullable=False)
    quorum_met = db.Column(db.Boolean, nullable=True)
    is_merged = db.Column(db.Boolean, nullable=False, default=False)
    outcome = db.Column(str_enum(Outcome, 16), nullable=False)
    from_stage = db.Column(str_enum(MatterStage, 24), nullable=False)
    to_stage = db.Column(str_enum(MatterStage, 24), nullable=False)
    result_text = db.Column(db.Text, nullable=True)       # the vote's result in words
    attendance_text = db.Column(db.Text, nullable=True)   # who was there, in words
    reasons = db.Column(db.Text, nullable=True)           # why it failed / was sent back
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    matter = db.relationship("Matter", back_populates="steps")
    meeting = db.relationship("Meeting")
    vote = db.relationship("Vote")
    actor = db.relationship("User")

    def snap(self):
        return workflow.Step(self.stage, self.passed, self.outcome, self.is_merged)


class MatterObjection(db.Model):
    """A verified resident's objection to a published resolution, and its answer."""

    __tablename__ = "matter_objections"

    id = db.Column(db.Integer, primary_key=True)
    matter_id = db.Column(db.Integer, db.ForeignKey("matters.id"), nullable=False, index=True)
    round = db.Column(db.Integer, nullable=False, default=1)   # the matter's round it was raised in
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    text = db.Column(db.Text, nullable=False)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    answer = db.Column(db.Text, nullable=True)
    answered_dt = db.Column(db.DateTime, nullable=True)
    answered_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    accepted_dt = db.Column(db.DateTime, nullable=True)       # the author accepted the answer
    # Put on the agenda of a party members' assembly, and what it decided.
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id"), nullable=True)
    item_id = db.Column(db.Integer, db.ForeignKey("agenda_items.id"), nullable=True, index=True)
    review_vote_id = db.Column(db.Integer, db.ForeignKey("votes.id"), nullable=True)
    review_passed = db.Column(db.Boolean, nullable=True)
    reviewed_dt = db.Column(db.DateTime, nullable=True)

    matter = db.relationship("Matter", back_populates="objections")
    author = db.relationship("User", foreign_keys=[author_id])
    answered_by = db.relationship("User", foreign_keys=[answered_by_id])
    meeting = db.relationship("Meeting")

    def snap(self):
        return workflow.ObjectionSnap(
            created_dt=self.created_dt, answered_dt=self.answered_dt,
            accepted=self.accepted_dt is not None, scheduled=self.item_id is not None,
            reviewed=self.review_passed is True)

    @property
    def answer_due_dt(self):
        return workflow.answer_due(self.created_dt)

    def is_overdue(self, now=None):
        return workflow.is_overdue(self.created_dt, self.answered_dt, now or utcnow())

    @property
    def is_resolved(self):
        return self.snap().is_resolved

    @property
    def status_label(self):
        if self.accepted_dt is not None:
            return _("已解决（异议人接受答复）")
        if self.review_passed is True:
            return _("经党员大会审议，决议维持")
        if self.review_passed is False:
            return _("党员大会认为异议成立")
        if self.item_id is not None:
            return _("已提交党员大会审议")
        if self.answered_dt is not None:
            return _("已答复，未解决")
        return _("待答复")


class MatterReport(db.Model):
    """An implementation report: public, with the running percentage and money spent."""

    __tablename__ = "matter_reports"

    id = db.Column(db.Integer, primary_key=True)
    matter_id = db.Column(db.Integer, db.ForeignKey("matters.id"), nullable=False, index=True)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    text = db.Column(db.Text, nullable=False)               # Markdown
    percent_done = db.Column(db.Integer, nullable=False)
    spent_fen = db.Column(db.BigInteger, nullable=False, default=0)   # total spent so far
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    matter = db.relationship("Matter", back_populates="reports")
    author = db.relationship("User")
    photos = db.relationship("MatterAttachment", order_by="MatterAttachment.id")

    @property
    def spent_text(self):
        return workflow.format_yuan(self.spent_fen)


class MatterAttachment(db.Model):
    """A file of the plan (image or PDF), or a photo of an implementation report."""

    __tablename__ = "matter_attachments"

    id = db.Column(db.Integer, primary_key=True)
    matter_id = db.Column(db.Integer, db.ForeignKey("matters.id"), nullable=False, index=True)
    report_id = db.Column(db.Integer, db.ForeignKey("matter_reports.id"), nullable=True, index=True)
    filename = db.Column(db.String(120), nullable=False)
    stored_name = db.Column(db.String(64), nullable=False, unique=True)
    content_type = db.Column(db.String(32), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    matter = db.relationship("Matter", back_populates="attachments")

    @property
    def is_image(self):
        return self.content_type.startswith("image/")


class MatterFollow(db.Model):
    __tablename__ = "matter_follows"

    id = db.Column(db.Integer, primary_key=True)
    matter_id = db.Column(db.Integer, db.ForeignKey("matters.id"), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    user = db.relationship("User")

    __table_args__ = (db.UniqueConstraint("matter_id", "user_id"),)
