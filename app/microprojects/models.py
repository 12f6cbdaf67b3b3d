"""Micro-project rounds (民生微实事) as stored: the round, its ideas and their screening, the
residents' secret ballots, paper totals, and each funded project's milestones, spending, photos,
ratings and acceptance. Money is integer fen."""
import json

from app.core.i18n import N_
from app.core.timeutil import utcnow
from app.extensions import db
from app.microprojects import rules
from app.microprojects.rules import BallotBase, ChoiceMode, ChoiceRule, Kind

DEFAULT_CATEGORIES = ("环境改善", "设施维修", "为老服务", "儿童与家庭", "文化体育", "安全", "其他")


class MicroRound(db.Model):
    """One community's yearly round (年度项目): the fund, kinds with caps, phases by date."""

    __tablename__ = "micro_rounds"

    id = db.Column(db.Integer, primary_key=True)
    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), nullable=False, index=True)
    title = db.Column(db.String(120), nullable=False)
    year = db.Column(db.Integer, nullable=False)
    fund_fen = db.Column(db.BigInteger, nullable=False)
    service_cap_fen = db.Column(db.BigInteger, nullable=False)
    goods_cap_fen = db.Column(db.BigInteger, nullable=False)
    works_cap_fen = db.Column(db.BigInteger, nullable=False)
    categories_text = db.Column(db.Text, nullable=False, default="\n".join(DEFAULT_CATEGORIES))
    collect_start_dt = db.Column(db.DateTime, nullable=False)
    screen_start_dt = db.Column(db.DateTime, nullable=False)
    deliberate_start_dt = db.Column(db.DateTime, nullable=False)
    vote_start_dt = db.Column(db.DateTime, nullable=False)
    vote_end_dt = db.Column(db.DateTime, nullable=False)
    implement_start_dt = db.Column(db.DateTime, nullable=False)
    close_dt = db.Column(db.DateTime, nullable=False)
    ballot_base = db.Column(db.String(16), nullable=False, default=BallotBase.person.value)
    choice_mode = db.Column(db.String(16), nullable=False, default=ChoiceMode.up_to_k.value)
    max_choices = db.Column(db.Integer, nullable=False, default=3)
    is_changeable = db.Column(db.Boolean, nullable=False, default=True)
    # A funded project above this goes on through 四议两公开 as a matter (None: never).
    matter_threshold_fen = db.Column(db.BigInteger, nullable=True)
    # The deliberation: the agenda item carrying the screened list, and what its vote fixed.
    agenda_item_id = db.Column(db.Integer, db.ForeignKey("agenda_items.id"), nullable=True)
    agenda_ideas_text = db.Column(db.Text, nullable=True)   # the idea ids put to the meeting
    shortlist_vote_id = db.Column(db.Integer, db.ForeignKey("votes.id"), nullable=True)
    shortlist_fixed_dt = db.Column(db.DateTime, nullable=True)
    shortlist_result_text = db.Column(db.Text, nullable=True)
    results_json = db.Column(db.Text, nullable=True)        # rules.Funding.to_dict(), frozen once
    results_dt = db.Column(db.DateTime, nullable=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    community = db.relationship("Community")
    agenda_item = db.relationship("AgendaItem")
    ideas = db.relationship("MicroIdea", back_populates="round", order_by="MicroIdea.id",
                            lazy="dynamic")

    def __repr__(self):
        return f"<MicroRound {self.id} {self.title}>"

    @property
    def dates(self):
        return rules.Dates(*(getattr(self, name) for name in rules.DATE_FIELDS))

    def phase(self, now=None):
        return rules.phase_at(self.dates, now or utcnow(), shortlist_fixed=self.shortlist_fixed_dt is not None)

    @property
    def caps(self):
        return {Kind.service: self.service_cap_fen, Kind.goods: self.goods_cap_fen,
                Kind.works: self.works_cap_fen}

    @property
    def categories(self):
        return [c.strip() for c in (self.categories_text or "").splitlines() if c.strip()]

    @property
    def choice_rule(self):
        return ChoiceRule(ChoiceMode(self.choice_mode), self.max_choices, self.fund_fen)

    @property
    def base(self):
        return BallotBase(self.ballot_base)

    @property
    def funding(self):
        return rules.Funding.from_dict(json.loads(self.results_json)) if self.results_json else None

    @property
    def agenda_idea_ids(self):
        return [int(x) for x in (self.agenda_ideas_text or "").split(",") if x]


class IdeaSource:
    ONLINE = "online"
    PAPER = "paper"
    VISIT = "visit"
    PROPOSAL = "proposal"


SOURCE_LABELS = {IdeaSource.ONLINE: N_("网上提交"), IdeaSource.PAPER: N_("纸质收集"),
                 IdeaSource.VISIT: N_("走访收集"), IdeaSource.PROPOSAL: N_("由居民提案转入")}


class Screening:
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    MERGED = "merged"


class MicroIdea(db.Model):
    """A project idea, from submission through screening, the vote and implementation."""

    __tablename__ = "micro_ideas"

    id = db.Column(db.Integer, primary_key=True)
    round_id = db.Column(db.Integer, db.ForeignKey("micro_rounds.id"), nullable=False, index=True)
    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), nullable=False, index=True)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    source = db.Column(db.String(16), nullable=False, default=IdeaSource.ONLINE)
    source_name = db.Column(db.String(60), nullable=True)   # who raised it on paper or at a visit
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id"), nullable=True)
    title = db.Column(db.String(120), nullable=False)
    description = db.Column(db.Text, nullable=False)        # what
    beneficiaries = db.Column(db.String(200), nullable=False, default="")   # for whom
    place = db.Column(db.String(120), nullable=False, default="")
    kind = db.Column(db.String(16), nullable=False)
    category = db.Column(db.String(32), nullable=False)
    cost_fen = db.Column(db.BigInteger, nullable=True)      # the resident's rough cost
    cosign_count = db.Column(db.Integer, nullable=False, default=0)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    # screening
    screening = db.Column(db.String(16), nullable=True)
    ground = db.Column(db.String(24), nullable=True)
    screening_reason = db.Column(db.Text, nullable=True)
    estimate_fen = db.Column(db.BigInteger, nullable=True)
    handler_org_id = db.Column(db.Integer, db.ForeignKey("handler_orgs.id"), nullable=True)
    merged_into_id = db.Column(db.Integer, db.ForeignKey("micro_ideas.id"), nullable=True)
    screened_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    screened_dt = db.Column(db.DateTime, nullable=True)
    # the deliberation and the vote
    is_shortlisted = db.Column(db.Boolean, nullable=False, default=False)
    is_funded = db.Column(db.Boolean, nullable=False, default=False)
    matter_id = db.Column(db.Integer, db.ForeignKey("matters.id"), nullable=True)
    # implementation and acceptance (验收)
    assigned_dt = db.Column(db.DateTime, nullable=True)
    accepted_dt = db.Column(db.DateTime, nullable=True)
    accepted_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    acceptance_note = db.Column(db.Text, nullable=True)
    confirmed_dt = db.Column(db.DateTime, nullable=True)
    confirmed_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)

    round = db.relationship("MicroRound", back_populates="ideas")
    author = db.relationship("User", foreign_keys=[author_id])
    handler_org = db.relationship("HandlerOrg")
    merged_into = db.relationship("MicroIdea", remote_side=[id])
    milestones = db.relationship("MicroMilestone", back_populates="idea", order_by="MicroMilestone.due_dt",
                                 cascade="all, delete-orphan")
    spendings = db.relationship("MicroSpending", back_populates="idea", order_by="MicroSpending.id",
                                cascade="all, delete-orphan")
    photos = db.relationship("MicroPhoto", back_populates="idea", order_by="MicroPhoto.id",
                             cascade="all, delete-orphan")
    people = db.relationship("MicroHandlerPerson", cascade="all, delete-orphan")

    __table_args__ = (db.Index("ix_micro_ideas_round_screening", "round_id", "screening", "id"),)

    def __repr__(self):
        return f"<MicroIdea {self.id} {self.title}>"

    @property
    def kind_enum(self):
        return Kind(self.kind)

    @property
    def cost_for_vote_fen(self):
        """What the ballot and the funding count: the screening's estimate."""
        return self.estimate_fen if self.estimate_fen is not None else (self.cost_fen or 0)

    @property
    def spent_fen(self):
        return sum(s.amount_fen for s in self.spendings)

    @property
    def progress(self):
        return max((m.percent for m in self.milestones if m.done_dt is not None), default=0)

    @property
    def source_label(self):
        return SOURCE_LABELS.get(self.source, self.source)


class MicroCosign(db.Model):
    __tablename__ = "micro_cosigns"

    id = db.Column(db.Integer, primary_key=True)
    idea_id = db.Column(db.Integer, db.ForeignKey("micro_ideas.id"), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (db.UniqueConstraint("idea_id", "user_id"),)


class MicroFollow(db.Model):
    __tablename__ = "micro_follows"

    id = db.Column(db.Integer, primary_key=True)
    idea_id = db.Column(db.Integer, db.ForeignKey("micro_ideas.id"), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    user = db.relationship("User")

    __table_args__ = (db.UniqueConstraint("idea_id", "user_id"),)


class MicroParticipation(db.Model):
    """Who has voted (a person, or a household), and how: online or on paper. No time, no order:
    nothing here links to a ballot."""

    __tablename__ = "micro_participations"

    round_id = db.Column(db.Integer, db.ForeignKey("micro_rounds.id"), primary_key=True)
    voter_key = db.Column(db.String(24), primary_key=True)   # "u:<user id>" or "h:<household id>"
    channel = db.Column(db.String(8), nullable=False)        # online / paper

    # Keyed by (round, voter) and, on SQLite, WITHOUT ROWID: no number counts voters in the
    # order they voted.
    __table_args__ = {"sqlite_with_rowid": False}


class MicroBallot(db.Model):
    """An online ballot: its token (a keyed hash of round and voter that only the server's secret
    key can recompute, so a changed ballot replaces the voter's own), the receipt and the choice.
    No id, no time stamp, no voter."""

    __tablename__ = "micro_ballots"

    round_id = db.Column(db.Integer, db.ForeignKey("micro_rounds.id"), primary_key=True)
    token = db.Column(db.String(64), primary_key=True)
    receipt = db.Column(db.String(24), nullable=False)
    choice = db.Column(db.Text, nullable=False)   # rules.canonical(picks)

    # Kept in token order on SQLite (WITHOUT ROWID), not in the order of arrival.
    __table_args__ = {"sqlite_with_rowid": False}


class MicroPaperTotal(db.Model):
    """Counted paper ballots per project, entered by staff from a polling table."""

    __tablename__ = "micro_paper_totals"

    round_id = db.Column(db.Integer, db.ForeignKey("micro_rounds.id"), primary_key=True)
    idea_id = db.Column(db.Integer, db.ForeignKey("micro_ideas.id"), primary_key=True)
    count = db.Column(db.Integer, nullable=False, default=0)


class MicroHandlerPerson(db.Model):
    __tablename__ = "micro_handler_people"

    id = db.Column(db.Integer, primary_key=True)
    idea_id = db.Column(db.Integer, db.ForeignKey("micro_ideas.id"), nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)

    user = db.relationship("User")

    __table_args__ = (db.UniqueConstraint("idea_id", "user_id"),)


class MicroMilestone(db.Model):
    __tablename__ = "micro_milestones"

    id = db.Column(db.Integer, primary_key=True)
    idea_id = db.Column(db.Integer, db.ForeignKey("micro_ideas.id"), nullable=False, index=True)
    title = db.Column(db.String(120), nullable=False)
    due_dt = db.Column(db.DateTime, nullable=False)
    percent = db.Column(db.Integer, nullable=False)   # the project's progress once this is done
    note = db.Column(db.Text, nullable=True)
    done_dt = db.Column(db.DateTime, nullable=True)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    idea = db.relationship("MicroIdea", back_populates="milestones")

    def is_overdue(self, now=None):
        return rules.is_overdue(self.due_dt, self.done_dt, now or utcnow())


class MicroSpending(db.Model):
    __tablename__ = "micro_spendings"

    id = db.Column(db.Integer, primary_key=True)
    idea_id = db.Column(db.Integer, db.ForeignKey("micro_ideas.id"), nullable=False, index=True)
    amount_fen = db.Column(db.BigInteger, nullable=False)
    note = db.Column(db.String(200), nullable=False)
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    idea = db.relationship("MicroIdea", back_populates="spendings")


class MicroPhoto(db.Model):
    __tablename__ = "micro_photos"

    id = db.Column(db.Integer, primary_key=True)
    idea_id = db.Column(db.Integer, db.ForeignKey("micro_ideas.id"), nullable=False, index=True)
    milestone_id = db.Column(db.Integer, db.ForeignKey("micro_milestones.id"), nullable=True)
    filename = db.Column(db.String(120), nullable=False)
    stored_name = db.Column(db.String(64), nullable=False, unique=True)
    content_type = db.Column(db.String(32), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    idea = db.relationship("MicroIdea", back_populates="photos")

    @property
    def is_image(self):
        return self.content_type.startswith("image/")


class MicroRating(db.Model):
    __tablename__ = "micro_ratings"

    id = db.Column(db.Integer, primary_key=True)
    idea_id = db.Column(db.Integer, db.ForeignKey("micro_ideas.id"), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    rating = db.Column(db.String(16), nullable=False)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (db.UniqueConstraint("idea_id", "user_id"),)
