"""What decides a matter: a vote closed on its agenda item moves its stage (inside the vote's own
transaction), objections to a published resolution are raised, answered and accepted, and the
end of the objection window starts implementation. Only `on_vote_closed` and
`start_implementation` write `Matter.stage`."""
import logging

from app.core import audit
from app.core.notify import notify
from app.core.i18n import N_, NP_, Message, fill
from app.core.refusal import Refused
from app.core.timeutil import utcnow
from app.extensions import db
from app.community.operations import staff_of
from app.matters import workflow
from app.matters.agenda import current_objections, objection_snaps, plan_in_notice, purpose_of
from app.matters.models import Matter, MatterObjection, MatterStep
from app.matters.operations import (
    add_follower, effective_objection_days, require_manager, tell, touched, url_of,
)
from app.matters.signals import send_changed
from app.matters.workflow import MatterStage, Outcome, Purpose
from app.proposals.operations import answer_from_matter
from app.proposals.workflow import ProposalState
from app.votes.queries import frozen

log = logging.getLogger(__name__)

MAX_OBJECTIONS_PER_PERSON = 5


def _locked(matter_id):
    """The matter re-read under a row lock: two decisions racing (two meetings' votes, a vote and
    the start of implementation) are taken one after the other, each seeing the other's stage."""
    return db.session.get(Matter, matter_id, with_for_update=True, populate_existing=True)

# -- a vote decides ------------------------------------------------------------------------------

def _attendance_text(vote, result):
    """The attendance line of the record, written in the language of whoever closed the vote.
    A body counted by households says 户 where a body of people says 人."""
    expected, present = result.get("members", 0), result.get("present", 0)
    if result.get("unit") == "户":
        text = str(Message(N_("应到 %(expected)d 户，实到 %(present)d 户"), expected=expected, present=present))
    else:
        text = str(Message(N_("应到 %(expected)d 人，实到 %(present)d 人"), expected=expected, present=present))
    try:
        snapshot, _ = frozen(vote)
        text += str(Message(N_("（现场 %(hall)d 人，线上 %(online)d 人）"), hall=len(snapshot.hall),
                            online=len(snapshot.online)))
    except Exception:  # noqa: BLE001 - the split by mode is a detail; the counts above are the record
        log.debug("no attendance split for vote %s", getattr(vote, "id", None))
    return text


def on_vote_closed(vote, meeting=None, item=None, result=None, actor=None, **_):
    """Subscriber of `vote_closed`, inside the closing transaction: the matter moves with the vote.

    A vote on an item that carries no matter is none of our business. A vote that cannot decide
    the matter (another body's meeting, a stage-3 meeting whose notice did not carry the plan,
    a choice vote, a matter already past that stage) changes nothing and is written to the audit
    log as `matter.vote_ignored` with the reason; the close itself is never refused.
    """
    if item is None or not item.matter_id:
        return
    meeting = meeting or vote.meeting
    result = result or vote.result or {}
    matter = _locked(item.matter_id)
    if matter is None or matter.community_id != meeting.community_id:
        audit.record("matter.vote_ignored", actor=actor, community_id=meeting.community_id,
                     reason=N_("议题关联的事项不存在或不属于本社区。"), vote_id=vote.id,
                     meeting_id=meeting.id, matter_id=item.matter_id)
        return
    linked = []
    try:
        purpose = purpose_of(matter, meeting.body)
        if purpose is Purpose.decide and meeting.body.rule.plan_with_notice and \
                not plan_in_notice(matter, meeting):
            raise Refused("plan_not_sent", N_("这次党员大会的会议通知没有附上事项的方案，表决不能作为“党员大会审议”。"))
        if purpose is Purpose.objections:
            linked = [o for o in current_objections(matter)
                      if o.item_id == item.id and o.review_passed is None]
            if not linked:
                raise Refused("no_objections", N_("这项议题没有待党员大会审议的异议。"))
        if purpose is Purpose.confirm and not matter.has_final_report:
            raise Refused("no_final_report", N_("尚无完成度 100% 的实施报告，不能确认实施结果。"))
        move = workflow.on_vote(matter.stage, purpose, passed=result.get("passed"),
                                quorum_met=bool(result.get("quorum_met")))
    except Refused as exc:
        audit.record("matter.vote_ignored", actor=actor, obj=matter, reason=exc.message, code=exc.code,
                     vote_id=vote.id, meeting_id=meeting.id, body=meeting.body.preset,
                     stage=matter.stage.value)
        return
    reasons = None
    if any(not s.passed for s in move.steps):
        reasons = str(Message(N_("%(body)s表决：%(result)s"), body=meeting.body.name,
                              result=result.get("text", "")))
        if linked and move.sent_back:
            reasons += "\n" + str(Message(N_("异议：%(objections)s"),
                                          objections=str(Message(N_("；"))).join(o.text for o in linked)))
    if linked:
        if move.outcome is Outcome.invalid:
            for o in linked:   # not decided: free to go on another meeting's agenda
                o.meeting_id = o.item_id = None
        else:
            for o in linked:
                o.review_vote_id, o.reviewed_dt = vote.id, utcnow()
                o.review_passed = move.outcome is Outcome.overruled
    _apply_move(matter, move, actor=actor, meeting=meeting, vote=vote, result=result, reasons=reasons)


_ACTIONS = {Outcome.sent_back: "sent_back", Outcome.published: "implementation_started"}


def _apply_move(matter, move, *, actor=None, meeting=None, vote=None, result=None, reasons=None,
                now=None, result_text=None):
    now = now or utcnow()
    result = result or {}
    attendance = _attendance_text(vote, result) if vote is not None else None
    for step in move.steps:
        db.session.add(MatterStep(
            matter=matter, round=matter.round, stage=step.stage, passed=step.passed,
            quorum_met=result.get("quorum_met") if vote is not None else None,
            is_merged=step.is_merged, outcome=step.outcome, from_stage=move.from_stage,
            to_stage=move.to_stage, meeting_id=getattr(meeting, "id", None),
            vote_id=getattr(vote, "id", None), result_text=result_text or result.get("text"),
            attendance_text=attendance, reasons=None if step.passed else reasons,
            actor_id=getattr(actor, "id", None), created_dt=now))
    if move.sent_back:
        matter.round += 1
        matter.resolution_published_dt = None
        matter.objection_days = None
    if move.publish_resolution:
        matter.resolution_published_dt = now
        matter.objection_days = effective_objection_days(matter.community)
    if move.publish_result:
        matter.result_published_dt = now
    matter.stage = move.to_stage
    matter.updated_dt = now
    audit.record(f"matter.{move.outcome.value}", actor=actor, obj=matter, from_state=move.from_stage,
                 to_state=move.to_stage, reason=reasons, note=_source(move.note),
                 vote_id=getattr(vote, "id", None), meeting_id=getattr(meeting, "id", None))
    db.session.flush()
    tell(matter, move.note, actor)
    if move.publish_resolution:
        _answer_proposal(matter, "B", actor)
    if move.publish_result:
        _answer_proposal(matter, "A", actor)
    if move.publish_resolution:
        action = "resolution_published"
    elif move.publish_result:
        action = "result_published"
    elif move.changed:
        action = _ACTIONS.get(move.outcome, "advanced")
    else:   # a vote that moved nothing is still on the trail (and may have reviewed objections)
        action = move.outcome.value
    send_changed(matter.id, action, move.from_stage.value, move.to_stage.value)


def _source(note):
    """A note as the audit log keeps it: in the source language, whoever acted."""
    return fill(note.msgid, note.params) if isinstance(note, Message) else note


def _answer_proposal(matter, category, actor):
    proposal = matter.proposal
    if proposal is None or proposal.state != ProposalState.escalated.value:
        return
    if category == "B":
        body = str(Message(NP_(
            "您的提案已转为四议两公开事项「%(title)s」，经党支部会提议、两委会商议、党员大会审议，"
            "%(body)s已表决通过，决议于 %(published)s 公示 %(num)d 天，随后组织实施。决议公告：%(url)s",
            "您的提案已转为四议两公开事项「%(title)s」，经党支部会提议、两委会商议、党员大会审议，"
            "%(body)s已表决通过，决议于 %(published)s 公示 %(num)d 天，随后组织实施。决议公告：%(url)s"),
            title=matter.title, body=_resolution_body(matter), published=matter.resolution_published_dt,
            num=matter.objection_days or 0, url=url_of(matter)))
    else:
        body = str(Message(N_(
            "四议两公开事项「%(title)s」已实施完毕，实施结果经居务监督委员会确认并公开"
            "（完成度 %(percent)d%%，用款 %(spent)s）。实施结果公告：%(url)s"),
            title=matter.title, percent=matter.percent_done or 0,
            spent=workflow.format_yuan(matter.spent_fen), url=url_of(matter)))
    answer_from_matter(proposal, body=body, category=category, actor=actor)


def _resolution_body(matter):
    step = next((s for s in reversed(matter.steps)
                 if s.stage is MatterStage.resolution and s.passed), None)
    if step is not None and step.meeting is not None:
        return step.meeting.body.name
    return "居民代表会议"


def add_reasons(actor, matter, step_id, text):
    """Staff add the reasons a body gave for not passing (from the minutes), shown on the trail."""
    require_manager(actor, matter)
    step = db.session.get(MatterStep, step_id) if isinstance(step_id, int) else None
    if step is None or step.matter_id != matter.id:
        raise Refused("not_found", N_("找不到该记录。"))
    if step.passed:
        raise Refused("wrong_state", N_("只有未通过的表决需要补充理由。"))
    text = (text or "").strip()
    if len(text) < 2 or len(text) > 3000:
        raise Refused("reasons", N_("请写明理由（不超过 3000 字）。"))
    addition = str(Message(N_("补充理由（%(name)s，%(when)s）：%(text)s"), name=actor.name, when=utcnow(),
                           text=text))
    step.reasons = f"{step.reasons}\n{addition}" if step.reasons else addition
    touched(matter, "reasons_added")
    audit.record("matter.reasons_added", actor=actor, obj=matter, step_id=step.id, reason=text)
    db.session.flush()
    return step

# -- stage 5: objections ---------------------------------------------------------------------

def raise_objection(actor, matter, text, now=None):
    now = now or utcnow()
    if not matter.can_object(actor):
        raise Refused("not_resident", N_("只有本社区已认证的居民可以对决议提出异议。"))
    workflow.check_object(matter.stage, matter.resolution_published_dt, matter.objection_days, now)
    text = (text or "").strip()
    if len(text) < 5:
        raise Refused("text", N_("请写明异议的内容（至少 5 个字）。"))
    if len(text) > 3000:
        raise Refused("text", N_("异议不超过 3000 字。"))
    mine = sum(1 for o in current_objections(matter) if o.author_id == actor.id)
    if mine >= MAX_OBJECTIONS_PER_PERSON:
        raise Refused("too_many", NP_("每人对同一决议最多提出 %(num)d 条异议。",
                                      "每人对同一决议最多提出 %(num)d 条异议。"), num=MAX_OBJECTIONS_PER_PERSON)
    objection = MatterObjection(matter=matter, round=matter.round, author_id=actor.id, text=text,
                                created_dt=now)
    db.session.add(objection)
    db.session.flush()
    add_follower(matter, actor)
    touched(matter, "objection_raised", now)
    audit.record("matter.objection", actor=actor, obj=matter, objection_id=objection.id)
    notify(staff_of(matter.community),
           Message(NP_("事项「%(title)s」收到一条异议，请在 %(num)d 天内答复（%(due)s 前）。",
                       "事项「%(title)s」收到一条异议，请在 %(num)d 天内答复（%(due)s 前）。"),
                   title=matter.title, num=workflow.ANSWER_DAYS, due=objection.answer_due_dt),
           url_of(matter))
    return objection


def load_objection(matter, objection_id):
    found = db.session.get(MatterObjection, objection_id) if isinstance(objection_id, int) else None
    if found is None or found.matter_id != matter.id:
        raise Refused("not_found", N_("找不到该异议。"))
    return found


def answer_objection(actor, objection, text, now=None):
    now = now or utcnow()
    matter = objection.matter
    require_manager(actor, matter)
    workflow.check_answer(objection.answered_dt)
    text = (text or "").strip()
    if len(text) < 5 or len(text) > 3000:
        raise Refused("text", N_("请写出答复（5 到 3000 字）。"))
    late = workflow.is_overdue(objection.created_dt, now, now)
    objection.answer, objection.answered_dt, objection.answered_by_id = text, now, actor.id
    touched(matter, "objection_answered", now)
    audit.record("matter.objection_answered", actor=actor, obj=matter, objection_id=objection.id,
                 is_late=late)
    notify([objection.author], Message(N_("您对事项「%(title)s」的异议已有答复；如果接受答复，请在页面上确认。"),
                                       title=matter.title),
           url_of(matter))
    db.session.flush()
    return objection


def accept_answer(actor, objection, now=None):
    """The objector accepts the answer: the objection is resolved."""
    if actor is None or actor.id != objection.author_id:
        raise Refused("forbidden", N_("只有提出异议的居民可以接受答复。"))
    workflow.check_accept(objection.answered_dt, objection.accepted_dt is not None)
    objection.accepted_dt = now or utcnow()
    touched(objection.matter, "objection_accepted", objection.accepted_dt)
    audit.record("matter.objection_accepted", actor=actor, obj=objection.matter,
                 objection_id=objection.id)
    db.session.flush()
    return objection


def overdue_objections(matter, now=None):
    now = now or utcnow()
    return [o for o in current_objections(matter) if o.answered_dt is None and o.is_overdue(now)]


def start_implementation(actor, matter, now=None):
    """Stage 5 → 6, refused until the window is over and every objection is dealt with."""
    now = now or utcnow()
    require_manager(actor, matter)
    _locked(matter.id)
    workflow.check_start_implementation(matter.stage, matter.resolution_published_dt,
           matter.objection_days, now, objection_snaps(matter))
    objections = current_objections(matter)
    accepted = sum(1 for o in objections if o.accepted_dt is not None)
    reviewed = sum(1 for o in objections if o.review_passed is True and o.accepted_dt is None)
    text = str(Message(NP_("决议于 %(published)s 公示，公示期 %(days)d 天，至 %(end)s 期满；收到异议 %(num)d 条",
                           "决议于 %(published)s 公示，公示期 %(days)d 天，至 %(end)s 期满；收到异议 %(num)d 条"),
                       published=matter.resolution_published_dt, days=matter.objection_days or 0,
                       end=matter.objection_end_dt, num=len(objections)))
    if objections:
        text += str(Message(N_("（异议人接受答复 %(accepted)d 条，经党员大会审议维持决议 %(reviewed)d 条）"),
                            accepted=accepted, reviewed=reviewed))
    move = workflow.Move(MatterStage.resolution_public, MatterStage.implementation,
                         (workflow.Step(MatterStage.resolution_public, True, Outcome.published),),
                         Outcome.published, note=N_("决议公示期满，开始组织实施"))
    matter.implementation_started_dt = now
    _apply_move(matter, move, actor=actor, now=now, result_text=text + str(Message(N_("。"))))
    return matter


def can_object(user, matter, now):
    """Whether `user` may object to the matter's published resolution now (the page's form)."""
    if user is None or matter.stage is not MatterStage.resolution_public or not matter.can_object(user):
        return False
    try:
        workflow.check_object(matter.stage, matter.resolution_published_dt, matter.objection_days, now)
    except Refused:
        return False
    return True


def start_refusal(matter, now):
    """Why implementation may not start yet (the message), or None once it may."""
    try:
        workflow.check_start_implementation(matter.stage, matter.resolution_published_dt,
                                            matter.objection_days, now, objection_snaps(matter))
    except Refused as exc:
        return exc.message
    return None
