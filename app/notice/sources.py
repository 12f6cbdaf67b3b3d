"""Where the board's postings come from: one adapter per kind, each with its own public rule.

An adapter answers four questions about its area's records:
- `load_public(id)`: the record if it is public now, else None (this is the rule; the index only
  mirrors it, so a stale index row never shows anything that is not public);
- `entry(record, now)`: what the index row says (title, category, dates, status, search text);
- `iter_public()`: every public record, for `flask notice reindex`;
- `detail(record, now)`: the item as plain data, for its page, its print view and the JSON API.

Matters (决议公开, 实施结果公开) come from app/matters.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from app.core.i18n import N_
from app.core.refusal import Refused
from app.core.sanitize import clean_text
from app.core.timeutil import format_local
from app.extensions import db
from app.matters.models import Matter
from app.matters.trail import trail
from app.meetings.models import Attendance, Meeting, MeetingMember
from app.meetings.live import households_of
from app.meetings.workflow import HOUSEHOLDS, MeetingState, counting_base
from app.microprojects import rules as micro_rules, voting
from app.microprojects.models import MicroRound
from app.notice import micro_data, rules
from app.notice.models import Notice, NoticeState
from app.notice.rules import PostingKind, Status
from app.proposals import operations
from app.proposals.models import Proposal, ProposalSettings
from app.proposals.workflow import ProposalState
from app.votes.models import Vote, VoteState
from app.votes import visibility
from app.votes.rules import result_words

BATCH = 500


@dataclass
class Entry:
    """The index row of one posting, before it is written."""

    community_id: int
    title: str
    category: str
    published_dt: datetime
    updated_dt: datetime
    status: Status
    summary: str = ""
    text: str = ""          # searchable text besides the title
    extra: dict = field(default_factory=dict)


def in_batches(query, model, size=BATCH):
    """Every row of `query` in id order, fetched a batch at a time by key (no cursor stays open
    while the caller writes between batches)."""
    last = 0
    while True:
        chunk = query.filter(model.id > last).order_by(model.id).limit(size).all()
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].id


class Source:
    kind: PostingKind

    def load_public(self, source_id):  # pragma: no cover - interface
        raise NotImplementedError

    def entry(self, record, now) -> Entry:  # pragma: no cover - interface
        raise NotImplementedError

    def iter_public(self):  # pragma: no cover - interface
        raise NotImplementedError

    def detail(self, record, now) -> dict:  # pragma: no cover - interface
        raise NotImplementedError

    def template_extra(self, record) -> dict:
        """What the item's partial template needs besides `detail` (usually nothing)."""
        return {}


# -- 居务公开: the board's own notices -------------------------------------------------------

class GeneralSource(Source):
    kind = PostingKind.general

    def load_public(self, source_id):
        notice = db.session.get(Notice, source_id)
        return notice if notice is not None and notice.is_public else None

    def entry(self, notice, now):
        return Entry(
            community_id=notice.community_id, title=notice.title, category=notice.category,
            published_dt=notice.published_dt, updated_dt=notice.updated_dt,
            status=Status(N_("已发布") if notice.updated_dt <= notice.published_dt else N_("已更新")),
            summary=rules.plain_excerpt(notice.body, 120), text=notice.body)

    def iter_public(self):
        yield from in_batches(Notice.query.filter_by(state=NoticeState.PUBLISHED), Notice)

    def detail(self, notice, now):
        return {"category": notice.category, "body": notice.body,
                "published_dt": notice.published_dt, "updated_dt": notice.updated_dt,
                "is_updated": notice.updated_dt > notice.published_dt}


# -- residents' proposals ---------------------------------------------------------------------

class ProposalSource(Source):
    """A proposal is public once it is published, with its whole trail (DESIGN §3.7)."""

    kind = PostingKind.proposal

    def __init__(self):
        self._settings = {}

    def _with_settings(self, proposal):
        cid = proposal.community_id
        if cid not in self._settings:
            self._settings[cid] = ProposalSettings.for_community(cid)
        proposal._settings = self._settings[cid]
        return proposal

    def load_public(self, source_id):
        self._settings.clear()  # settings may have changed since the last request
        try:
            # The proposals area's own reading rule, as for anyone without an account.
            return self._with_settings(operations.load(source_id, user=None))
        except Refused:  # a draft, or no such proposal
            return None

    def status(self, proposal, now):
        state = proposal.effective_state(now)
        if state is ProposalState.collecting:
            # A collection that does not reach the threshold lapses by the clock alone.
            return Status(state.label, proposal.window_end_dt, ProposalState.expired.label)
        return Status(state.label)

    def entry(self, proposal, now):
        replies = " ".join(r.body for r in proposal.replies)
        return Entry(
            community_id=proposal.community_id, title=proposal.title, category=proposal.category,
            published_dt=proposal.published_dt, updated_dt=max(proposal.updated_dt, proposal.published_dt),
            status=self.status(proposal, now),
            summary=rules.plain_excerpt(proposal.problem, 120),
            text=f"{proposal.place}\n{proposal.problem}\n{proposal.suggestion}\n{replies}")

    def iter_public(self):
        query = (Proposal.query.filter(Proposal.published_dt.isnot(None))
                 .options(selectinload(Proposal.replies)))
        for proposal in in_batches(query, Proposal):
            yield self._with_settings(proposal)

    def detail(self, proposal, now):
        state = proposal.effective_state(now)
        deadline = proposal.deadline(now)
        labels = {s.value: s.label for s in ProposalState}
        return {
            "category": proposal.category, "place": proposal.place,
            "problem": proposal.problem, "suggestion": proposal.suggestion,
            "state": state.value, "state_label": state.label,
            "author": proposal.author.name,
            "published_dt": proposal.published_dt,
            "cosign_count": proposal.cosign_count,
            "cosign_threshold": proposal.settings.cosign_threshold,
            "deadline": ({"label": deadline.label, "due_dt": deadline.due_dt,
                          "is_overdue": deadline.is_overdue} if deadline else None),
            "handler_org": proposal.handler_org.name if proposal.handler_org else None,
            "decline_ground": proposal.decline_ground_label or None,
            "decline_reason": proposal.decline_reason,
            "merged_into": ({"id": proposal.merged_into_id, "title": proposal.merged_into.title}
                            if proposal.merged_into else None),
            "replies": [{"category": r.category, "category_label": r.category_label, "body": r.body,
                         "reason": r.reason, "org": r.org.name if r.org else None,
                         "is_late": r.is_late, "created_dt": r.created_dt,
                         "rating": r.rating, "rating_label": r.rating_label or None}
                        for r in proposal.replies],
            "cosigner_ratings": operations.cosigner_ratings(proposal),
            "trail": [{"label": operations.EVENT_LABELS.get(e.action, e.action),
                       "actor": e.actor.name if e.actor else None,
                       "from_state": labels.get(e.from_state) if e.from_state != e.to_state else None,
                       "to_state": labels.get(e.to_state) if e.from_state != e.to_state else None,
                       "reason": e.reason, "note": e.data.get("note"), "created_dt": e.created_dt}
                      for e in operations.timeline(proposal)
                      if e.action not in ("proposal.comment", "proposal.hide_comment")],
        }


# -- meetings ------------------------------------------------------------------------------

def vote_head_line(vote_id, head):
    """How a meeting's posting names a closed vote's head (first in its text, so never cut off)."""
    return f"表决 {vote_id} 选票哈希链头 {head}"


class MeetingSource(Source):
    """A meeting is public once announced: its notice and agenda, then its outcome and minutes."""

    kind = PostingKind.meeting

    def load_public(self, source_id):
        meeting = db.session.get(Meeting, source_id)
        return meeting if meeting is not None and self.is_public(meeting) else None

    @staticmethod
    def is_public(meeting):
        # Cancelled before it was announced: it never was public.
        return meeting.state is not MeetingState.DRAFT and meeting.announced_dt is not None

    def entry(self, meeting, now):
        agenda = "\n".join(item.title for item in meeting.items)
        when = format_local(meeting.start_dt)
        last_vote = db.session.scalar(select(func.max(Vote.closed_dt)).where(Vote.meeting_id == meeting.id))
        # The posting keeps each closed vote's head as it was published, a copy outside the vote's
        # row that `flask votes verify` compares (and a resident can search the board by it).
        heads = "".join(f"{vote_head_line(vote_id, head)}\n" for vote_id, head in db.session.execute(
            select(Vote.id, Vote.chain_head).where(Vote.meeting_id == meeting.id,
                                                   Vote.chain_head.isnot(None)).order_by(Vote.id)))
        return Entry(
            community_id=meeting.community_id, title=meeting.title, category=meeting.body.name,
            published_dt=meeting.announced_dt,
            updated_dt=max(d for d in (meeting.announced_dt, meeting.started_dt, meeting.ended_dt,
                                       meeting.signed_dt, last_vote) if d is not None),
            status=Status(meeting.state.label),
            summary=clean_text(f"{when} · {meeting.place or meeting.mode.label}", 240),
            text=f"{heads}{meeting.body.name}\n{meeting.place}\n{meeting.notice_text or ''}\n{agenda}")

    def iter_public(self):
        query = (Meeting.query.filter(Meeting.announced_dt.isnot(None),
                                      Meeting.state != MeetingState.DRAFT)
                 .options(selectinload(Meeting.items), selectinload(Meeting.body)))
        yield from in_batches(query, Meeting)

    def detail(self, meeting, now):
        held = meeting.state in (MeetingState.ENDED, MeetingState.MINUTES_SIGNED)
        data = {
            "body": meeting.body.name, "start_dt": meeting.start_dt, "place": meeting.place,
            "mode": meeting.mode.label, "state": meeting.state.value, "state_label": meeting.state.label,
            "notice_text": meeting.notice_text, "announced_dt": meeting.announced_dt,
            "cancel_reason": meeting.cancel_reason if meeting.state is MeetingState.CANCELLED else None,
            "agenda": [{"title": item.title, "description": item.description} for item in meeting.items],
            "started_dt": meeting.started_dt, "ended_dt": meeting.ended_dt,
            "signed_dt": meeting.signed_dt, "is_held": held,
            "attendance": None, "votes": [], "minutes": None,
        }
        if meeting.state in (MeetingState.LIVE, MeetingState.ENDED, MeetingState.MINUTES_SIGNED):
            expected = db.session.scalar(select(func.count(MeetingMember.id)).where(
                MeetingMember.meeting_id == meeting.id, MeetingMember.is_voting.is_(True)))
            present = db.session.scalar(
                select(func.count(Attendance.id))
                .join(MeetingMember, (MeetingMember.meeting_id == Attendance.meeting_id)
                      & (MeetingMember.user_id == Attendance.user_id))
                .where(Attendance.meeting_id == meeting.id, MeetingMember.is_voting.is_(True)))
            data["attendance"] = {"expected": expected, "present": present, "unit": N_("人")}
            if counting_base(meeting.body.rule) == HOUSEHOLDS:
                # 居民会议 on the household base: the households, as its meter and votes counted.
                voting = set(db.session.scalars(select(MeetingMember.user_id).where(
                    MeetingMember.meeting_id == meeting.id, MeetingMember.is_voting.is_(True))))
                came = set(db.session.scalars(select(Attendance.user_id).where(
                    Attendance.meeting_id == meeting.id))) & voting
                households = households_of(voting)
                data["attendance"] = {"expected": len(set(households.values())),
                                      "present": len({households[u] for u in came}), "unit": N_("户")}
            votes = (Vote.query.filter_by(meeting_id=meeting.id, state=VoteState.CLOSED)
                     .order_by(Vote.id).all())
            # A non-public body's result waits for the publication of what it decided (the
            # board is read by anyone): the vote is listed, its result is not.
            data["votes"] = [{"id": v.id, "title": v.title, "result": result_words(v.result),
                              "passed": v.passed, "chain_head": v.chain_head, "closed_dt": v.closed_dt,
                              "is_public": True}
                             if visibility.can_see_result(None, v) else
                             {"id": v.id, "title": v.title, "result": None, "passed": None,
                              "chain_head": None, "closed_dt": None, "is_public": False}
                             for v in votes]
        if held:
            # The minutes carry every vote's result: they wait as the results do.
            shown = visibility.can_see_minutes(None, meeting)
            data["minutes"] = meeting.minutes_text if shown else None
            data["minutes_withheld"] = not shown
        return data


# -- matters (四议两公开): resolution and result notices ------------------------------------------

STAGE_LABELS = {
    "proposal": N_("党支部会提议"), "consultation": N_("两委会商议"), "review": N_("党员大会审议"),
    "resolution": N_("居民代表会议决议"), "resolution_public": N_("决议公开"),
    "implementation": N_("组织实施"), "result_public": N_("实施结果公开"),
}
PUBLIC_STAGES = ("resolution_public", "implementation", "result_public")


def _value(enum_or_str):
    return getattr(enum_or_str, "value", enum_or_str)


def _label(enum_or_str, labels=None):
    label = getattr(enum_or_str, "label", None)
    if isinstance(label, str):
        return label
    value = _value(enum_or_str)
    return (labels or {}).get(value, str(value or ""))


class MatterSource(Source):
    """A matter's notices: public from stage 5 (决议公开) on; stages 1–4 never show."""

    stages: tuple = ()

    def is_public(self, matter):
        return _value(matter.stage) in self.stages and self.published_dt(matter) is not None

    def published_dt(self, matter):  # pragma: no cover - interface
        raise NotImplementedError

    def load_public(self, source_id):
        matter = db.session.get(Matter, source_id)
        return matter if matter is not None and self.is_public(matter) else None

    def iter_public(self):
        for matter in in_batches(Matter.query.filter(Matter.stage.in_(self.stages)), Matter):
            if self.is_public(matter):
                yield matter

    def _text(self, matter):
        reports = "\n".join(r.text for r in getattr(matter, "reports", []))
        return f"{matter.plan or ''}\n{reports}"

    @staticmethod
    def objection_end(matter):
        end = getattr(matter, "objection_end_dt", None)
        if end is None and matter.resolution_published_dt is not None:
            end = rules.objection_window(matter.resolution_published_dt)[1]
        return end

    def entry(self, matter, now):
        published = self.published_dt(matter)
        return Entry(
            community_id=matter.community_id, title=matter.title,
            category=_label(matter.kind), published_dt=published,
            updated_dt=max(d for d in (published, getattr(matter, "updated_dt", None)) if d is not None),
            status=self.status(matter, now),
            summary=rules.plain_excerpt(self._text(matter), 120), text=self._text(matter))

    def status(self, matter, now):  # pragma: no cover - interface
        raise NotImplementedError

    def template_extra(self, matter):
        try:  # the matter's own page, where residents object during the notice period
            own = url_for("matters.show", community_id=matter.community_id, matter_id=matter.id)
        except BuildError:
            own = None
        return {"trail": trail(matter), "matter_url": own}  # as matters/_trail.html takes it

    def detail(self, matter, now):
        start, end = matter.resolution_published_dt, self.objection_end(matter)
        return {
            "kind": _value(matter.kind), "kind_label": _label(matter.kind),
            "stage": _value(matter.stage), "stage_label": _label(matter.stage, STAGE_LABELS),
            "plan": matter.plan, "budget": getattr(matter, "budget_text", "") or None,
            "resolution_published_dt": start,
            "result_published_dt": matter.result_published_dt,
            "objection_start_dt": start, "objection_end_dt": end,
            "objection_open": bool(end and _value(matter.stage) == "resolution_public"
                                   and start <= now < end),
            "reports": [{"created_dt": r.created_dt, "percent_done": r.percent_done,
                         "spent": getattr(r, "spent_text", ""), "text": r.text}
                        for r in getattr(matter, "reports", [])],
            "trail": _plain(trail(matter)),
        }


class ResolutionSource(MatterSource):
    kind = PostingKind.resolution
    stages = PUBLIC_STAGES

    def published_dt(self, matter):
        return matter.resolution_published_dt

    def status(self, matter, now):
        stage = _value(matter.stage)
        if stage == "resolution_public":
            return Status(N_("公示中，可提出异议"), self.objection_end(matter), N_("公示期满"))
        return Status(_label(matter.stage, STAGE_LABELS))


class ResultSource(MatterSource):
    kind = PostingKind.result
    stages = ("result_public",)

    def published_dt(self, matter):
        return matter.result_published_dt

    def status(self, matter, now):
        return Status(N_("实施结果已公开"))


def _plain(value):
    """A trail as JSON-able data (enums as their values)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and not isinstance(value, (str, int, float, bool)):
        return value.value
    return value


# -- 民生微实事: a micro-project round ------------------------------------------------------------

class MicroSource(Source):
    """A micro-project round is public from its set-up: ideas and screening, the shortlist and its
    meeting, the result with its rule, each project's progress and spending, the money."""

    kind = PostingKind.micro

    def load_public(self, source_id):
        return db.session.get(MicroRound, source_id)

    def entry(self, round_, now):
        view = round_.phase(now)
        ideas = round_.ideas.all()
        times = [round_.created_dt, round_.updated_dt]
        for idea in ideas:
            times += [idea.created_dt, idea.screened_dt, idea.assigned_dt, idea.accepted_dt, idea.confirmed_dt]
            times += [m.done_dt or m.created_dt for m in idea.milestones] + [x.created_dt for x in idea.spendings]
        upcoming = [d for d in round_.dates.ordered() if d > now]
        return Entry(
            community_id=round_.community_id, title=round_.title, category=str(round_.year),
            published_dt=round_.created_dt, updated_dt=max(t for t in times if t is not None),
            # The phase changes with the clock: the posting says when it does.
            status=Status(str(view.phase.label), until=upcoming[0] if upcoming else None,
                          after=str(micro_rules.clock_phase(round_.dates, upcoming[0]).label) if upcoming else None),
            summary=clean_text(f"资金 {micro_rules.yuan(round_.fund_fen)} 元 · {len(ideas)} 个项目建议", 240),
            text="\n".join(f"{i.title}\n{i.place}" for i in ideas))

    def iter_public(self):
        yield from in_batches(MicroRound.query, MicroRound)

    def detail(self, round_, now):
        return micro_data.data_of(round_)

    def template_extra(self, round_):
        voting.settle(round_)
        return micro_data.context(round_)


# -- the registry ----------------------------------------------------------------------------

def all_sources():
    """Every adapter available in this installation, in the board's order of kinds."""
    return [GeneralSource(), ResolutionSource(), ResultSource(), ProposalSource(), MeetingSource(),
            MicroSource()]


def get(kind):
    """The adapter of a kind, or None when the kind is unknown or its area is not installed."""
    kind = rules.parse_kind(kind)
    if kind is None:
        return None
    return next((s for s in all_sources() if s.kind is kind), None)


def available_kinds():
    return [s.kind for s in all_sources()]
