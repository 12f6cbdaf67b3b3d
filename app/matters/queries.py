"""Reading matters: the community's list (insiders see every stage), the audit trail, the minutes
that belong to a matter's trail. Nothing here changes anything."""
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.core.audit import AuditEvent
from flask_babel import lazy_gettext as _l

from app.core.i18n import N_
from app.core.paging import Page
from app.core.refusal import Refused
from app.extensions import db
from app.matters.models import Matter, MatterObjection, MatterReport, MatterStep, visible_from
from app.matters.workflow import MatterStage

PER_PAGE = 20


def sees_internal(user, community):
    """Whether `user` reads some of the community's matters before they are published."""
    return visible_from(user, community) < MatterStage.resolution_public.number


def list_matters(community, user, *, stage=None, page=1, per_page=PER_PAGE, load=()):
    """The community's matters, newest first: all of them for insiders, the published for others.
    `load`: loader options for what the caller reads of each row (`with_reports()` for the API)."""
    clauses = [Matter.community_id == community.id]
    first = visible_from(user, community)
    if first > 1:
        clauses.append(Matter.stage.in_([s for s in MatterStage if s.number >= first]))
    if stage:
        try:
            clauses.append(Matter.stage == MatterStage(stage))
        except ValueError:
            raise Refused("stage", N_("未知的阶段。")) from None
    total = db.session.scalar(select(func.count(Matter.id)).where(*clauses))
    page = max(1, page)
    items = (Matter.query.filter(*clauses).options(*load).order_by(Matter.id.desc())
             .offset((page - 1) * per_page).limit(per_page).all())
    return Page(items, total, page, per_page)


def with_reports():
    """Loader options for a list that shows each matter's progress (percent done, money spent),
    which its reports give (a function: options made at import would configure the mappers early)."""
    return (selectinload(Matter.reports),)


def load_whole(matter):
    """Load, in a few queries, what a matter's page and its API item read: its steps with their
    meetings and votes, its objections and reports with their people and photos (each would
    otherwise be read once per row). Returns the matter."""
    db.session.scalars(select(Matter).where(Matter.id == matter.id).options(
        selectinload(Matter.steps).selectinload(MatterStep.meeting),
        selectinload(Matter.steps).selectinload(MatterStep.vote),
        selectinload(Matter.objections).selectinload(MatterObjection.author),
        selectinload(Matter.objections).selectinload(MatterObjection.answered_by),
        selectinload(Matter.reports).selectinload(MatterReport.author),
        selectinload(Matter.reports).selectinload(MatterReport.photos))).one()
    return matter

EVENT_LABELS = {
    "matter.created": _l("起草事项"),
    "matter.edited": _l("修改方案"),
    "matter.scheduled": _l("列入会议议程"),
    "matter.vote_ignored": _l("表决未计入（会议组织或议题不符）"),
    "matter.advanced": _l("表决通过"),
    "matter.rejected": _l("表决未通过"),
    "matter.sent_back": _l("退回第一阶段"),
    "matter.invalid": _l("表决无效（未达法定人数）"),
    "matter.overruled": _l("异议经党员大会审议，决议维持"),
    "matter.not_confirmed": _l("居务监督委员会未确认"),
    "matter.published": _l("开始组织实施"),
    "matter.objection": _l("居民提出异议"),
    "matter.objection_answered": _l("答复异议"),
    "matter.objection_accepted": _l("异议人接受答复"),
    "matter.report": _l("发布实施报告"),
    "matter.reasons_added": _l("补充未通过的理由"),
}


def timeline(matter):
    """The matter's audit trail, oldest first (follows left out)."""
    return [e for e in (AuditEvent.query.filter_by(object_type="matters", object_id=matter.id)
                        .order_by(AuditEvent.id).all())
            if e.action in EVENT_LABELS]


def minutes_meeting(matter, meeting_id):
    """A meeting whose minutes belong to the matter's trail (decided one of its stages)."""
    if not isinstance(meeting_id, int):
        raise Refused("not_found", N_("找不到该会议纪要。"))
    step = next((s for s in matter.steps if s.meeting_id == meeting_id), None)
    if step is None or step.meeting is None or not step.meeting.minutes_text:
        raise Refused("not_found", N_("找不到该会议纪要。"))
    return step.meeting
