"""Statistics per community and year, counted from the records themselves (not from the index).

Proposals are counted by the year they were published (a cohort): of the proposals received in a
year, how many were taken on, answered, answered in time, and how their authors rated the
answer. Meetings count in the year they were held; matters in the year their resolution was
published. Every count is one grouped query over all communities, so the street's table costs
the same as one community's. Over a street's whole year that is still seconds, so the pages read
the figures from a snapshot (app/notice/snapshots.py) that `compute` fills.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


@dataclass(frozen=True)
class Snapshot:
    """A year's statistics as counted at `computed_dt` (naive UTC; None: counted for this very
    answer, not kept): what `compute` returned."""

    year: int
    figures: dict
    computed_dt: datetime | None

    def overview(self, community_id=None, communities=None):
        return overview_of(self.figures, community_id, communities)


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
    """{community id: ([12 received], [12 answered])}: proposals by the month they were published,
    first replies by the month they were given."""
    months = {cid: ([0] * 12, [0] * 12) for cid in community_ids}
    for cid, dt in db.session.execute(select(Proposal.community_id, Proposal.published_dt).where(
            Proposal.community_id.in_(community_ids), Proposal.published_dt >= start,
            Proposal.published_dt < end)):
        months[cid][0][rules.local_month(dt) - 1] += 1
    first = (select(func.min(ProposalReply.id).label("first_id"))
             .join(Proposal, Proposal.id == ProposalReply.proposal_id)
             .where(Proposal.community_id.in_(community_ids))
             .group_by(ProposalReply.proposal_id).subquery())
    for cid, dt in db.session.execute(select(Proposal.community_id, ProposalReply.created_dt)
                                      .join(first, first.c.first_id == ProposalReply.id)
                                      .join(Proposal, Proposal.id == ProposalReply.proposal_id)
                                      .where(ProposalReply.created_dt >= start,
                                             ProposalReply.created_dt < end)):
        months[cid][1][rules.local_month(dt) - 1] += 1
    return months


def compute(year):
    """Every community's figures and months of the year, as plain data (JSON): what a snapshot
    stores (app/notice/snapshots.py) and any scope's overview is read from."""
    ids = [cid for cid, _ in _communities()] or [0]
    start, end = rules.year_range(year)
    received, accepted, answered, on_time, ratings = _proposal_counts(start, end, ids)
    held, expected, present = _meeting_counts(start, end, ids)
    matters = _matter_counts(start, end, ids)
    months = _months(start, end, ids)
    communities = {}
    for cid in ids:
        rated = ratings.get(cid, {})
        communities[str(cid)] = {
            "figures": dict(
                received=received.get(cid, 0), accepted=accepted.get(cid, 0),
                answered=answered.get(cid, 0), answered_on_time=on_time.get(cid, 0),
                rated=sum(rated.values()), satisfied=rated.get("satisfied", 0),
                basically_satisfied=rated.get("basically_satisfied", 0),
                unsatisfied=rated.get("unsatisfied", 0),
                matters_decided=None if matters is None else matters.get(cid, 0),
                meetings_held=held.get(cid, 0), attendance_expected=expected.get(cid, 0),
                attendance_present=present.get(cid, 0)),
            "months_received": months[cid][0], "months_answered": months[cid][1]}
    # The years a reader may choose from start here: kept with the figures, it spares the page
    # two scans of the proposals and meetings on every read.
    return {"year": year, "communities": communities, "has_matters": matters is not None,
            "first_year": first_year()}


def overview_of(data, community_id=None, communities=None):
    """The overview of one community, or of every community and the street's total, from what
    `compute` counted. Names are today's; a community added since counts nothing yet."""
    if communities is None:
        communities = _communities()
    has_matters = data["has_matters"]
    empty = {"figures": {"matters_decided": 0 if has_matters else None},
             "months_received": [0] * 12, "months_answered": [0] * 12}
    rows, months_received, months_answered = [], [0] * 12, [0] * 12
    total = YearFigures(matters_decided=0 if has_matters else None)
    for cid, name in communities:
        if community_id is not None and cid != community_id:
            continue
        counted = data["communities"].get(str(cid), empty)
        figures = YearFigures(**counted["figures"])
        rows.append((cid, name, figures))
        total = total + figures
        months_received = [a + b for a, b in zip(months_received, counted["months_received"])]
        months_answered = [a + b for a, b in zip(months_answered, counted["months_answered"])]
    return Overview(year=data["year"], rows=rows, total=total, months_received=months_received,
                    months_answered=months_answered, has_matters=has_matters)


def overview(year, community_id=None):
    """The year's figures for one community, or for every community and the street's total,
    counted now (pages read them from a snapshot: app/notice/snapshots.py)."""
    return overview_of(compute(year), community_id)


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


def first_year():
    """The Beijing year of the first published proposal or meeting (None: there is none)."""
    firsts = [db.session.scalar(select(func.min(Proposal.published_dt))),
              db.session.scalar(select(func.min(Meeting.started_dt)))]
    return min([rules.local_year(d) for d in firsts if d is not None], default=None)


def years_since(first, now):
    """Years to choose from: from `first` to this year, newest first (at most 30 back)."""
    this_year = rules.local_year(now)
    first = min(this_year, first if first is not None else this_year)
    return list(range(this_year, max(first, this_year - 30) - 1, -1))


def available_years(now):
    """Years to choose from: from the first published proposal or meeting to this year."""
    return years_since(first_year(), now)
