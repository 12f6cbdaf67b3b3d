"""Every change to a major matter: load → check → rule → change → audit → flush; the
`matter_changed` signal and notifications of the areas above go out after the commit.

Every operation that changes what a matter's public record says (a stage, a publication, a vote
on its trail, a report, an objection and its answer, acceptance or review) moves
`Matter.updated_dt` and sends `matter_changed` (app/matters/signals.py), so the notice board
re-indexes the posting (its "updated" time, summary and search words) at once.

Views, API endpoints and the signal subscribers call these and nothing lower; the caller commits.
A stage moves only in `on_vote_closed` (a vote of the right body, inside the vote's own
transaction) and in `start_implementation` (after the objection window): nothing else writes
`Matter.stage`.
"""
import logging
import secrets
from pathlib import Path

from flask import current_app, has_request_context, url_for
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.community.models import MemberRole
from app.core import audit
from app.core.refusal import Refused
from app.core.notify import notify
from app.core.sanitize import clean_text
from app.core.timeutil import format_local, utcnow
from app.extensions import db
from app.matters import workflow
from app.matters.models import (
    Matter, MatterAttachment, MatterFollow, MatterObjection, MatterReport, MatterSettings, MatterStep,
    can_draft, visible_from,
)
from app.matters.signals import send_changed
from app.matters.workflow import MatterStage, Outcome, Purpose

log = logging.getLogger(__name__)

PER_PAGE = 20
MAX_PLAN_FILES = 10
MAX_REPORT_PHOTOS = 6
MAX_OBJECTIONS_PER_PERSON = 5
PLAN_MAX = 20000

# -- settings --------------------------------------------------------------------------------

def settings_for(community):
    return MatterSettings.for_community(community.id)


def effective_objection_days(community):
    """The community's notice period, or the app's (MATTER_OBJECTION_DAYS), never under 7 days."""
    configured = db.session.get(MatterSettings, community.id)
    days = configured.objection_days if configured is not None else \
        current_app.config.get("MATTER_OBJECTION_DAYS")
    return workflow.objection_days(days)


def update_settings(actor, community, *, kinds, objection_days):
    if not actor.is_staff_of(community):
        raise Refused("forbidden", "只有本社区工作人员可以修改重大事项设置。")
    workflow.check_objection_days(objection_days)
    cleaned = list(dict.fromkeys(clean_text(k, 40) for k in kinds if clean_text(k, 40)))
    if not cleaned:
        raise Refused("kinds", "至少需要一类重大事项。")
    settings = settings_for(community)
    before = {"kinds": settings.kinds, "objection_days": settings.objection_days}
    settings.kinds_text = "\n".join(cleaned)
    settings.objection_days = objection_days
    db.session.add(settings)
    audit.record("matter_settings.update", actor=actor, community_id=community.id, before=before,
                 after={"kinds": cleaned, "objection_days": objection_days})
    db.session.flush()
    return settings


# -- loading -----------------------------------------------------------------------------------

def load(matter_id, user=None, community_id=None):
    """The matter if `user` may see it (anyone once published); otherwise a 404."""
    matter = db.session.get(Matter, matter_id) if isinstance(matter_id, int) else None
    if matter is None or (community_id is not None and matter.community_id != community_id):
        raise Refused("not_found", "找不到该事项。")
    if not matter.can_view(user):
        raise Refused("not_found", "找不到该事项。")
    return matter


def sees_internal(user, community):
    """Whether `user` reads some of the community's matters before they are published."""
    return visible_from(user, community) < MatterStage.resolution_public.number


class Page:
    def __init__(self, items, total, page, per_page):
        self.items, self.total, self.page, self.per_page = items, total, page, per_page
        self.pages = max(1, -(-total // per_page))
        self.has_prev, self.has_next = page > 1, page < self.pages
        self.prev_num, self.next_num = page - 1, page + 1


def list_matters(community, user, *, stage=None, page=1, per_page=PER_PAGE):
    """The community's matters, newest first: all of them for insiders, the published for others."""
    clauses = [Matter.community_id == community.id]
    first = visible_from(user, community)
    if first > 1:
        clauses.append(Matter.stage.in_([s for s in MatterStage if s.number >= first]))
    if stage:
        try:
            clauses.append(Matter.stage == MatterStage(stage))
        except ValueError:
            raise Refused("stage", "未知的阶段。") from None
    total = db.session.scalar(select(func.count(Matter.id)).where(*clauses))
    page = max(1, page)
    items = (Matter.query.filter(*clauses).order_by(Matter.id.desc())
             .offset((page - 1) * per_page).limit(per_page).all())
    return Page(items, total, page, per_page)


def url_of(matter):
    if has_request_context():
        return url_for("matters.show", community_id=matter.community_id, matter_id=matter.id)
    return f"/c/{matter.community_id}/matters/{matter.id}"


# -- drafting ------------------------------------------------------------------------------------

def _clean_fields(settings, title, kind, plan, budget_fen):
    errors = {}
    title = clean_text(title, 120)
    plan = (plan or "").strip()
    if len(title) < 4:
        errors["title"] = ["标题至少 4 个字。"]
    if kind not in settings.kinds:
        errors["kind"] = ["请选择本社区须经“四议两公开”的事项类别。"]
    if len(plan) < 10:
        errors["plan"] = ["请写出方案（至少 10 个字）。"]
    elif len(plan) > PLAN_MAX:
        errors["plan"] = [f"方案不超过 {PLAN_MAX} 字。"]
    if budget_fen is not None and (isinstance(budget_fen, bool) or not isinstance(budget_fen, int)
                                   or budget_fen < 0):
        errors["budget"] = ["预算须是不小于 0 的金额。"]
    if errors:
        raise Refused("invalid", "事项内容不完整：" + "；".join(e[0] for e in errors.values()), details=errors)
    return dict(title=title, kind=kind, plan=plan, budget_fen=budget_fen)


def create(actor, community, *, title, kind, plan, budget_fen=None, files=(), proposal=None, now=None):
    """A committee member (staff, party branch or two committees) drafts a matter at stage 1."""
    if not can_draft(actor, community):
        raise Refused("forbidden", "只有本社区两委成员或工作人员可以提出重大事项。")
    fields = _clean_fields(settings_for(community), title, kind, plan, budget_fen)
    now = now or utcnow()
    matter = Matter(community_id=community.id, created_by_id=actor.id, stage=MatterStage.proposal,
                    proposal_id=proposal.id if proposal is not None else None,
                    created_dt=now, updated_dt=now, **fields)
    db.session.add(matter)
    db.session.flush()
    for filename, data in files:
        add_attachment(actor, matter, filename, data)
    _follow(matter, actor)
    audit.record("matter.created", actor=actor, obj=matter, to_state=MatterStage.proposal,
                 title=matter.title, kind=matter.kind, budget_fen=matter.budget_fen,
                 proposal_id=matter.proposal_id)
    send_changed(matter.id, "created", None, MatterStage.proposal.value)
    return matter


def update(actor, matter, *, title, kind, plan, budget_fen=None, files=(), now=None):
    """Revise the plan: at stages 1 and 2 only (the assembly reviews the plan as sent)."""
    require_manager(actor, matter)
    workflow.check_plan_editable(matter.stage)
    fields = _clean_fields(settings_for(matter.community), title, kind, plan, budget_fen)
    before = {k: getattr(matter, k) for k in fields}
    for name, value in fields.items():
        setattr(matter, name, value)
    matter.updated_dt = now or utcnow()
    for filename, data in files:
        add_attachment(actor, matter, filename, data)
    changed = {k: v for k, v in fields.items() if before[k] != v}
    audit.record("matter.edited", actor=actor, obj=matter, fields=sorted(changed))
    db.session.flush()
    return matter


def require_manager(actor, matter):
    if not matter.can_manage(actor):
        raise Refused("forbidden", "只有本社区两委成员或工作人员可以办理重大事项。")


# -- files -----------------------------------------------------------------------------------

def _upload_dir():
    path = Path(current_app.config["UPLOAD_DIR"]) / "matters"
    path.mkdir(parents=True, exist_ok=True)
    return path


def add_attachment(actor, matter, filename, data, report=None):
    """A file of the plan (stages 1–2), or a photo of an implementation report."""
    from app.proposals import attachments as files

    require_manager(actor, matter)
    if report is None:
        workflow.check_plan_editable(matter.stage)
        if len(matter.plan_attachments) >= MAX_PLAN_FILES:
            raise Refused("too_many_files", f"方案最多 {MAX_PLAN_FILES} 个附件。")
    elif len(report.photos) >= MAX_REPORT_PHOTOS:
        raise Refused("too_many_files", f"每份实施报告最多 {MAX_REPORT_PHOTOS} 张照片。")
    name, kind = files.check(filename, data)
    if report is not None and not kind.startswith("image/"):
        raise Refused("file_type", f"文件「{name}」不是照片：实施报告只能附图片。")
    stored = f"{secrets.token_hex(16)}.{files.EXTENSIONS[kind]}"
    (_upload_dir() / stored).write_bytes(data)
    db.session.info.setdefault("matter_files", []).append(stored)
    attachment = MatterAttachment(matter=matter, report_id=report.id if report is not None else None,
                                  filename=name, stored_name=stored, content_type=kind, size=len(data))
    db.session.add(attachment)
    if report is not None:
        report.photos.append(attachment)
    db.session.flush()
    return attachment


def load_attachment(matter, attachment_id):
    found = db.session.get(MatterAttachment, attachment_id) if isinstance(attachment_id, int) else None
    if found is None or found.matter_id != matter.id:
        raise Refused("not_found", "找不到该附件。")
    path = _upload_dir() / found.stored_name
    if not path.exists():
        raise Refused("not_found", "附件文件已不存在。")
    return found, path


@event.listens_for(Session, "after_commit")
def _keep_files(session):
    session.info.pop("matter_files", None)


@event.listens_for(Session, "after_rollback")
def _drop_files(session):
    # Files written in a transaction that was rolled back belong to nothing.
    stored = session.info.pop("matter_files", [])
    if stored:
        try:
            folder = _upload_dir()
        except RuntimeError:
            return
        for name in stored:
            (folder / name).unlink(missing_ok=True)


# -- escalation from a proposal --------------------------------------------------------------

def plan_from_proposal(proposal, reason):
    lines = [f"## 缘起：居民提案 #{proposal.id}「{proposal.title}」", "", "### 居民反映的问题", "",
             proposal.problem.strip(), "", "### 居民的建议", "", proposal.suggestion.strip()]
    if proposal.place:
        lines += ["", f"地点：{proposal.place}"]
    if reason:
        lines += ["", f"转为四议两公开事项的理由：{reason}"]
    lines += ["", "### 初步方案", "", "（待党支部委员会提出）"]
    return "\n".join(lines)


def matter_for_proposal(proposal_id):
    return Matter.query.filter_by(proposal_id=proposal_id).first() if proposal_id else None


def open_for_proposal(actor, proposal, reason="", now=None):
    """The matter an escalated proposal follows (opened once; a second call returns it)."""
    from app.proposals.models import ProposalCosign, ProposalFollow
    from app.proposals.workflow import ProposalState

    existing = matter_for_proposal(proposal.id)
    if existing is not None:
        return existing
    if proposal.state != ProposalState.escalated.value:
        raise Refused("wrong_state", "只有已转为四议两公开事项的提案才能建立事项。")
    community = proposal.community
    kinds = settings_for(community).kinds
    kind = "其他重大事项" if "其他重大事项" in kinds else kinds[-1]
    matter = create(actor, community, title=proposal.title, kind=kind,
                    plan=plan_from_proposal(proposal, reason), proposal=proposal, now=now)
    people = [proposal.author]
    people += [c.user for c in ProposalCosign.query.filter_by(proposal_id=proposal.id)]
    people += [f.user for f in ProposalFollow.query.filter_by(proposal_id=proposal.id)]
    for user in people:
        _follow(matter, user)
    audit.record("proposal.matter_opened", actor=actor, obj=proposal, matter_id=matter.id,
                 note=f"已建立四议两公开事项 #{matter.id}：{matter.title}")
    notify([u for u in people if u.id != actor.id],
           f"您关注的提案「{proposal.title}」已建立四议两公开事项，之后每一步进展都会通知您。",
           url_of(matter))
    db.session.flush()
    return matter


def on_proposal_escalated(proposal, actor=None, reason="", **_):
    """Subscriber of `proposal_escalated` (sent after commit): open the matter in a new transaction."""
    from app.auth.models import User
    from app.proposals.models import Proposal

    found = db.session.get(Proposal, proposal.id)
    user = db.session.get(User, actor.id) if actor is not None else None
    if found is None or user is None:
        return
    try:
        open_for_proposal(user, found, reason)
        db.session.commit()
    except Refused as exc:
        db.session.rollback()
        log.warning("no matter opened for proposal %s: %s", proposal.id, exc.message)


# -- putting a matter on a meeting's agenda ----------------------------------------------------

def merge_holder(community):
    """The person who chairs both the party branch committee and the two committees (一肩挑), or None."""
    branch = community.body_by_preset(workflow.PARTY_BRANCH)
    both = community.body_by_preset(workflow.TWO_COMMITTEES)
    if branch is None or both is None:
        return None
    chairs = {m.user_id: m.user for m in both.memberships if m.role is MemberRole.CHAIR}
    return next((m.user for m in branch.memberships
                 if m.role is MemberRole.CHAIR and m.user_id in chairs), None)


def purpose_of(matter, body):
    return workflow.purpose_for(matter.stage, body.preset,
                                merge_allowed=merge_holder(matter.community) is not None)


def _plan_block(matter):
    lines = [f"### 【四议两公开事项 #{matter.id} 方案】{matter.title}", "",
             f"类别：{matter.kind}" + (f"；预算：{matter.budget_text}" if matter.budget_fen is not None else ""),
             "", matter.plan.strip()]
    return "\n".join(lines)


def _objections_block(matter, objections):
    lines = [f"### 【四议两公开事项 #{matter.id} 异议】{matter.title}", "",
             "决议公示期间居民提出、尚未解决的异议，提请党员大会审议：", ""]
    for o in objections:
        lines.append(f"{o.id}. {o.text}")
        if o.answer:
            lines.append(f"   - 答复：{o.answer}")
    return "\n".join(lines)


def plan_in_notice(matter, meeting):
    """Was this matter's final plan sent with the meeting's notice (stage 3, DESIGN §2)?"""
    notice = meeting.notice_text or ""
    return f"【四议两公开事项 #{matter.id} 方案】" in notice and matter.plan.strip() in notice


def _current_objections(matter):
    return [o for o in matter.objections if o.round == matter.round]


def objection_snaps(matter):
    from app.meetings.workflow import MeetingState

    snaps = []
    for o in _current_objections(matter):
        snap = o.snap()
        # An objection counts as on an agenda only while that meeting may still decide it.
        upcoming = o.meeting is not None and o.meeting.state in (
            MeetingState.DRAFT, MeetingState.ANNOUNCED, MeetingState.LIVE)
        snaps.append(workflow.ObjectionSnap(snap.created_dt, snap.answered_dt, snap.accepted,
                                            scheduled=snap.scheduled and upcoming and not snap.reviewed,
                                            reviewed=snap.reviewed))
    return snaps


def waiting_objections(matter):
    return [o for o, snap in zip(_current_objections(matter), objection_snaps(matter))
            if not snap.is_resolved and not snap.scheduled]


def schedule(actor, matter, meeting):
    """Put the matter on the agenda of a meeting of the body its current stage needs."""
    from app.meetings import operations as meetings
    from app.meetings.workflow import MeetingState

    require_manager(actor, matter)
    if meeting.community_id != matter.community_id:
        raise Refused("wrong_community", "只能安排到本社区的会议。")
    purpose = purpose_of(matter, meeting.body)
    if any(item.matter_id == matter.id for item in meeting.items):
        raise Refused("already_on_agenda", "该事项已在这次会议的议程中。")
    plan_with_notice = meeting.body.rule.plan_with_notice
    workflow.check_schedule(matter.stage, purpose, objections=objection_snaps(matter),
           has_final_report=matter.has_final_report, plan_with_notice=plan_with_notice,
           meeting_announced=meeting.state is not MeetingState.DRAFT)
    label = purpose.label if purpose is not Purpose.decide else matter.stage.label
    waiting = waiting_objections(matter) if purpose is Purpose.objections else []
    if purpose is Purpose.objections:
        description = _objections_block(matter, waiting)
    elif purpose is Purpose.confirm:
        last = matter.reports[-1]
        description = (f"实施完成度 {last.percent_done}%，已用资金 {last.spent_text}"
                       f"（预算 {matter.budget_text or '未列'}）。\n\n{last.text}")
    else:
        description = _plan_block(matter)
    item = meetings.add_item(actor, meeting, title=f"{matter.title}（四议两公开·{label}）",
                             description=description, matter_id=matter.id)
    if plan_with_notice and meeting.state is MeetingState.DRAFT:
        block = description if purpose is Purpose.objections else _plan_block(matter)
        meeting.notice_text = ((meeting.notice_text or "").rstrip() + "\n\n" + block).strip()
    for objection in waiting:
        objection.meeting_id, objection.item_id = meeting.id, item.id
    audit.record("matter.scheduled", actor=actor, obj=matter, meeting_id=meeting.id, item_id=item.id,
                 purpose=purpose.value, stage=matter.stage.value, body=meeting.body.preset)
    _tell(matter, f"已列入{meeting.body.meeting_name}议程（{format_local(meeting.start_dt)}）：{label}。",
          actor)
    db.session.flush()
    return item


def schedulable_meetings(matter, user):
    """Meetings this user may put the matter on now: right body, not started, not yet carrying it."""
    from app.meetings.models import Meeting
    from app.meetings.workflow import MeetingState

    if not matter.can_manage(user):
        return []
    found = []
    for meeting in (Meeting.query.filter(Meeting.community_id == matter.community_id,
                                         Meeting.state.in_([MeetingState.DRAFT, MeetingState.ANNOUNCED]))
                    .order_by(Meeting.start_dt).limit(100)):
        try:
            purpose = purpose_of(matter, meeting.body)
            workflow.check_schedule(matter.stage, purpose, objections=objection_snaps(matter),
                                    has_final_report=matter.has_final_report,
                                    plan_with_notice=meeting.body.rule.plan_with_notice,
                                    meeting_announced=meeting.state is not MeetingState.DRAFT)
        except Refused:
            continue
        if meeting.can_organise(user) and not any(i.matter_id == matter.id for i in meeting.items):
            found.append(meeting)
    return found


def needed_bodies(matter):
    """The bodies of the community that may take the matter's current stage (for 'new meeting')."""
    presets = list(workflow.STAGE_BODIES[matter.stage])
    if matter.stage is MatterStage.proposal and merge_holder(matter.community) is not None:
        presets.append(workflow.TWO_COMMITTEES)
    return [b for b in (matter.community.body_by_preset(p) for p in presets) if b is not None]


def placements(matter):
    """Every agenda item carrying this matter, with its meeting (newest first)."""
    from app.meetings.models import AgendaItem

    return (AgendaItem.query.filter_by(matter_id=matter.id).order_by(AgendaItem.id.desc()).all())


def _locked(matter_id):
    """The matter re-read under a row lock: two decisions racing (two meetings' votes, a vote and
    the start of implementation) are taken one after the other, each seeing the other's stage."""
    return db.session.get(Matter, matter_id, with_for_update=True, populate_existing=True)


# -- a vote decides ------------------------------------------------------------------------------

def _attendance_text(vote, result):
    from app.votes.queries import frozen

    unit = result.get("unit") or "人"
    text = f"应到 {result.get('members', 0)} {unit}，实到 {result.get('present', 0)} {unit}"
    try:
        snapshot, _ = frozen(vote)
        text += f"（现场 {len(snapshot.hall)} 人，线上 {len(snapshot.online)} 人）"
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
                     reason="议题关联的事项不存在或不属于本社区。", vote_id=vote.id,
                     meeting_id=meeting.id, matter_id=item.matter_id)
        return
    linked = []
    try:
        purpose = purpose_of(matter, meeting.body)
        if purpose is Purpose.decide and meeting.body.rule.plan_with_notice and \
                not plan_in_notice(matter, meeting):
            raise Refused("plan_not_sent", "这次党员大会的会议通知没有附上事项的方案，表决不能作为“党员大会审议”。")
        if purpose is Purpose.objections:
            linked = [o for o in _current_objections(matter)
                      if o.item_id == item.id and o.review_passed is None]
            if not linked:
                raise Refused("no_objections", "这项议题没有待党员大会审议的异议。")
        if purpose is Purpose.confirm and not matter.has_final_report:
            raise Refused("no_final_report", "尚无完成度 100% 的实施报告，不能确认实施结果。")
        move = workflow.on_vote(matter.stage, purpose, passed=result.get("passed"),
                                quorum_met=bool(result.get("quorum_met")))
    except Refused as exc:
        audit.record("matter.vote_ignored", actor=actor, obj=matter, reason=exc.message, code=exc.code,
                     vote_id=vote.id, meeting_id=meeting.id, body=meeting.body.preset,
                     stage=matter.stage.value)
        return
    reasons = None
    if any(not s.passed for s in move.steps):
        reasons = f"{meeting.body.name}表决：{result.get('text', '')}"
        if linked and move.sent_back:
            reasons += "\n异议：" + "；".join(o.text for o in linked)
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
                 to_state=move.to_stage, reason=reasons, note=move.note,
                 vote_id=getattr(vote, "id", None), meeting_id=getattr(meeting, "id", None))
    db.session.flush()
    _tell(matter, move.note + "。", actor)
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


def _answer_proposal(matter, category, actor):
    from app.proposals.operations import answer_from_matter
    from app.proposals.workflow import ProposalState

    proposal = matter.proposal
    if proposal is None or proposal.state != ProposalState.escalated.value:
        return
    if category == "B":
        body = (f"您的提案已转为四议两公开事项「{matter.title}」，经党支部会提议、两委会商议、党员大会审议，"
                f"{_resolution_body(matter)}已表决通过，决议于 {format_local(matter.resolution_published_dt)} "
                f"公示 {matter.objection_days} 天，随后组织实施。决议公告：{url_of(matter)}")
    else:
        body = (f"四议两公开事项「{matter.title}」已实施完毕，实施结果经居务监督委员会确认并公开"
                f"（完成度 {matter.percent_done}%，用款 {workflow.format_yuan(matter.spent_fen)}）。"
                f"实施结果公告：{url_of(matter)}")
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
        raise Refused("not_found", "找不到该记录。")
    if step.passed:
        raise Refused("wrong_state", "只有未通过的表决需要补充理由。")
    text = (text or "").strip()
    if len(text) < 2 or len(text) > 3000:
        raise Refused("reasons", "请写明理由（不超过 3000 字）。")
    addition = f"补充理由（{actor.name}，{format_local(utcnow())}）：{text}"
    step.reasons = f"{step.reasons}\n{addition}" if step.reasons else addition
    _touched(matter, "reasons_added")
    audit.record("matter.reasons_added", actor=actor, obj=matter, step_id=step.id, reason=text)
    db.session.flush()
    return step


def _touched(matter, action, now=None):
    """The matter's public record changed without a stage change: note when, tell the board."""
    matter.updated_dt = now or utcnow()
    send_changed(matter.id, action, matter.stage.value, matter.stage.value)


# -- stage 5: objections ---------------------------------------------------------------------

def raise_objection(actor, matter, text, now=None):
    now = now or utcnow()
    if not matter.can_object(actor):
        raise Refused("not_resident", "只有本社区已认证的居民可以对决议提出异议。")
    workflow.check_object(matter.stage, matter.resolution_published_dt, matter.objection_days, now)
    text = (text or "").strip()
    if len(text) < 5:
        raise Refused("text", "请写明异议的内容（至少 5 个字）。")
    if len(text) > 3000:
        raise Refused("text", "异议不超过 3000 字。")
    mine = sum(1 for o in _current_objections(matter) if o.author_id == actor.id)
    if mine >= MAX_OBJECTIONS_PER_PERSON:
        raise Refused("too_many", f"每人对同一决议最多提出 {MAX_OBJECTIONS_PER_PERSON} 条异议。")
    objection = MatterObjection(matter=matter, round=matter.round, author_id=actor.id, text=text,
                                created_dt=now)
    db.session.add(objection)
    db.session.flush()
    _follow(matter, actor)
    _touched(matter, "objection_raised", now)
    audit.record("matter.objection", actor=actor, obj=matter, objection_id=objection.id)
    notify(_staff_of(matter.community),
           f"事项「{matter.title}」收到一条异议，请在 {workflow.ANSWER_DAYS} 天内答复"
           f"（{format_local(objection.answer_due_dt)} 前）。", url_of(matter))
    return objection


def load_objection(matter, objection_id):
    found = db.session.get(MatterObjection, objection_id) if isinstance(objection_id, int) else None
    if found is None or found.matter_id != matter.id:
        raise Refused("not_found", "找不到该异议。")
    return found


def answer_objection(actor, objection, text, now=None):
    now = now or utcnow()
    matter = objection.matter
    require_manager(actor, matter)
    workflow.check_answer(objection.answered_dt)
    text = (text or "").strip()
    if len(text) < 5 or len(text) > 3000:
        raise Refused("text", "请写出答复（5 到 3000 字）。")
    late = workflow.is_overdue(objection.created_dt, now, now)
    objection.answer, objection.answered_dt, objection.answered_by_id = text, now, actor.id
    _touched(matter, "objection_answered", now)
    audit.record("matter.objection_answered", actor=actor, obj=matter, objection_id=objection.id,
                 is_late=late)
    notify([objection.author], f"您对事项「{matter.title}」的异议已有答复；如果接受答复，请在页面上确认。",
           url_of(matter))
    db.session.flush()
    return objection


def accept_answer(actor, objection, now=None):
    """The objector accepts the answer: the objection is resolved."""
    if actor is None or actor.id != objection.author_id:
        raise Refused("forbidden", "只有提出异议的居民可以接受答复。")
    workflow.check_accept(objection.answered_dt, objection.accepted_dt is not None)
    objection.accepted_dt = now or utcnow()
    _touched(objection.matter, "objection_accepted", objection.accepted_dt)
    audit.record("matter.objection_accepted", actor=actor, obj=objection.matter,
                 objection_id=objection.id)
    db.session.flush()
    return objection


def overdue_objections(matter, now=None):
    now = now or utcnow()
    return [o for o in _current_objections(matter) if o.answered_dt is None and o.is_overdue(now)]


def start_implementation(actor, matter, now=None):
    """Stage 5 → 6, refused until the window is over and every objection is dealt with."""
    now = now or utcnow()
    require_manager(actor, matter)
    _locked(matter.id)
    workflow.check_start_implementation(matter.stage, matter.resolution_published_dt,
           matter.objection_days, now, objection_snaps(matter))
    objections = _current_objections(matter)
    accepted = sum(1 for o in objections if o.accepted_dt is not None)
    reviewed = sum(1 for o in objections if o.review_passed is True and o.accepted_dt is None)
    text = (f"决议于 {format_local(matter.resolution_published_dt)} 公示，公示期 {matter.objection_days} 天，"
            f"至 {format_local(matter.objection_end_dt)} 期满；收到异议 {len(objections)} 条")
    if objections:
        text += f"（异议人接受答复 {accepted} 条，经党员大会审议维持决议 {reviewed} 条）"
    move = workflow.Move(MatterStage.resolution_public, MatterStage.implementation,
                         (workflow.Step(MatterStage.resolution_public, True, Outcome.published),),
                         Outcome.published, note="决议公示期满，开始组织实施")
    matter.implementation_started_dt = now
    _apply_move(matter, move, actor=actor, now=now, result_text=text + "。")
    return matter


# -- stage 6: reports --------------------------------------------------------------------------

def add_report(actor, matter, *, text, percent_done, spent_fen, files=(), now=None):
    now = now or utcnow()
    require_manager(actor, matter)
    workflow.check_report(matter.stage, percent_done, spent_fen)
    text = (text or "").strip()
    if len(text) < 5 or len(text) > 10000:
        raise Refused("text", "请写出实施情况（5 到 10000 字）。")
    report = MatterReport(matter=matter, author_id=actor.id, text=text, percent_done=percent_done,
                          spent_fen=spent_fen, created_dt=now)
    db.session.add(report)
    db.session.flush()
    for filename, data in files:
        add_attachment(actor, matter, filename, data, report=report)
    _touched(matter, "report_published", now)
    audit.record("matter.report", actor=actor, obj=matter, report_id=report.id,
                 percent_done=percent_done, spent_fen=spent_fen)
    _tell(matter, f"发布了实施进度：完成 {percent_done}%，已用资金 {report.spent_text}。", actor)
    db.session.flush()
    return report


# -- followers ---------------------------------------------------------------------------------

def _follow(matter, user):
    if user is None:
        return
    if MatterFollow.query.filter_by(matter_id=matter.id, user_id=user.id).first() is None:
        db.session.add(MatterFollow(matter_id=matter.id, user_id=user.id))
        db.session.flush()


def is_following(matter, user):
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return MatterFollow.query.filter_by(matter_id=matter.id, user_id=user.id).first() is not None


def follow(actor, matter):
    if actor is None or not getattr(actor, "is_authenticated", False) or \
            not actor.belongs_to(matter.community) or not matter.can_view(actor):
        raise Refused("forbidden", "只有本社区的居民可以关注事项。")
    _follow(matter, actor)
    audit.record("matter.follow", actor=actor, obj=matter)


def unfollow(actor, matter):
    MatterFollow.query.filter_by(matter_id=matter.id, user_id=actor.id).delete()
    audit.record("matter.unfollow", actor=actor, obj=matter)


def followers(matter):
    from app.auth.models import User

    return (User.query.join(MatterFollow, MatterFollow.user_id == User.id)
            .filter(MatterFollow.matter_id == matter.id).all())


def _tell(matter, text, actor=None):
    users = [u for u in followers(matter) if actor is None or u.id != getattr(actor, "id", None)]
    notify(users, f"事项「{matter.title}」：{text}", url_of(matter))


def _staff_of(community):
    from app.auth.models import RoleKind, User
    from app.community.models import CommunityRole

    return (User.query.join(CommunityRole, CommunityRole.user_id == User.id)
            .filter(CommunityRole.community_id == community.id,
                    CommunityRole.kind.in_([RoleKind.STAFF, RoleKind.ADMIN])).all())


# -- reading -----------------------------------------------------------------------------------

EVENT_LABELS = {
    "matter.created": "起草事项",
    "matter.edited": "修改方案",
    "matter.scheduled": "列入会议议程",
    "matter.vote_ignored": "表决未计入（会议组织或议题不符）",
    "matter.advanced": "表决通过",
    "matter.rejected": "表决未通过",
    "matter.sent_back": "退回第一阶段",
    "matter.invalid": "表决无效（未达法定人数）",
    "matter.overruled": "异议经党员大会审议，决议维持",
    "matter.not_confirmed": "居务监督委员会未确认",
    "matter.published": "开始组织实施",
    "matter.objection": "居民提出异议",
    "matter.objection_answered": "答复异议",
    "matter.objection_accepted": "异议人接受答复",
    "matter.report": "发布实施报告",
    "matter.reasons_added": "补充未通过的理由",
}


def timeline(matter):
    """The matter's audit trail, oldest first (follows left out)."""
    from app.core.audit import AuditEvent

    return [e for e in (AuditEvent.query.filter_by(object_type="matters", object_id=matter.id)
                        .order_by(AuditEvent.id).all())
            if e.action in EVENT_LABELS]


def minutes_meeting(matter, meeting_id):
    """A meeting whose minutes belong to the matter's trail (decided one of its stages)."""
    if not isinstance(meeting_id, int):
        raise Refused("not_found", "找不到该会议纪要。")
    step = next((s for s in matter.steps if s.meeting_id == meeting_id), None)
    if step is None or step.meeting is None or not step.meeting.minutes_text:
        raise Refused("not_found", "找不到该会议纪要。")
    return step.meeting
