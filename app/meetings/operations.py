"""Meeting operations: the only code that changes a meeting's details, agenda and state (create,
agenda, announce, reschedule, cancel, start, end, minutes). Load → check → rule → change → audit →
flush; the live room is told only after the commit (`app.meetings.live`)."""
from datetime import datetime

from flask import current_app

from app.community.models import Body, MemberRole
from app.core import audit
from app.core.i18n import N_, Message
from app.core.refusal import Refused
from app.core.signals import send_after_commit
from app.core.notify import notify
from app.core.sanitize import clean_text
from app.core.timeutil import format_local, utcnow
from app.extensions import db
from app.meetings import minutes, workflow
from app.meetings.live import emit_after_commit, iso, speaker_queue
from app.meetings.signals import meeting_changed
from app.meetings.models import (
    AgendaItem, Attendance, ConveneRequest, Meeting, MeetingMember, MinutesSignature, can_organise,
)
from app.meetings.workflow import MeetingMode, MeetingState, SpeakerState


def _changed_after_commit(meeting, action, from_state, to_state):
    """Tell the areas above (matters, the notice board) once the state change is committed."""
    send_after_commit(meeting_changed, meeting.id, action=action, from_state=from_state.value,
                      to_state=to_state.value)


# -- loading ---------------------------------------------------------------------

def get_meeting(user, meeting_id):
    """The meeting if the user may see it; otherwise a 404, so nobody learns what exists elsewhere."""
    meeting = db.session.get(Meeting, meeting_id) if isinstance(meeting_id, int) else None
    if meeting is None or not meeting.can_view(user):
        raise Refused("not_found", N_("找不到该会议。"))
    return meeting


UNDER_WAY = (MeetingState.DRAFT, MeetingState.ANNOUNCED, MeetingState.LIVE)
PAST_PER_PAGE = 20
# What a list shows of a meeting: the notice, the notes and the minutes stay in the database.
_LIST_COLUMNS = (Meeting.id, Meeting.community_id, Meeting.body_id, Meeting.title, Meeting.start_dt,
                 Meeting.state)


def visible_clause(user, community):
    """`Meeting.can_view(user)` for a community's meetings, as SQL (a list of ten years is paged
    in the database): staff see all; the organisers of a body its drafts; members (now, or in the
    snapshot taken when it was announced) and, for a public body, the community's residents, the
    rest."""
    if user.is_staff_of(community):
        return db.true()
    organised = [b.id for b in community.bodies if b.is_chair(user) or b.is_secretary(user)]
    seen = [b.id for b in community.bodies if b.is_member(user)
            or (b.is_public and user.community_id == community.id)]
    snapshot = db.select(MeetingMember.meeting_id).where(MeetingMember.user_id == user.id)
    return db.or_(Meeting.body_id.in_(organised),
                  db.and_(Meeting.state != MeetingState.DRAFT,
                          db.or_(Meeting.body_id.in_(seen), Meeting.id.in_(snapshot))))


def meetings_of(user, community, page=1):
    """(meetings not over yet, soonest first; one page of past ones, newest first) that this user
    may see in a community."""
    base = (db.select(Meeting).options(db.load_only(*_LIST_COLUMNS))
            .where(Meeting.community_id == community.id, visible_clause(user, community)))
    # Sorted here: ordered in SQL, SQLite would walk all the community's meetings by start rather
    # than seek the few under way by state.
    upcoming = sorted(db.session.scalars(base.where(Meeting.state.in_(UNDER_WAY))),
                      key=lambda m: (m.start_dt, m.id))
    past = db.paginate(base.where(Meeting.state.not_in(UNDER_WAY))
                       .order_by(Meeting.start_dt.desc(), Meeting.id.desc()),
                       page=page, per_page=PAST_PER_PAGE, error_out=False)
    return upcoming, past


def load_body(user, body_id):
    body = db.session.get(Body, body_id) if isinstance(body_id, int) else None
    if body is None or not user.belongs_to(body.community):
        raise Refused("not_found", N_("找不到该组织。"))
    return body


# -- preparing -------------------------------------------------------------------

def _check_details(title, start_dt, mode, video_url, limit):
    title = clean_text(title, 120)
    if not title:
        raise Refused("title", N_("请填写会议名称。"))
    if not isinstance(start_dt, datetime):
        raise Refused("start_dt", N_("请填写会议时间。"))
    try:
        mode = MeetingMode(mode)
    except ValueError:
        raise Refused("mode", N_("会议形式只能是现场、线上或现场 + 线上。")) from None
    if video_url and not str(video_url).startswith(("https://", "http://")):
        raise Refused("video_url", N_("视频会议链接须以 http:// 或 https:// 开头。"))
    workflow.check_limit(limit)
    return title, mode


def create_meeting(actor, body, *, title, start_dt, place="", mode=MeetingMode.HYBRID, video_url=None,
                   notice_text=None, speaker_limit_seconds=180):
    workflow.require(can_organise(actor, body), N_("只有该组织的主持人、记录员或社区工作人员可以安排会议。"))
    title, mode = _check_details(title, start_dt, mode, video_url, speaker_limit_seconds)
    meeting = Meeting(body=body, community_id=body.community_id, title=title, start_dt=start_dt,
                      place=clean_text(place, 120), mode=mode, video_url=video_url or None,
                      notice_text=notice_text or None, speaker_limit_seconds=speaker_limit_seconds,
                      created_by_id=actor.id)
    db.session.add(meeting)
    db.session.flush()
    audit.record("meeting.created", actor=actor, obj=meeting, to_state=MeetingState.DRAFT, title=title)
    return meeting


def add_item(actor, meeting, *, title, description=None, proposal_id=None, matter_id=None, for_vote=True,
             now=None):
    """An item at the end of the agenda. Once the notice is out, an item `for_vote` needs the notice
    period again (then it goes out to the members at once); otherwise it is for discussion only."""
    workflow.require(meeting.can_organise(actor), N_("只有该组织的主持人、记录员或社区工作人员可以编排议程。"))
    workflow.require_state(meeting.state, workflow.EDITABLE, N_("会议开始后不能再修改议程。"))
    now = now or utcnow()
    late = meeting.state is MeetingState.ANNOUNCED
    for_vote = bool(for_vote)
    if late and for_vote:
        workflow.check_late_item(meeting.start_dt, now, meeting.body.rule.notice_days, meeting.body.name)
    title = clean_text(title, 200)
    if not title:
        raise Refused("title", N_("请填写议题名称。"))
    for value, name in ((proposal_id, "proposal_id"), (matter_id, "matter_id")):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise Refused(name, N_("关联编号无效。"))
    kind = "proposal" if proposal_id else "matter" if matter_id else "discussion"
    item = AgendaItem(meeting=meeting, position=len(meeting.items), title=title,
                      description=(description or "").strip() or None, kind=kind,
                      proposal_id=proposal_id, matter_id=matter_id, is_for_vote=for_vote,
                      noticed_dt=now if late and for_vote else None)
    db.session.add(item)
    db.session.flush()
    audit.record("meeting.item_added", actor=actor, obj=meeting, item_id=item.id, title=title,
                 for_vote=for_vote, late=late)
    if late:
        text = (N_("%(body)s会议“%(meeting)s”增加了议题（表决事项）：%(item)s") if for_vote
                else N_("%(body)s会议“%(meeting)s”增加了议题（讨论事项（不表决））：%(item)s"))
        _tell_members(meeting, Message(text, body=meeting.body.name, meeting=meeting.title, item=title))
    return item


def _tell_members(meeting, text):
    notify([m.user for m in meeting.members], text, f"/meetings/{meeting.id}")


def remove_item(actor, meeting, item_id):
    workflow.require(meeting.can_organise(actor), N_("只有该组织的主持人、记录员或社区工作人员可以编排议程。"))
    workflow.require_state(meeting.state, workflow.EDITABLE, N_("会议开始后不能再修改议程。"))
    item = next((i for i in meeting.items if i.id == item_id), None)
    if item is None:
        raise Refused("not_found", N_("找不到该议题。"))
    meeting.items.remove(item)
    for position, other in enumerate(meeting.items):
        other.position = position
    audit.record("meeting.item_removed", actor=actor, obj=meeting, item_id=item_id, title=item.title)
    if meeting.state is MeetingState.ANNOUNCED:
        _tell_members(meeting, Message(N_("%(body)s会议“%(meeting)s”取消了议题：%(item)s"),
                                       body=meeting.body.name, meeting=meeting.title, item=item.title))


def announce(actor, meeting, now=None, notice_text=None):
    """Send the notice: check the notice period, snapshot the members, tell them.

    `notice_text`, when given, replaces the draft's notice (and plan) as it is sent.
    """
    now = now or utcnow()
    workflow.require(meeting.can_organise(actor), N_("只有该组织的主持人、记录员或社区工作人员可以发出会议通知。"))
    target = workflow.transition(meeting.state, "announce")
    if notice_text is not None:
        meeting.notice_text = notice_text.strip() or None
    body = meeting.body
    workflow.check_notice(meeting.start_dt, now, body.rule.notice_days, body.name)
    if not meeting.items:
        raise Refused("empty_agenda", N_("请先编排至少一项议程再发通知。"))
    if body.rule.plan_with_notice and not (meeting.notice_text or "").strip():
        raise Refused("plan_required", N_("%(body)s须随通知将会议方案告知成员：请填写“通知正文 / 会议方案”。"),
                      body=body.name)
    members = [m for m in body.memberships if m.user.is_active]
    for m in members:
        db.session.add(MeetingMember(meeting=meeting, user_id=m.user_id, role=m.role, is_voting=m.is_voting))
    meeting.state, meeting.announced_dt = target, now
    for item in meeting.items:
        item.noticed_dt = now
    for request in ConveneRequest.query.filter_by(body_id=body.id, answered_dt=None):
        request.answered_dt, request.meeting_id = now, meeting.id
    audit.record("meeting.announced", actor=actor, obj=meeting, from_state=MeetingState.DRAFT,
                 to_state=target, members=len(members))
    _changed_after_commit(meeting, "announced", MeetingState.DRAFT, target)
    notify([m.user for m in members],
           Message(N_("%(body)s将于 %(start)s 在%(place)s召开：%(meeting)s"), body=body.name,
                   start=format_local(meeting.start_dt), place=_place(meeting.place), meeting=meeting.title),
           f"/meetings/{meeting.id}")
    return meeting


def cancel(actor, meeting, reason):
    workflow.require(meeting.can_organise(actor), N_("只有该组织的主持人、记录员或社区工作人员可以取消会议。"))
    reason = clean_text(reason, 500)
    if not reason:
        raise Refused("reason", N_("请写明取消的原因。"))
    before = meeting.state
    meeting.state = workflow.transition(meeting.state, "cancel")
    meeting.cancel_reason = reason
    audit.record("meeting.cancelled", actor=actor, obj=meeting, from_state=before,
                 to_state=meeting.state, reason=reason)
    _changed_after_commit(meeting, "cancelled", before, meeting.state)
    if before is MeetingState.ANNOUNCED:
        notify([m.user for m in meeting.members],
               Message(N_("会议已取消：%(meeting)s（%(reason)s）"), meeting=meeting.title, reason=reason),
               f"/meetings/{meeting.id}")
    emit_after_commit(meeting.id, "state", {"meeting_id": meeting.id, "state": meeting.state.value,
                                            "reason": reason})
    return meeting


def reschedule(actor, meeting, *, start_dt=None, place=None, title=None, now=None):
    """Change a meeting's time, place or title before it starts (改期). Once announced, postponing
    is always allowed, moving it earlier only with the notice period; members hear what changed."""
    workflow.require(meeting.can_organise(actor), N_("只有该组织的主持人、记录员或社区工作人员可以修改会议。"))
    workflow.require_state(meeting.state, workflow.EDITABLE, N_("会议已开始、结束或取消，不能再修改。"))
    now = now or utcnow()
    changes = {}
    if title is not None:
        title = clean_text(title, 120)
        if not title:
            raise Refused("title", N_("请填写会议名称。"))
        if title != meeting.title:
            changes["title"] = (meeting.title, title)
    if place is not None:
        place = clean_text(place, 120)
        if place != (meeting.place or ""):
            changes["place"] = (meeting.place or "", place)
    if start_dt is not None:
        if not isinstance(start_dt, datetime):
            raise Refused("start_dt", N_("请填写会议时间。"))
        if start_dt != meeting.start_dt:
            if meeting.state is MeetingState.ANNOUNCED:
                body = meeting.body
                workflow.check_move(meeting.start_dt, start_dt, now, body.rule.notice_days, body.name)
            changes["start_dt"] = (meeting.start_dt, start_dt)
    if not changes:
        raise Refused("no_change", N_("没有需要修改的内容。"))
    if "title" in changes:
        meeting.title = title
    if "place" in changes:
        meeting.place = place
    if "start_dt" in changes:
        meeting.start_dt = start_dt
    audit.record("meeting.rescheduled", actor=actor, obj=meeting, **{
        key: [iso(a) if isinstance(a, datetime) else a, iso(b) if isinstance(b, datetime) else b]
        for key, (a, b) in changes.items()})
    if meeting.state is MeetingState.ANNOUNCED:
        words = [_change_words(key, *values) for key, values in changes.items()]
        _tell_members(meeting, Message(N_("%(body)s会议“%(meeting)s”变更：%(changes)s。"), body=meeting.body.name,
                                       meeting=meeting.title, changes=_joined(words)))
        _changed_after_commit(meeting, "rescheduled", meeting.state, meeting.state)
        emit_after_commit(meeting.id, "state", {
            "meeting_id": meeting.id, "state": meeting.state.value, "title": meeting.title,
            "place": meeting.place, "start_dt": iso(meeting.start_dt)})
    return changes


def _change_words(key, before, after):
    if key == "start_dt":
        text = N_("时间由 %(before)s 推迟到 %(after)s") if after > before else N_("时间由 %(before)s 提前到 %(after)s")
        return Message(text, before=format_local(before), after=format_local(after))
    if key == "place":
        return Message(N_("地点由“%(before)s”改为“%(after)s”"), before=_place(before), after=_place(after))
    return Message(N_("名称由“%(before)s”改为“%(after)s”"), before=before, after=after)


def _place(place):
    """Where a meeting is held: its place as written, or 「线上」 (online) when it has none."""
    return place or Message(N_("线上"))


def _joined(parts):
    """Several changes in one sentence: 「…；…」."""
    text = parts[0]
    for part in parts[1:]:
        text = Message(N_("%(first)s；%(next)s"), first=text, next=part)
    return text


def require_votable(item):
    """Refuse a vote on an item that was not in the notice members received (the votes area asks)."""
    workflow.check_votable(item.noticed_dt is not None, item.is_for_vote)


def start(actor, meeting, now=None):
    workflow.require(meeting.can_chair(actor) or meeting.can_record(actor), N_("只有主持人或记录员可以宣布开会。"),
             code="chair_only")
    target = workflow.transition(meeting.state, "start")
    now = now or utcnow()
    workflow.check_start_window(meeting.start_dt, now, current_app.config["MEETING_EARLY_START_MINUTES"])
    meeting.state, meeting.started_dt = target, now
    audit.record("meeting.started", actor=actor, obj=meeting, from_state=MeetingState.ANNOUNCED,
                 to_state=MeetingState.LIVE)
    _changed_after_commit(meeting, "started", MeetingState.ANNOUNCED, MeetingState.LIVE)
    emit_after_commit(meeting.id, "state", {"meeting_id": meeting.id, "state": meeting.state.value})
    return meeting


# -- ending and minutes -----------------------------------------------------------------

# Areas above may refuse an end (an open vote): fn(meeting) raises a Refused.
_end_checks = []


def add_end_check(fn):
    if fn not in _end_checks:
        _end_checks.append(fn)


def end_meeting(actor, meeting, now=None):
    workflow.require(meeting.can_chair(actor), N_("只有主持人可以宣布散会。"), code="chair_only")
    for check in _end_checks:
        check(meeting)
    now = now or utcnow()
    meeting.state = workflow.transition(meeting.state, "end")
    meeting.ended_dt = now
    for speaker in speaker_queue(meeting):
        speaker.state, speaker.ended_dt = SpeakerState.DONE, now
    db.session.flush()
    meeting.minutes_text = minutes.draft(meeting)
    audit.record("meeting.ended", actor=actor, obj=meeting, from_state=MeetingState.LIVE,
                 to_state=MeetingState.ENDED)
    _changed_after_commit(meeting, "ended", MeetingState.LIVE, MeetingState.ENDED)
    emit_after_commit(meeting.id, "meeting_ended", {"meeting_id": meeting.id, "state": meeting.state.value,
                                                    "minutes_url": f"/meetings/{meeting.id}/minutes"})
    return meeting


def save_notes(actor, meeting, notes):
    workflow.require(meeting.can_record(actor), N_("只有记录员可以编写会议记录。"), code="secretary_only")
    if meeting.state in (MeetingState.ENDED, MeetingState.MINUTES_SIGNED, MeetingState.CANCELLED):
        raise Refused("locked", N_("会议已结束，纪要已锁定，不能再修改。"))
    meeting.notes = (notes or "").strip()[:20000] or None
    audit.record("meeting.notes_saved", actor=actor, obj=meeting)


def required_signers(meeting):
    """Who must sign: the chair and the secretaries who attended (the rest may sign too)."""
    attended = {a.user_id for a in Attendance.query.filter_by(meeting_id=meeting.id)}
    return {m.user_id for m in meeting.members
            if m.role in (MemberRole.CHAIR, MemberRole.SECRETARY) and m.user_id in attended}


def can_sign(user, meeting):
    return Attendance.query.filter_by(meeting_id=meeting.id, user_id=user.id).first() is not None


def sign_minutes(user, meeting, now=None):
    workflow.require_state(meeting.state, {MeetingState.ENDED, MeetingState.MINUTES_SIGNED},
           N_("会议结束后才能签署纪要。"))
    workflow.require(can_sign(user, meeting), N_("只有出席会议的人可以签署纪要。"), code="not_attendee")
    if MinutesSignature.query.filter_by(meeting_id=meeting.id, user_id=user.id).first():
        raise Refused("already_signed", N_("您已签署过本次会议纪要。"))
    db.session.add(MinutesSignature(meeting_id=meeting.id, user_id=user.id, signed_dt=now or utcnow()))
    db.session.flush()
    audit.record("meeting.minutes_signed", actor=user, obj=meeting)
    signed = {s.user_id for s in MinutesSignature.query.filter_by(meeting_id=meeting.id)}
    if meeting.state is MeetingState.ENDED and required_signers(meeting) <= signed:
        meeting.state = workflow.transition(meeting.state, "sign_off")
        meeting.signed_dt = now or utcnow()
        audit.record("meeting.minutes_complete", actor=user, obj=meeting, from_state=MeetingState.ENDED,
                     to_state=meeting.state)
        _changed_after_commit(meeting, "minutes_signed", MeetingState.ENDED, meeting.state)
    return meeting


