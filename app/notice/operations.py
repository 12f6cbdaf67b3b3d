"""Every change to a general notice (居务公开): load, check, change, audit, index, flush; and the
statistics' snapshots (counted, kept, claimed for a recount).

Views and API endpoints call these and nothing lower; the caller commits. The board's index row
of a notice is written in the same transaction, so a notice is on the board exactly when it is
published.
"""
from datetime import timedelta

from sqlalchemy import or_
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.core import audit
from app.core.i18n import N_, NP_, Message
from app.core.refusal import Refused
from app.core.sanitize import clean_text
from app.core.timeutil import utcnow
from app.extensions import db
from app.notice import index, stats
from app.notice.models import Notice, NoticeStatSnapshot, NoticeState
from app.notice.rules import GENERAL_CATEGORIES, PostingKind

TITLE_MIN, TITLE_MAX, BODY_MAX = 4, 120, 20000
# A recount that started this long ago and never finished (its process died) may be taken over.
STATS_CLAIM_SECONDS = 600


def load(notice_id, user):
    """A notice the user may manage (an admin of its community); others get a 404."""
    notice = db.session.get(Notice, notice_id) if notice_id is not None else None
    if notice is None or not notice.can_manage(user):
        raise Refused("not_found", N_("找不到该公告。"))
    return notice


def notices_of(community):
    return Notice.query.filter_by(community_id=community.id).order_by(Notice.id.desc()).limit(500).all()


def _require_admin(actor, community):
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_admin_of(community):
        raise Refused("forbidden", N_("只有本社区管理员可以发布居务公开。"))


def _clean(title, category, body):
    problems = {}
    title = clean_text(title, TITLE_MAX)
    body = (body or "").strip()
    if len(title) < TITLE_MIN:
        problems["title"] = Message(NP_("标题至少 %(num)d 个字。", "标题至少 %(num)d 个字。"), num=TITLE_MIN)
    if category not in GENERAL_CATEGORIES:
        problems["category"] = Message(N_("请选择公开类别。"))
    if len(body) < 10:
        problems["body"] = Message(N_("请写出公开的内容（至少 10 个字）。"))
    elif len(body) > BODY_MAX:
        problems["body"] = Message(NP_("内容不超过 %(num)d 字。", "内容不超过 %(num)d 字。"), num=BODY_MAX)
    if problems:
        listed = None
        for problem in problems.values():
            listed = problem if listed is None else Message(N_("%(first)s；%(next)s"), first=listed, next=problem)
        raise Refused("invalid", Message(N_("公告内容不完整：%(problems)s"), problems=listed),
                      details={field: [str(problem)] for field, problem in problems.items()})
    return title, category, body


def create(actor, community, *, title, category, body, publish_now=False, now=None):
    """A draft by an admin of the community; published at once when `publish_now`."""
    _require_admin(actor, community)
    title, category, body = _clean(title, category, body)
    now = now or utcnow()
    notice = Notice(community_id=community.id, title=title, category=category, body=body,
                    state=NoticeState.DRAFT, created_by_id=actor.id, created_dt=now, updated_dt=now)
    db.session.add(notice)
    db.session.flush()
    audit.record("notice.create", actor=actor, obj=notice, to_state=NoticeState.DRAFT)
    if publish_now:
        return publish(actor, notice, now=now)
    db.session.flush()
    return notice


def update(actor, notice, *, title, category, body, now=None):
    """Correct a notice. A published one stays published and says it was updated, and when."""
    _require_admin(actor, notice.community)
    if notice.state == NoticeState.WITHDRAWN:
        raise Refused("wrong_state", N_("已撤下的公告不能再修改。"))
    title, category, body = _clean(title, category, body)
    before = {"title": notice.title, "category": notice.category}
    notice.title, notice.category, notice.body = title, category, body
    notice.updated_dt = now or utcnow()
    audit.record("notice.edit", actor=actor, obj=notice, before=before,
                 after={"title": title, "category": category})
    _reindex(notice)
    return notice


def publish(actor, notice, now=None):
    _require_admin(actor, notice.community)
    if notice.state != NoticeState.DRAFT:
        raise Refused("wrong_state", N_("只有草稿可以发布。"))
    now = now or utcnow()
    notice.state = NoticeState.PUBLISHED
    notice.published_dt = notice.updated_dt = now
    audit.record("notice.publish", actor=actor, obj=notice, from_state=NoticeState.DRAFT,
                 to_state=NoticeState.PUBLISHED)
    _reindex(notice)
    return notice


def withdraw(actor, notice, reason, now=None):
    """Take a published notice off the board, with a reason (kept in the audit log)."""
    _require_admin(actor, notice.community)
    if notice.state != NoticeState.PUBLISHED:
        raise Refused("wrong_state", N_("只有已发布的公告可以撤下。"))
    reason = clean_text(reason, 500)
    if not reason:
        raise Refused("reason_required", N_("撤下公告须说明理由。"))
    now = now or utcnow()
    notice.state = NoticeState.WITHDRAWN
    notice.withdrawn_dt = notice.updated_dt = now
    notice.withdraw_reason = reason
    audit.record("notice.withdraw", actor=actor, obj=notice, from_state=NoticeState.PUBLISHED,
                 to_state=NoticeState.WITHDRAWN, reason=reason)
    _reindex(notice)
    return notice


def _reindex(notice):
    db.session.flush()
    index.refresh(PostingKind.general, notice.id, in_session=True)


# -- statistics snapshots ---------------------------------------------------------------------
# Nobody acts here: the figures are counted from records that are public on the board, and a
# snapshot changes no record, so these need no permission check and write no audit event.

def refresh_stats(year, now=None):
    """Count the year's statistics (app/notice/stats.compute) and keep them as its snapshot, in
    place of the one before; flush. Returns the snapshot as stored."""
    now = now or utcnow()
    figures = stats.compute(year)
    values = {"figures": figures, "computed_dt": now, "refresh_started_dt": None}
    table = NoticeStatSnapshot.__table__
    upsert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # One statement, so two readers that both found the year missing both succeed; a count that
    # started before the stored one (a slow recount overtaken by the command line) keeps it.
    db.session.execute(upsert(table).values(year=year, **values)
                       .on_conflict_do_update(index_elements=[table.c.year], set_=values,
                                              where=table.c.computed_dt <= now))
    db.session.flush()
    return stats.Snapshot(year=year, figures=figures, computed_dt=now)


def claim_stats_refresh(year, now, older_than):
    """Mark the year's snapshot as being recounted, if it was computed before `older_than` and
    nobody started recounting it within the last STATS_CLAIM_SECONDS. True when this caller may recount."""
    table = NoticeStatSnapshot.__table__
    result = db.session.execute(
        sql_update(table)
        .where(table.c.year == year, table.c.computed_dt < older_than,
               or_(table.c.refresh_started_dt.is_(None),
                   table.c.refresh_started_dt < now - timedelta(seconds=STATS_CLAIM_SECONDS)))
        .values(refresh_started_dt=now))
    return result.rowcount == 1
