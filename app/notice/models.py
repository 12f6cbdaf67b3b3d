"""The board as stored: general notices admins post, and the index of everything the board shows.

Everything the board lists lives in its own area (proposals, meetings, matters) and is read from
there for an item's page. `NoticePosting` is only an index of what is public: one row per posting,
rewritten from its source whenever the source changes (see app/notice/index.py), so that listing,
filtering, searching and paging read one small table. `flask notice reindex` rebuilds it.
"""
from flask_babel import lazy_gettext as _l

from app.core.db import keep_fine_statistics
from app.core.termindex import TermIndex
from app.core.timeutil import utcnow
from app.extensions import db
from app.notice import rules
from app.notice.rules import GENERAL_CATEGORIES, PostingKind


class NoticeState:
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"

    LABELS = {"draft": _l("草稿"), "published": _l("已发布"), "withdrawn": _l("已撤下")}


class Notice(db.Model):
    """A general notice (居务公开) a community admin writes in Markdown and publishes."""

    __tablename__ = "notices"

    id = db.Column(db.Integer, primary_key=True)
    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), nullable=False, index=True)
    title = db.Column(db.String(120), nullable=False)
    category = db.Column(db.String(32), nullable=False, default=GENERAL_CATEGORIES[0])
    body = db.Column(db.Text, nullable=False)     # Markdown, shown through the one sanitiser
    state = db.Column(db.String(16), nullable=False, default=NoticeState.DRAFT)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    published_dt = db.Column(db.DateTime, nullable=True)
    withdrawn_dt = db.Column(db.DateTime, nullable=True)
    withdraw_reason = db.Column(db.Text, nullable=True)

    community = db.relationship("Community")
    created_by = db.relationship("User")

    def __repr__(self):
        return f"<Notice {self.id} {self.title}>"

    @property
    def is_public(self):
        return self.state == NoticeState.PUBLISHED

    @property
    def state_label(self):
        return str(NoticeState.LABELS[self.state])

    def can_manage(self, user):
        return bool(user is not None and getattr(user, "is_authenticated", False)
                    and user.is_admin_of(self.community))


class NoticePosting(db.Model):
    """One public item on the board: where it comes from and what a list needs to show it."""

    __tablename__ = "notice_postings"

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(16), nullable=False)
    source_id = db.Column(db.Integer, nullable=False)   # the id in the source's own table
    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), nullable=False)
    title = db.Column(db.String(200), nullable=False)
    category = db.Column(db.String(64), nullable=False, default="")
    year = db.Column(db.Integer, nullable=False)        # local calendar year of published_dt
    published_dt = db.Column(db.DateTime, nullable=False)
    updated_dt = db.Column(db.DateTime, nullable=False)
    status = db.Column(db.String(64), nullable=False, default="")
    status_until = db.Column(db.DateTime, nullable=True)   # the clock changes the status here…
    status_after = db.Column(db.String(64), nullable=True)  # …to this
    summary = db.Column(db.String(240), nullable=False, default="")
    search_text = db.Column(db.Text, nullable=False, default="")  # for words the term index skips
    indexed_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    community = db.relationship("Community")

    __table_args__ = (
        db.UniqueConstraint("kind", "source_id", name="uq_notice_postings_source"),
        # The board's list: newest first, optionally one community / kind / category / year.
        db.Index("ix_notice_postings_published", "published_dt", "id"),
        db.Index("ix_notice_postings_community", "community_id", "published_dt", "id"),
        db.Index("ix_notice_postings_kind", "kind", "published_dt", "id"),
        db.Index("ix_notice_postings_year", "year", "published_dt", "id"),
        db.Index("ix_notice_postings_category", "category", "published_dt", "id"),
        # The categories a kind's board offers; one community's board of one kind.
        db.Index("ix_notice_postings_kind_category", "kind", "category"),
        db.Index("ix_notice_postings_community_kind", "community_id", "kind", "published_dt", "id"),
    )

    @property
    def kind_enum(self):
        return PostingKind(self.kind)

    @property
    def kind_label(self):
        return PostingKind(self.kind).label

    def status_at(self, now=None):
        return rules.status_at(self.status, self.status_until, self.status_after, now or utcnow())


class NoticeTerm(db.Model):
    """The Chinese search index of the board: each two-character word of a posting's text."""

    __tablename__ = "notice_terms"

    term = db.Column(db.String(32), primary_key=True)
    posting_id = db.Column(db.Integer, db.ForeignKey("notice_postings.id", ondelete="CASCADE"),
                           primary_key=True, index=True)

    MAX_TERMS = 600


keep_fine_statistics(NoticeTerm.__table__.c.term)
TERM_INDEX = TermIndex(NoticeTerm.__table__, item="posting_id")


class NoticeIndexState(db.Model):
    """One row: a counter every write to the index moves on, so that a page rendered from the
    index can be cached until the index changes (app/notice/caching.py)."""

    __tablename__ = "notice_index_state"

    id = db.Column(db.Integer, primary_key=True)
    version = db.Column(db.BigInteger, nullable=False, default=0)
    changed_dt = db.Column(db.DateTime, nullable=False, default=utcnow)


class NoticeStatSnapshot(db.Model):
    """A year's statistics as counted at `computed_dt` (app/notice/stats.compute): every
    community's figures and months, from which the street's and each community's pages are read.
    Counting a street's year takes seconds; reading this row takes a millisecond."""

    __tablename__ = "notice_stat_snapshots"

    id = db.Column(db.Integer, primary_key=True)
    year = db.Column(db.Integer, nullable=False)
    figures = db.Column(db.JSON, nullable=False)
    computed_dt = db.Column(db.DateTime, nullable=False)
    # Set while a process recounts the year, so that the others do not count it too.
    refresh_started_dt = db.Column(db.DateTime, nullable=True)

    __table_args__ = (db.UniqueConstraint("year", name="uq_notice_stat_snapshots_year"),)
