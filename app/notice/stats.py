"""Statistics per community and year, counted from the records themselves (not from the index).

Proposals are counted by the year they were published (a cohort): of the proposals received in a
year, how many were taken on, answered, answered in time, and how their authors rated the
answer. Meetings count in the year they were held; matters in the year their resolution was
published. Every count is one grouped query over all communities, so the street's table costs
the same as one community's.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select

from app.community.models import Community
from app.core.audit import AuditEvent
from app.extensions import db
from app.matters.models import Matter
from app.meetings.models import Attendance, Meeting, MeetingMember
from app.meetings.workflow import MONTHS as MONTH_NAMES, MeetingState
from app.notice import rules, sources
from app.notice.rules import YearFigures
from app.proposals.models import Proposal, ProposalReply

FIGURE_FIELDS = list(YearFigures.__dataclass_fields__)
MONTHS = list(MONTH_NAMES)   # 「1月」…, marked for the catalogue in meetings.workflow
MONTH_TICKS = [str(m) for m in range(1, 13)]   # under the bars: the axis says 月


@dataclass
class Overview:
    year: int
    rows: list            # [(community_id, community name, YearFigures)]
    total: YearFigures
    months_received: list
    months_answered: list
    has_matters: bool


def _grouped(query):
    return {cid: n for cid, n in db.session.execute(query).all()}


def _proposal_counts(start, end, community_ids):
    in_scope = [Proposal.community_id.in_(community_ids), Proposal.published_dt >= start,
                Proposal.published_dt < end]
    cohort = select(Proposal.id).where(*in_scope)
    received = _grouped(select(Proposal.community_id, func.count(Proposal.id))
                        .where(*in_scope).group_by(Proposal.community_id))
    accepted = _grouped(
        select(Proposal.community_id, func.count(func.distinct(AuditEvent.object_id)))
        .join(AuditEvent, and_(AuditEvent.object_type == "proposals",
                               AuditEvent.object_id == Proposal.id,
                               AuditEvent.action == "proposal.accept"))
        .where(*in_scope).group_by(Proposal.community_id))
    first = (select(ProposalReply.proposal_id, func.min(ProposalReply.id).label("first_id"))
             .where(ProposalReply.proposal_id.in_(cohort))
             .group_by(ProposalReply.proposal_id).subquery())
    answered = _grouped(select(Proposal.community_id, func.count(first.c.proposal_id))
                        .join(first, first.c.proposal_id == Proposal.id)
                        .group_by(Proposal.community_id))
    on_time = _grouped(select(Proposal.community_id, func.count(ProposalReply.id))
                       .join(first, first.c.proposal_id == Proposal.id)
                       .join(ProposalReply, ProposalReply.id == first.c.first_id)
                       .where(ProposalReply.is_late.is_(False))
                       .group_by(Proposal.community_id))
    ratings = {}
    for cid, rating, n in db.session.execute(
            select(Proposal.community_id, Proposal.rating, func.count(Proposal.id))
            .where(*in_scope, Proposal.rating.isnot(None))
            .group_by(Proposal.community_id, Proposal.rating)).all():
        ratings.setdefault(cid, {})[rating] = n
    return received, accepted, answered, on_time, ratings


def _meeting_counts(start, end, community_ids):
    held_clause = [Meeting.community_id.in_(community_ids),
                   Meeting.state.in_([MeetingState.ENDED, MeetingState.MINUTES_SIGNED]),
                   Meeting.started_dt >= start, Meeting.started_dt < end]
    held = _grouped(select(Meeting.community_id, func.count(Meeting.id))
                    .where(*held_clause).group_by(Meeting.community_id))
    expected = _grouped(select(Meeting.community_id, func.count(MeetingMember.id))
                        .join(MeetingMember, MeetingMember.meeting_id == Meeting.id)
                        .where(*held_clause, MeetingMember.is_voting.is_(True))
                        .group_by(Meeting.community_id))
    present = _grouped(select(Meeting.community_id, func.count(Attendance.id))
                       .join(Attendance, Attendance.meeting_id == Meeting.id)
                       .join(MeetingMember, and_(MeetingMember.meeting_id == Attendance.meeting_id,
                                                 MeetingMember.user_id == Attendance.user_id))
                       .where(*held_clause, MeetingMember.is_voting.is_(True))
                       .group_by(Meeting.community_id))
    return held, expected, present


def _matter_counts(start, end, community_ids):
    public = list(sources.PUBLIC_STAGES)
    return _grouped(select(Matter.community_id, func.count(Matter.id))
                    .where(Matter.community_id.in_(community_ids), Matter.stage.in_(public),
                           Matter.resolution_published_dt >= start,
                           Matter.resolution_published_dt < end)
                    .group_by(Matter.community_id))


def _months(start, end, community_ids):
    received = [0] * 12
    for (dt,) in db.session.execute(select(Proposal.published_dt).where(
            Proposal.community_id.in_(community_ids), Proposal.published_dt >= start,
            Proposal.published_dt < end)):
        received[rules.local_month(dt) - 1] += 1
    answered = [0] * 12
    first = (select(func.min(ProposalReply.id).label("first_id"))
             .join(Proposal, Proposal.id == ProposalReply.proposal_id)
             .where(Proposal.community_id.in_(community_ids))
             .group_by(ProposalReply.proposal_id).subquery())
    for (dt,) in db.session.execute(select(ProposalReply.created_dt)
                                    .join(first, first.c.first_id == ProposalReply.id)
                                    .where(ProposalReply.created_dt >= start,
                                           ProposalReply.created_dt < end)):
        answered[rules.local_month(dt) - 1] += 1
    return received, answered


def overview(year, community_id=None):
    """The year's figures for one community, or for every community and the street's total."""
    communities = [(cid, name) for cid, name in _communities()
                   if community_id is None or cid == community_id]
    ids = [cid for cid, _ in communities] or [0]
    start, end = rules.year_range(year)
    received, accepted, answered, on_time, ratings = _proposal_counts(start, end, ids)
    held, expected, present = _meeting_counts(start, end, ids)
    matters = _matter_counts(start, end, ids)
    rows = []
    for cid, name in communities:
        rated = ratings.get(cid, {})
        rows.append((cid, name, YearFigures(
            received=received.get(cid, 0), accepted=accepted.get(cid, 0),
            answered=answered.get(cid, 0), answered_on_time=on_time.get(cid, 0),
            rated=sum(rated.values()), satisfied=rated.get("satisfied", 0),
            basically_satisfied=rated.get("basically_satisfied", 0),
            unsatisfied=rated.get("unsatisfied", 0),
            matters_decided=None if matters is None else matters.get(cid, 0),
            meetings_held=held.get(cid, 0), attendance_expected=expected.get(cid, 0),
            attendance_present=present.get(cid, 0))))
    total = YearFigures(matters_decided=None if matters is None else 0)
    for _, _, figures in rows:
        total = total + figures
    months_received, months_answered = _months(start, end, ids)
    return Overview(year=year, rows=rows, total=total, months_received=months_received,
                    months_answered=months_answered, has_matters=matters is not None)


def _communities():
    return db.session.execute(select(Community.id, Community.name).order_by(Community.id)).all()


def figures_dict(figures):
    """A row for JSON and CSV: the counts and the rates in percent (None when undefined)."""
    data = {name: getattr(figures, name) for name in FIGURE_FIELDS}
    data.update({
        "acceptance_rate": rules.percent_number(figures.acceptance_rate),
        "on_time_rate": rules.percent_number(figures.on_time_rate),
        "satisfaction_rate": rules.percent_number(figures.satisfaction_rate),
        "attendance_rate": rules.percent_number(figures.attendance_rate),
    })
    return data


def available_years(now):
    """Years to choose from: from the first published proposal or meeting to this year."""
    firsts = [db.session.scalar(select(func.min(Proposal.published_dt))),
              db.session.scalar(select(func.min(Meeting.started_dt)))]
    this_year = rules.local_year(now)
    first = min([rules.local_year(d) for d in firsts if d is not None] + [this_year])
    return list(range(this_year, max(first, this_year - 30) - 1, -1))
