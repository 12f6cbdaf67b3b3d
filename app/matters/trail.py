"""The trail of a matter: one entry per stage, with the meetings that decided it, for the matter
page, the API and the notice board (`templates/matters/_trail.html` renders it).

Each entry: key, number, label (中文), product, bodies, state (done/current/pending/failed),
state_label, is_merged, result (in words), passed, date, minutes_url (of the latest deciding
meeting that has minutes) and meetings — each {meeting_id, title, body, date, attendance, result,
passed, outcome, reasons, vote_id, minutes_url, is_merged, round, scheduled}.
Scheduled meetings (announced, not yet decided) of the current stage are listed with
`scheduled: True`; draft meetings never appear.

A vote the reader may not see yet (a non-public body's, before the resolution is published:
app/votes/visibility.py) shows its outcome but neither its numbers nor its minutes.
"""
from flask import has_request_context, url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext

from app.core.refusal import Refused
from app.core.timeutil import format_local
from app.extensions import db
from app.matters import workflow
from app.matters.agenda import placements, purpose_of
from app.matters.workflow import MatterStage, Outcome
from app.meetings.workflow import MeetingState
from app.votes import visibility
from app.votes.models import Vote
from app.votes.rules import result_words

WITHHELD = _l("表决结果随决议公开")


def minutes_url(matter, meeting):
    if meeting is None or not meeting.minutes_text:
        return None
    if has_request_context():
        return url_for("matters.minutes", community_id=matter.community_id, matter_id=matter.id,
                       meeting_id=meeting.id)
    return f"/c/{matter.community_id}/matters/{matter.id}/minutes/{meeting.id}"


def _meeting_date(meeting):
    return format_local(meeting.started_dt or meeting.start_dt)


def _hidden(step, viewer):
    """The step's vote is one `viewer` may not see the result of yet."""
    vote = db.session.get(Vote, step.vote_id) if step.vote_id else None
    return vote is not None and not visibility.can_see_result(viewer, vote)


def _step_entry(matter, step, hidden=False):
    meeting = step.meeting
    return {
        "meeting_id": step.meeting_id,
        "title": meeting.title if meeting else None,
        "body": meeting.body.name if meeting else None,
        "date": _meeting_date(meeting) if meeting else format_local(step.created_dt),
        "attendance": step.attendance_text,
        "result": WITHHELD if hidden else _result_words(step),
        "result_is_record": not hidden and _is_record(step),
        "passed": step.passed,
        "outcome": step.outcome.label,
        "reasons": step.reasons,
        "vote_id": step.vote_id,
        "minutes_url": None if hidden else minutes_url(matter, meeting),
        "is_merged": step.is_merged,
        "round": step.round,
        "scheduled": False,
    }


def _scheduled(matter):
    """Announced or live meetings carrying the matter that have not decided it yet."""
    decided = {s.meeting_id for s in matter.steps if s.meeting_id}
    found = []
    for item in placements(matter):
        meeting = item.meeting
        if meeting.id in decided or meeting.state not in (MeetingState.ANNOUNCED, MeetingState.LIVE):
            continue
        try:
            purpose_of(matter, meeting.body)
        except Refused:
            continue
        found.append({
            "meeting_id": meeting.id, "title": meeting.title, "body": meeting.body.name,
            "date": _meeting_date(meeting), "attendance": None,
            "result": _("已列入议程，待表决") if meeting.state is MeetingState.ANNOUNCED else _("会议进行中"),
            "passed": None, "outcome": None, "reasons": None, "vote_id": None, "minutes_url": None,
            "is_merged": meeting.body.preset == workflow.TWO_COMMITTEES
            and matter.stage is MatterStage.proposal,
            "round": matter.round, "scheduled": True, "result_is_record": False,
        })
    return list(reversed(found))


def _result_words(step):
    """A step's vote result in the reader's language where the vote kept its words as a message;
    else the words the step recorded."""
    vote = step.vote if step.vote_id else None
    if vote is not None and vote.result and vote.result.get("message"):
        return str(result_words(vote.result))
    return step.result_text


def _is_record(step):
    """The step's result is the words it recorded (in the source language), not a vote's message."""
    return bool(step.result_text) and _result_words(step) == step.result_text


def _stage_result(matter, stage, rows, hidden=frozenset()):
    if stage is MatterStage.resolution_public and matter.resolution_published_dt is not None:
        objections = [o for o in matter.objections if o.round == matter.round]
        text = ngettext("决议于 %(published)s 公示，公示期 %(days)d 天，至 %(end)s；收到异议 %(num)d 条",
                        "决议于 %(published)s 公示，公示期 %(days)d 天，至 %(end)s；收到异议 %(num)d 条",
                        len(objections), published=format_local(matter.resolution_published_dt),
                        days=matter.objection_days or 0, end=format_local(matter.objection_end_dt))
        resolved = sum(1 for o in objections if o.is_resolved)
        if objections:
            text += _("，已解决或经党员大会审议 %(resolved)d 条", resolved=resolved)
        if rows and rows[-1].outcome is Outcome.published:
            text = rows[-1].result_text or text
        return text if text.endswith(("。", ".")) else text + _("。")
    if stage is MatterStage.implementation and matter.implementation_started_dt is not None:
        text = _("%(start)s 开始实施", start=format_local(matter.implementation_started_dt))
        if matter.reports:
            last = matter.reports[-1]
            text += ngettext("；最新进度 %(percent)d%%，已用资金 %(spent)s（共 %(num)d 份实施报告）",
                             "；最新进度 %(percent)d%%，已用资金 %(spent)s（共 %(num)d 份实施报告）",
                             len(matter.reports), percent=last.percent_done, spent=last.spent_text)
        return text + _("。")
    if stage is MatterStage.result_public and matter.result_published_dt is not None:
        return _("居务监督委员会确认后，实施结果于 %(published)s 公开。",
                 published=format_local(matter.result_published_dt))
    if not rows:
        return None
    last = rows[-1]
    text = f"{last.outcome.label}"
    if last.id in hidden:
        text += _("（%(withheld)s）", withheld=WITHHELD)
    elif last.result_text:
        text += _("：%(result)s", result=_result_words(last))
    return text


def trail(matter, viewer=None):
    """One entry per stage, in order (see the module docstring), as `viewer` (None: the public)
    may read it."""
    steps = list(matter.steps)
    hidden = {s.id for s in steps if _hidden(s, viewer)}
    states = workflow.stage_states(matter.stage, [s.snap() for s in steps])
    by_stage = {stage: [] for stage in MatterStage}
    for step in steps:
        by_stage[step.stage].append(step)
    # Stage 6's decision is the supervisory confirmation; stage 7 shows the same meeting.
    confirm_rows = [s for s in by_stage[MatterStage.implementation]]
    scheduled = _scheduled(matter)
    entries = []
    for stage in MatterStage:
        rows = by_stage[stage]
        meetings = [_step_entry(matter, s, s.id in hidden) for s in rows if s.meeting_id]
        if stage is MatterStage.result_public:
            meetings = [_step_entry(matter, s, s.id in hidden) for s in confirm_rows
                        if s.meeting_id and s.passed]
        if stage is matter.stage:
            meetings += scheduled
        last_with_minutes = next((m["minutes_url"] for m in reversed(meetings) if m["minutes_url"]), None)
        last = rows[-1] if rows else None
        bodies = workflow.bodies_text(workflow.STAGE_BODIES[stage]) if stage.number <= 4 else \
            _(workflow.STAGE_ACTORS[stage])
        entries.append({
            "key": stage.value,
            "number": stage.number,
            "label": stage.label,
            "product": _(workflow.STAGE_PRODUCTS[stage]),
            "bodies": bodies,
            "body_names": [workflow.BODY_NAMES.get(p, p) for p in workflow.STAGE_BODIES[stage]]
            if stage.number <= 4 else [],
            "state": states[stage],
            "state_label": _(workflow.STATE_LABELS[states[stage]]),
            "is_merged": any(s.is_merged for s in rows),
            "result": _stage_result(matter, stage, rows, hidden),
            # The publication's words as the step recorded them (the legal record, in Chinese).
            "result_is_record": stage is MatterStage.resolution_public and bool(rows)
            and rows[-1].outcome is Outcome.published and bool(rows[-1].result_text),
            "passed": last.passed if last is not None else None,
            "date": format_local(last.created_dt) if last is not None else None,
            "minutes_url": last_with_minutes,
            "meetings": meetings,
        })
    return entries
