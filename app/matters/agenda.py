"""Putting a matter on a meeting's agenda: which body and purpose its stage needs, the plan or the
objections written into the item (and into a party assembly's notice), the meetings it may go on."""
from flask_babel import gettext as _

from app.community.models import MemberRole
from app.core import audit
from app.core.i18n import N_, Message
from app.core.refusal import Refused
from app.extensions import db
from app.matters import workflow
from app.matters.operations import require_manager, tell
from app.matters.workflow import MatterStage, Purpose
from app.meetings import operations as meetings
from app.meetings.models import AgendaItem, Meeting
from app.meetings.workflow import MeetingState


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


# The heading of a matter's block in a meeting's notice is a marker that `plan_in_notice` looks for,
# so it stays the same in every language (四议两公开 is the procedure's legal name).
def _plan_block(matter):
    facts = (_("类别：%(kind)s；预算：%(budget)s", kind=matter.kind, budget=matter.budget_text)
             if matter.budget_fen is not None else _("类别：%(kind)s", kind=matter.kind))
    lines = [f"### 【四议两公开事项 #{matter.id} 方案】{matter.title}", "", facts, "", matter.plan.strip()]
    return "\n".join(lines)


def _objections_block(matter, objections):
    lines = [f"### 【四议两公开事项 #{matter.id} 异议】{matter.title}", "",
             _("决议公示期间居民提出、尚未解决的异议，提请党员大会审议："), ""]
    for o in objections:
        lines.append(f"{o.id}. {o.text}")
        if o.answer:
            lines.append("   - " + _("答复：%(answer)s", answer=o.answer))
    return "\n".join(lines)


def plan_in_notice(matter, meeting):
    """Was this matter's final plan sent with the meeting's notice (stage 3, DESIGN §2)?"""
    notice = meeting.notice_text or ""
    return f"【四议两公开事项 #{matter.id} 方案】" in notice and matter.plan.strip() in notice

def current_objections(matter):
    return [o for o in matter.objections if o.round == matter.round]


def objection_snaps(matter):
    snaps = []
    for o in current_objections(matter):
        snap = o.snap()
        # An objection counts as on an agenda only while that meeting may still decide it.
        upcoming = o.meeting is not None and o.meeting.state in (
            MeetingState.DRAFT, MeetingState.ANNOUNCED, MeetingState.LIVE)
        snaps.append(workflow.ObjectionSnap(snap.created_dt, snap.answered_dt, snap.accepted,
                                            scheduled=snap.scheduled and upcoming and not snap.reviewed,
                                            reviewed=snap.reviewed))
    return snaps


def waiting_objections(matter):
    return [o for o, snap in zip(current_objections(matter), objection_snaps(matter))
            if not snap.is_resolved and not snap.scheduled]


def schedule(actor, matter, meeting):
    """Put the matter on the agenda of a meeting of the body its current stage needs."""
    require_manager(actor, matter)
    if meeting.community_id != matter.community_id:
        raise Refused("wrong_community", N_("只能安排到本社区的会议。"))
    purpose = purpose_of(matter, meeting.body)
    if any(item.matter_id == matter.id for item in meeting.items):
        raise Refused("already_on_agenda", N_("该事项已在这次会议的议程中。"))
    plan_with_notice = meeting.body.rule.plan_with_notice
    workflow.check_schedule(matter.stage, purpose, objections=objection_snaps(matter),
           has_final_report=matter.has_final_report, plan_with_notice=plan_with_notice,
           meeting_announced=meeting.state is not MeetingState.DRAFT)
    label = purpose.label if purpose is not Purpose.decide else matter.stage.label
    said = purpose.message if purpose is not Purpose.decide else matter.stage.message
    waiting = waiting_objections(matter) if purpose is Purpose.objections else []
    if purpose is Purpose.objections:
        description = _objections_block(matter, waiting)
    elif purpose is Purpose.confirm:
        last = matter.reports[-1]
        description = (_("实施完成度 %(percent)d%%，已用资金 %(spent)s（预算 %(budget)s）。",
                         percent=last.percent_done, spent=last.spent_text,
                         budget=matter.budget_text or _("未列"))
                       + f"\n\n{last.text}")
    else:
        description = _plan_block(matter)
    item = meetings.add_item(actor, meeting, title=_("%(title)s（四议两公开·%(purpose)s）", title=matter.title,
                                                     purpose=label),
                             description=description, matter_id=matter.id)
    if plan_with_notice and meeting.state is MeetingState.DRAFT:
        block = description if purpose is Purpose.objections else _plan_block(matter)
        meeting.notice_text = ((meeting.notice_text or "").rstrip() + "\n\n" + block).strip()
    for objection in waiting:
        objection.meeting_id, objection.item_id = meeting.id, item.id
    audit.record("matter.scheduled", actor=actor, obj=matter, meeting_id=meeting.id, item_id=item.id,
                 purpose=purpose.value, stage=matter.stage.value, body=meeting.body.preset)
    tell(matter, Message(N_("已列入%(meeting)s议程（%(start)s）：%(purpose)s。"), meeting=meeting.body.meeting_name,
                         start=meeting.start_dt, purpose=said), actor)
    db.session.flush()
    return item


def schedulable_meetings(matter, user):
    """Meetings this user may put the matter on now: right body, not started, not yet carrying it."""
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
    return (AgendaItem.query.filter_by(matter_id=matter.id).order_by(AgendaItem.id.desc()).all())
