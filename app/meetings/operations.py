"""Meeting operations: the only code that changes a meeting. Load → check → rule → change →
audit → flush; the facts for the live room are emitted only after the commit."""
import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import func, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app.auth.models import User, UserState
from app.community.models import Body, Household
from app.core import audit
from app.core.db import after_commit
from app.core.refusal import Refused
from app.core.notify import notify
from app.core.sanitize import clean_text
from app.core.timeutil import format_local, utcnow
from app.extensions import db, socketio
from app.meetings import workflow
from app.meetings.signals import meeting_changed
from app.meetings.models import (
    AgendaItem, Attendance, ChatMessage, ConveneRequest, ConveneSupporter, Meeting, MeetingMember,
    MinutesSignature, Speaker, can_organise,
)
from app.meetings.workflow import AttendanceMode, MeetingMode, MeetingState, SpeakerState

log = logging.getLogger(__name__)

NAMESPACE = "/live"
CHAT_MAX = 500


def bump_room_version(meeting_id):
    """Raise the room's version in the current transaction and return it (None: no such meeting).

    The UPDATE holds the meeting's row until the commit, so the facts of one room take their
    versions in the order they commit, and whatever is read after this call sees every fact with a
    lower version: a payload built after the bump is never older than one with a lower version."""
    table = Meeting.__table__
    version = db.session.execute(
        update(table).where(table.c.id == meeting_id)
        .values(room_version=table.c.room_version + 1).returning(table.c.room_version)).scalar()
    loaded = db.session.identity_map.get(identity_key(Meeting, meeting_id))
    if loaded is not None and version is not None:
        set_committed_value(loaded, "room_version", version)
    return version


def room_version(meeting_id):
    """The room's version now, for facts that change nothing a join would not also show
    (`vote_progress`, `hall_entered`): they carry it without raising it."""
    return db.session.scalar(db.select(Meeting.room_version).where(Meeting.id == meeting_id))


def emit_after_commit(meeting_id, event, data):
    """Tell the room once the change is committed, never before (and never on rollback).

    Every fact raises the room's version in the change's own transaction and carries it as
    `version` (see app/meetings/events.py for what a screen does with it). `data` may be a
    function, called after the bump, for a payload read from the database (the speakers' list)."""
    version = bump_room_version(meeting_id)
    payload = {**(data() if callable(data) else data), "version": version}
    after_commit(lambda: socketio.emit(event, payload, namespace=NAMESPACE, to=f"meeting:{meeting_id}"))


def _changed_after_commit(meeting, action, from_state, to_state):
    """Tell the areas above (matters, the notice board) once the state change is committed."""
    meeting_id, from_value, to_value = meeting.id, from_state.value, to_state.value

    def send():
        if meeting_changed.receivers:
            meeting_changed.send(db.session.get(Meeting, meeting_id), action=action,
                                 from_state=from_value, to_state=to_value)

    after_commit(send)


def _require(condition, message, code="forbidden"):
    if not condition:
        raise Refused(code, message)


# -- loading ---------------------------------------------------------------------

def load_meeting(user, meeting_id):
    """The meeting if the user may see it; otherwise a 404, so nobody learns what exists elsewhere."""
    meeting = db.session.get(Meeting, meeting_id) if isinstance(meeting_id, int) else None
    if meeting is None or not meeting.can_view(user):
        raise Refused("not_found", "找不到该会议。")
    return meeting


def meetings_of(user, community):
    """Meetings this user may see in a community, newest first."""
    query = Meeting.query.filter_by(community_id=community.id).order_by(Meeting.start_dt.desc())
    return [m for m in query.limit(200) if m.can_view(user)]


# -- preparing -------------------------------------------------------------------

def _check_details(title, start_dt, mode, video_url, limit):
    title = clean_text(title, 120)
    if not title:
        raise Refused("title", "请填写会议名称。")
    if not isinstance(start_dt, datetime):
        raise Refused("start_dt", "请填写会议时间。")
    try:
        mode = MeetingMode(mode)
    except ValueError:
        raise Refused("mode", "会议形式只能是现场、线上或现场 + 线上。") from None
    if video_url and not str(video_url).startswith(("https://", "http://")):
        raise Refused("video_url", "视频会议链接须以 http:// 或 https:// 开头。")
    workflow.check_limit(limit)
    return title, mode


def create_meeting(actor, body, *, title, start_dt, place="", mode=MeetingMode.HYBRID, video_url=None,
                   notice_text=None, speaker_limit_seconds=180):
    _require(can_organise(actor, body), "只有该组织的主持人、记录员或社区工作人员可以安排会议。")
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
    _require(meeting.can_organise(actor), "只有该组织的主持人、记录员或社区工作人员可以编排议程。")
    workflow.require_state(meeting.state, workflow.EDITABLE, "会议开始后不能再修改议程。")
    now = now or utcnow()
    late = meeting.state is MeetingState.ANNOUNCED
    for_vote = bool(for_vote)
    if late and for_vote:
        workflow.check_late_item(meeting.start_dt, now, meeting.body.rule.notice_days, meeting.body.name)
    title = clean_text(title, 200)
    if not title:
        raise Refused("title", "请填写议题名称。")
    for value, name in ((proposal_id, "proposal_id"), (matter_id, "matter_id")):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise Refused(name, "关联编号无效。")
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
        what = "表决事项" if for_vote else "讨论事项（不表决）"
        _tell_members(meeting, f"{meeting.body.name}会议“{meeting.title}”增加了议题（{what}）：{title}")
    return item


def _tell_members(meeting, text):
    notify([m.user for m in meeting.members], text, f"/meetings/{meeting.id}")


def remove_item(actor, meeting, item_id):
    _require(meeting.can_organise(actor), "只有该组织的主持人、记录员或社区工作人员可以编排议程。")
    workflow.require_state(meeting.state, workflow.EDITABLE, "会议开始后不能再修改议程。")
    item = next((i for i in meeting.items if i.id == item_id), None)
    if item is None:
        raise Refused("not_found", "找不到该议题。")
    meeting.items.remove(item)
    for position, other in enumerate(meeting.items):
        other.position = position
    audit.record("meeting.item_removed", actor=actor, obj=meeting, item_id=item_id, title=item.title)
    if meeting.state is MeetingState.ANNOUNCED:
        _tell_members(meeting, f"{meeting.body.name}会议“{meeting.title}”取消了议题：{item.title}")


def announce(actor, meeting, now=None, notice_text=None):
    """Send the notice: check the notice period, snapshot the members, tell them.

    `notice_text`, when given, replaces the draft's notice (and plan) as it is sent.
    """
    now = now or utcnow()
    _require(meeting.can_organise(actor), "只有该组织的主持人、记录员或社区工作人员可以发出会议通知。")
    target = workflow.transition(meeting.state, "announce")
    if notice_text is not None:
        meeting.notice_text = notice_text.strip() or None
    body = meeting.body
    workflow.check_notice(meeting.start_dt, now, body.rule.notice_days, body.name)
    if not meeting.items:
        raise Refused("empty_agenda", "请先编排至少一项议程再发通知。")
    if body.rule.plan_with_notice and not (meeting.notice_text or "").strip():
        raise Refused("plan_required", f"{body.name}须随通知将会议方案告知成员：请填写“通知正文 / 会议方案”。")
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
           f"{body.name}将于 {format_local(meeting.start_dt)} 在{meeting.place or '线上'}召开：{meeting.title}",
           f"/meetings/{meeting.id}")
    return meeting


def cancel(actor, meeting, reason):
    _require(meeting.can_organise(actor), "只有该组织的主持人、记录员或社区工作人员可以取消会议。")
    reason = clean_text(reason, 500)
    if not reason:
        raise Refused("reason", "请写明取消的原因。")
    before = meeting.state
    meeting.state = workflow.transition(meeting.state, "cancel")
    meeting.cancel_reason = reason
    audit.record("meeting.cancelled", actor=actor, obj=meeting, from_state=before,
                 to_state=meeting.state, reason=reason)
    _changed_after_commit(meeting, "cancelled", before, meeting.state)
    if before is MeetingState.ANNOUNCED:
        notify([m.user for m in meeting.members], f"会议已取消：{meeting.title}（{reason}）",
               f"/meetings/{meeting.id}")
    emit_after_commit(meeting.id, "state", {"meeting_id": meeting.id, "state": meeting.state.value,
                                            "reason": reason})
    return meeting


def reschedule(actor, meeting, *, start_dt=None, place=None, title=None, now=None):
    """Change a meeting's time, place or title before it starts (改期). Once announced, postponing
    is always allowed, moving it earlier only with the notice period; members hear what changed."""
    _require(meeting.can_organise(actor), "只有该组织的主持人、记录员或社区工作人员可以修改会议。")
    workflow.require_state(meeting.state, workflow.EDITABLE, "会议已开始、结束或取消，不能再修改。")
    now = now or utcnow()
    changes = {}
    if title is not None:
        title = clean_text(title, 120)
        if not title:
            raise Refused("title", "请填写会议名称。")
        if title != meeting.title:
            changes["title"] = (meeting.title, title)
    if place is not None:
        place = clean_text(place, 120)
        if place != (meeting.place or ""):
            changes["place"] = (meeting.place or "", place)
    if start_dt is not None:
        if not isinstance(start_dt, datetime):
            raise Refused("start_dt", "请填写会议时间。")
        if start_dt != meeting.start_dt:
            if meeting.state is MeetingState.ANNOUNCED:
                body = meeting.body
                workflow.check_move(meeting.start_dt, start_dt, now, body.rule.notice_days, body.name)
            changes["start_dt"] = (meeting.start_dt, start_dt)
    if not changes:
        raise Refused("no_change", "没有需要修改的内容。")
    if "title" in changes:
        meeting.title = title
    if "place" in changes:
        meeting.place = place
    if "start_dt" in changes:
        meeting.start_dt = start_dt
    audit.record("meeting.rescheduled", actor=actor, obj=meeting, **{
        key: [_iso(a) if isinstance(a, datetime) else a, _iso(b) if isinstance(b, datetime) else b]
        for key, (a, b) in changes.items()})
    if meeting.state is MeetingState.ANNOUNCED:
        words = "；".join(_change_words(key, *values) for key, values in changes.items())
        _tell_members(meeting, f"{meeting.body.name}会议“{meeting.title}”变更：{words}。")
        _changed_after_commit(meeting, "rescheduled", meeting.state, meeting.state)
        emit_after_commit(meeting.id, "state", {
            "meeting_id": meeting.id, "state": meeting.state.value, "title": meeting.title,
            "place": meeting.place, "start_dt": _iso(meeting.start_dt)})
    return changes


def _change_words(key, before, after):
    if key == "start_dt":
        move = "推迟" if after > before else "提前"
        return f"时间由 {format_local(before)} {move}到 {format_local(after)}"
    if key == "place":
        return f"地点由“{before or '线上'}”改为“{after or '线上'}”"
    return f"名称由“{before}”改为“{after}”"


def require_votable(item):
    """Refuse a vote on an item that was not in the notice members received (the votes area asks)."""
    workflow.check_votable(item.noticed_dt is not None, item.is_for_vote)


# -- the live room -----------------------------------------------------------------

def _require_chair(actor, meeting, message):
    _require(meeting.can_chair(actor), message, code="chair_only")


def start(actor, meeting, now=None):
    _require(meeting.can_chair(actor) or meeting.can_record(actor), "只有主持人或记录员可以宣布开会。",
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


def _present_rows(meeting_id):
    return db.session.execute(
        db.select(Attendance.user_id, Attendance.mode)
        .where(Attendance.meeting_id == meeting_id, Attendance.left_dt.is_(None))
    ).all()


def _voting(meeting_id):
    return db.select(MeetingMember.user_id).where(MeetingMember.meeting_id == meeting_id,
                                                  MeetingMember.is_voting.is_(True))


def present_voting(meeting_id):
    """How many voting members are present now (in the hall or online)."""
    return db.session.scalar(
        db.select(func.count(Attendance.id)).where(Attendance.meeting_id == meeting_id,
                                                   Attendance.left_dt.is_(None),
                                                   Attendance.user_id.in_(_voting(meeting_id))))


def households_of(user_ids):
    """Each of these people's household, as the household base counts them: someone outside the
    register is a household of their own (negative, so it never clashes with a household id).
    The meter and a vote's snapshot both count with this, so they cannot disagree."""
    user_ids = set(user_ids)
    rows = dict(db.session.execute(
        db.select(User.id, User.household_id).where(User.id.in_(user_ids or {0}))).all())
    return {u: rows.get(u) or -u for u in user_ids}


def quorum(meeting):
    """The meter in the body's unit: two counts in the database, or on the household base the
    voting members' households and which of them have someone present."""
    rule = meeting.body.rule
    if workflow.counting_base(rule) == workflow.HOUSEHOLDS:
        voting = set(db.session.scalars(_voting(meeting.id)))
        present = db.session.scalars(db.select(Attendance.user_id).where(
            Attendance.meeting_id == meeting.id, Attendance.left_dt.is_(None),
            Attendance.user_id.in_(_voting(meeting.id))))
        return workflow.quorum_meter_of(rule, voting, present, households_of(voting)).as_dict()
    members = db.session.scalar(db.select(func.count()).select_from(_voting(meeting.id).subquery()))
    return workflow.quorum_meter(rule, members, present_voting(meeting.id)).as_dict()


def presence(meeting):
    """Who is present and how, and the quorum meter: the full picture `join` sends."""
    return {"meeting_id": meeting.id,
            "present": {str(user_id): mode.value for user_id, mode in _present_rows(meeting.id)},
            "quorum": quorum(meeting)}


FULL_PRESENCE_UP_TO = 300


def presence_update(meeting, user_ids):
    """What `presence_changed` carries: the whole list in a small room; in a big one only the
    people who changed (`changes`: user id -> mode, or None for gone), read now from the database."""
    data = {"meeting_id": meeting.id, "quorum": quorum(meeting)}
    if data["quorum"]["persons"]["members"] <= FULL_PRESENCE_UP_TO:
        data["present"] = {str(user_id): mode.value for user_id, mode in _present_rows(meeting.id)}
        return data
    rows = dict(db.session.execute(
        db.select(Attendance.user_id, Attendance.mode).where(
            Attendance.meeting_id == meeting.id, Attendance.left_dt.is_(None),
            Attendance.user_id.in_(user_ids))).all())
    data["changes"] = {str(user_id): (rows[user_id].value if user_id in rows else None) for user_id in user_ids}
    return data


def _member_or_refuse(meeting, user, message="只有本次会议的成员可以这样做。"):
    row = meeting.member(user)
    _require(row is not None, message, code="not_member")
    return row


def _check_in(meeting, user_id, mode, by=None, now=None):
    """One attendance row per member; hall wins over online. Returns True if anything changed."""
    now = now or utcnow()
    row = Attendance.query.filter_by(meeting_id=meeting.id, user_id=user_id).first()
    if row is None:
        db.session.add(Attendance(meeting_id=meeting.id, user_id=user_id, mode=mode,
                                  checked_in_dt=now, checked_in_by_id=getattr(by, "id", None)))
        return True
    merged = workflow.merge_attendance(row.mode if row.left_dt is None else None, mode)
    if merged is AttendanceMode.HALL and row.mode is AttendanceMode.HALL and row.left_dt is None:
        return False
    changed = row.mode is not merged or row.left_dt is not None
    row.mode, row.left_dt = merged, None
    if changed and by is not None:
        row.checked_in_by_id = by.id
    return changed


def join_online(user, meeting, now=None):
    """Opening the room: a member is present online (unless already in the hall)."""
    if meeting.state not in workflow.OPEN_ROOM or meeting.member(user) is None:
        return False
    changed = _check_in(meeting, user.id, AttendanceMode.ONLINE, now=now)
    if changed:
        audit.record("meeting.checked_in", actor=user, obj=meeting, mode="online")
        schedule_presence(meeting.id, user.id)
    return changed


def leave_online(user_id, meeting_id, now=None):
    """The last socket of an online member closed: no longer present (hall attendance stays)."""
    row = Attendance.query.filter_by(meeting_id=meeting_id, user_id=user_id).first()
    meeting = db.session.get(Meeting, meeting_id)
    if row is None or row.mode is not AttendanceMode.ONLINE or row.left_dt is not None \
            or meeting is None or meeting.state not in workflow.OPEN_ROOM:
        return False
    row.left_dt = now or utcnow()
    audit.record("meeting.left", actor=None, obj=meeting, user_id=user_id)
    schedule_presence(meeting_id, user_id)
    return True


def check_in(actor, meeting, user_id, now=None):
    """The secretary checks a member in in the hall (for those without a phone)."""
    _require(meeting.can_record(actor), "只有记录员或主持人可以为他人签到。", code="secretary_only")
    workflow.require_state(meeting.state, workflow.OPEN_ROOM, "会议未在进行，不能签到。")
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or meeting.member(user) is None:
        raise Refused("not_member", "此人不在本次会议的成员名单中。")
    changed = _check_in(meeting, user.id, AttendanceMode.HALL, by=actor, now=now)
    if changed:
        audit.record("meeting.checked_in", actor=actor, obj=meeting, user_id=user.id, mode="hall")
        schedule_presence(meeting.id, user.id)
    return changed


def check_in_hall(user, meeting, token, now=None):
    """A member scans the hall's QR code with their own phone."""
    now = now or utcnow()
    workflow.require_state(meeting.state, {MeetingState.LIVE}, "会议尚未开始或已经结束，不能扫码签到。")
    _member_or_refuse(meeting, user, "您不在本次会议的成员名单中，不能签到。")
    workflow.check_hall_token(meeting.hall_secret, meeting.id, token, now)
    changed = _check_in(meeting, user.id, AttendanceMode.HALL, by=user, now=now)
    if changed:
        audit.record("meeting.checked_in", actor=user, obj=meeting, mode="hall", via="qr")
        schedule_presence(meeting.id, user.id)
    return changed


def current_hall_token(meeting, now=None):
    return workflow.hall_token(meeting.hall_secret, meeting.id, now or utcnow())


# Presence can change hundreds of times a second when a hall fills up. Each process sends at
# most one `presence_changed` per meeting per interval, built from the database when it goes out,
# so what people see is always the committed truth and never a backlog.
PRESENCE_INTERVAL = 0.25
_presence_pending = {}   # meeting id -> user ids changed since the pending message was built


def schedule_presence(meeting_id, user_id):
    from flask import current_app

    app = current_app._get_current_object()

    def queue():
        if meeting_id in _presence_pending:
            _presence_pending[meeting_id].add(user_id)
            return
        _presence_pending[meeting_id] = {user_id}
        socketio.start_background_task(_send_presence, app, meeting_id)

    after_commit(queue)


def _send_presence(app, meeting_id):
    try:
        while True:
            socketio.sleep(PRESENCE_INTERVAL)
            changed, _presence_pending[meeting_id] = _presence_pending[meeting_id], set()
            with app.app_context():
                try:
                    # One version per message, however many arrivals it tells of; raised before
                    # the presence is read, so a later version never carries an older picture.
                    version = bump_room_version(meeting_id)
                    meeting = db.session.get(Meeting, meeting_id) if version is not None else None
                    if meeting is None:
                        return
                    data = {**presence_update(meeting, changed), "version": version}
                    db.session.commit()
                    socketio.emit("presence_changed", data, namespace=NAMESPACE, to=f"meeting:{meeting_id}")
                except Exception:  # noqa: BLE001 - a background task has nobody to answer
                    log.exception("presence of meeting %s not sent", meeting_id)
                    return
                finally:
                    db.session.remove()
            # Everyone in the room hears each message: an assembly of n members hears about
            # arrivals every n/1000 seconds (at most 5), however fast they come, so the messages
            # a process sends stay about one per member every few seconds at any size.
            socketio.sleep(min(5.0, data["quorum"]["persons"]["members"] / 1000))
            if not _presence_pending.get(meeting_id):
                return
    finally:
        _presence_pending.pop(meeting_id, None)


def next_item(actor, meeting, index=None):
    _require_chair(actor, meeting, "只有主持人可以切换议程。")
    workflow.require_state(meeting.state, {MeetingState.LIVE}, "会议未在进行，不能切换议程。")
    before = meeting.current_item
    meeting.current_item = workflow.move_item(before, len(meeting.items), index)
    audit.record("meeting.item_changed", actor=actor, obj=meeting, before=before, after=meeting.current_item)
    item = meeting.items[meeting.current_item]
    emit_after_commit(meeting.id, "item_changed", {
        "meeting_id": meeting.id, "index": meeting.current_item, "item_id": item.id, "title": item.title})
    return meeting.current_item


# -- speakers ------------------------------------------------------------------------

def _queue(meeting):
    return Speaker.query.filter(Speaker.meeting_id == meeting.id,
                                Speaker.state != SpeakerState.DONE).order_by(Speaker.id).all()


def speakers_view(meeting, queue=None):
    queue = _queue(meeting) if queue is None else queue
    names = dict(db.session.execute(
        db.select(User.id, User.name).where(User.id.in_({s.user_id for s in queue}))).all()) if queue else {}
    return [{"id": s.id, "user_id": s.user_id, "name": names.get(s.user_id, ""), "source": s.source.value,
             "state": s.state.value, "started_dt": _iso(s.started_dt), "limit_seconds": s.limit_seconds}
            for s in queue]


def _iso(dt):
    return dt.isoformat() + "Z" if dt else None


def _entries(queue):
    return [workflow.Entry(s.id, s.user_id, s.state) for s in queue]


def _speakers_changed(meeting):
    db.session.flush()
    # The list is read after the version is raised: of two hands raised at once, the later
    # version's list has both.
    emit_after_commit(meeting.id, "speakers_changed", lambda: {"meeting_id": meeting.id,
                                                                "speakers": speakers_view(meeting)})


def _live(meeting, message="会议未在进行。"):
    workflow.require_state(meeting.state, {MeetingState.LIVE}, message)


def raise_hand(user, meeting):
    _member_or_refuse(meeting, user, "只有本次会议的成员可以申请发言。")
    _live(meeting, "会议未在进行，不能申请发言。")
    queue = _queue(meeting)
    workflow.check_raise(_entries(queue), user.id)
    row = Attendance.query.filter_by(meeting_id=meeting.id, user_id=user.id).first()
    source = row.mode if row is not None else AttendanceMode.ONLINE
    speaker = Speaker(meeting_id=meeting.id, user_id=user.id, source=source, item_index=meeting.current_item,
                      limit_seconds=meeting.speaker_limit_seconds)
    db.session.add(speaker)
    audit.record("meeting.hand_raised", actor=user, obj=meeting)
    _speakers_changed(meeting)
    return speaker


def lower_hand(user, meeting):
    _live(meeting)
    entry = workflow.waiting_entry_of(_entries(_queue(meeting)), user.id)
    speaker = db.session.get(Speaker, entry.id)
    speaker.state, speaker.ended_dt = SpeakerState.DONE, utcnow()
    audit.record("meeting.hand_lowered", actor=user, obj=meeting)
    _speakers_changed(meeting)


def add_speaker(actor, meeting, user_id):
    """The chair puts someone in the hall on the list."""
    _require_chair(actor, meeting, "只有主持人可以添加现场发言人。")
    _live(meeting)
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    allowed = user is not None and (meeting.member(user) is not None or (
        meeting.body.is_public and user.community_id == meeting.community_id))
    if not allowed:
        raise Refused("not_member", "此人不能在本次会议发言。")
    workflow.check_raise(_entries(_queue(meeting)), user.id)
    speaker = Speaker(meeting_id=meeting.id, user_id=user.id, source=AttendanceMode.HALL,
                      item_index=meeting.current_item, limit_seconds=meeting.speaker_limit_seconds,
                      added_by_id=actor.id)
    db.session.add(speaker)
    audit.record("meeting.speaker_added", actor=actor, obj=meeting, user_id=user.id)
    _speakers_changed(meeting)
    return speaker


def give_floor(actor, meeting, speaker_id=None, now=None):
    _require_chair(actor, meeting, "只有主持人可以安排发言。")
    _live(meeting)
    queue = _queue(meeting)
    change = workflow.give_floor(_entries(queue), speaker_id)
    _apply_floor(meeting, queue, change, now or utcnow())
    audit.record("meeting.floor_given", actor=actor, obj=meeting, speaker_id=change.speaking)
    _speakers_changed(meeting)


def end_floor(actor, meeting, now=None):
    _require_chair(actor, meeting, "只有主持人可以结束发言。")
    _live(meeting)
    queue = _queue(meeting)
    change = workflow.end_floor(_entries(queue))
    _apply_floor(meeting, queue, change, now or utcnow())
    audit.record("meeting.floor_ended", actor=actor, obj=meeting)
    _speakers_changed(meeting)


def _apply_floor(meeting, queue, change, now):
    by_id = {s.id: s for s in queue}
    for speaker_id in change.finished:
        by_id[speaker_id].state, by_id[speaker_id].ended_dt = SpeakerState.DONE, now
    if change.speaking is not None:
        by_id[change.speaking].state, by_id[change.speaking].started_dt = SpeakerState.SPEAKING, now


# -- chat -----------------------------------------------------------------------------

def chat_view(message, names=None):
    name = (names or {}).get(message.user_id) or (message.user.name if message.user else "")
    return {"id": message.id, "user_id": message.user_id, "name": name,
            "text": "" if message.is_hidden else message.text, "is_hidden": message.is_hidden,
            "hidden_reason": message.hidden_reason, "created_dt": _iso(message.created_dt)}


def post_chat(user, meeting, text):
    _require(meeting.member(user) is not None or meeting.can_record(user),
             "只有会议成员可以发言交流；旁听者只能阅读。", code="read_only")
    workflow.require_state(meeting.state, workflow.OPEN_ROOM, "会议不在进行中，不能发送消息。")
    text = clean_text(text, CHAT_MAX + 1) if isinstance(text, str) else ""
    if not text:
        raise Refused("empty", "消息不能为空。")
    if len(text) > CHAT_MAX:
        raise Refused("too_long", f"消息不能超过 {CHAT_MAX} 字。")
    message = ChatMessage(meeting_id=meeting.id, user_id=user.id, text=text)
    db.session.add(message)
    db.session.flush()
    audit.record("meeting.chat_posted", actor=user, obj=meeting, message_id=message.id)
    emit_after_commit(meeting.id, "chat_posted", {"meeting_id": meeting.id,
                                                   "message": chat_view(message, {user.id: user.name})})
    return message


def hide_chat(actor, meeting, message_id, reason=None):
    _require_chair(actor, meeting, "只有主持人可以隐藏消息。")
    message = db.session.get(ChatMessage, message_id) if isinstance(message_id, int) else None
    if message is None or message.meeting_id != meeting.id:
        raise Refused("not_found", "找不到该消息。")
    message.is_hidden = True
    message.hidden_reason = clean_text(reason, 200) or "主持人已隐藏此消息"
    message.hidden_by_id = actor.id
    audit.record("meeting.chat_hidden", actor=actor, obj=meeting, message_id=message.id,
                 reason=message.hidden_reason)
    emit_after_commit(meeting.id, "chat_posted", {"meeting_id": meeting.id, "message": chat_view(message)})
    return message


# -- ending and minutes -----------------------------------------------------------------

# Areas above may refuse an end (an open vote): fn(meeting) raises a Refused.
_end_checks = []


def add_end_check(fn):
    if fn not in _end_checks:
        _end_checks.append(fn)


def end_meeting(actor, meeting, now=None):
    from app.meetings import minutes

    _require_chair(actor, meeting, "只有主持人可以宣布散会。")
    for check in _end_checks:
        check(meeting)
    now = now or utcnow()
    meeting.state = workflow.transition(meeting.state, "end")
    meeting.ended_dt = now
    for speaker in _queue(meeting):
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
    _require(meeting.can_record(actor), "只有记录员可以编写会议记录。", code="secretary_only")
    if meeting.state in (MeetingState.ENDED, MeetingState.MINUTES_SIGNED, MeetingState.CANCELLED):
        raise Refused("locked", "会议已结束，纪要已锁定，不能再修改。")
    meeting.notes = (notes or "").strip()[:20000] or None
    audit.record("meeting.notes_saved", actor=actor, obj=meeting)


def required_signers(meeting):
    """Who must sign: the chair and the secretaries who attended (the rest may sign too)."""
    attended = {a.user_id for a in Attendance.query.filter_by(meeting_id=meeting.id)}
    from app.community.models import MemberRole

    return {m.user_id for m in meeting.members
            if m.role in (MemberRole.CHAIR, MemberRole.SECRETARY) and m.user_id in attended}


def can_sign(user, meeting):
    return Attendance.query.filter_by(meeting_id=meeting.id, user_id=user.id).first() is not None


def sign_minutes(user, meeting, now=None):
    workflow.require_state(meeting.state, {MeetingState.ENDED, MeetingState.MINUTES_SIGNED},
           "会议结束后才能签署纪要。")
    _require(can_sign(user, meeting), "只有出席会议的人可以签署纪要。", code="not_attendee")
    if MinutesSignature.query.filter_by(meeting_id=meeting.id, user_id=user.id).first():
        raise Refused("already_signed", "您已签署过本次会议纪要。")
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


# -- requests to convene -----------------------------------------------------------------

def convene_base(body):
    """How many people the share is counted against, and who of them may join."""
    rule = workflow.convene_rule(body.preset, body.residents_base)
    if rule is None:
        return None, 0
    if body.preset == "representatives_assembly":
        return rule, len(body.voting_members)
    adults = User.query.filter_by(community_id=body.community_id, state=UserState.VERIFIED)
    if rule.base_label == "户":
        return rule, Household.query.filter_by(community_id=body.community_id).count()
    if rule.base_label == "居民小组":
        return rule, db.session.query(func.count(func.distinct(Household.building))).filter(
            Household.community_id == body.community_id).scalar()
    return rule, adults.count()


def _may_support(user, body):
    if body.preset == "representatives_assembly":
        return any(m.user_id == user.id and m.is_voting for m in body.memberships)
    return user.community_id == body.community_id and user.is_verified


def _supporters_count(request, rule):
    rows = request.supporters
    if rule.base_label == "户":
        return len({r.user.household_id for r in rows if r.user.household_id})
    if rule.base_label == "居民小组":
        return len({r.user.household.building for r in rows if r.user.household})
    return len(rows)


def convene_status(request):
    rule, base = convene_base(request.body)
    return workflow.convene_status(rule, base, _supporters_count(request, rule))


def file_convene(user, body, subject, reason=None):
    rule, _ = convene_base(body)
    if rule is None:
        raise Refused("no_convene_rule", f"{body.name}没有由成员提议召开的法定程序。")
    _require(_may_support(user, body), "只有该组织的成员（居民会议：本社区已认证的居民）可以提议召开。")
    subject = clean_text(subject, 200)
    if not subject:
        raise Refused("subject", "请写明提议讨论的事项。")
    request = ConveneRequest(community_id=body.community_id, body=body, created_by_id=user.id,
                             subject=subject, reason=(reason or "").strip() or None)
    db.session.add(request)
    db.session.flush()
    audit.record("convene.filed", actor=user, obj=request, body_id=body.id)
    _support(user, request)
    return request


def join_convene(user, request):
    _require(_may_support(user, request.body), "只有该组织的成员（居民会议：本社区已认证的居民）可以联署。")
    if request.answered_dt is not None:
        raise Refused("answered", "该组织已经发出会议通知，本提议已办结。")
    if any(s.user_id == user.id for s in request.supporters):
        raise Refused("already_joined", "您已联署过这一提议。")
    _support(user, request)
    return request


def _support(user, request):
    request.supporters.append(ConveneSupporter(user_id=user.id))
    db.session.flush()
    audit.record("convene.joined", actor=user, obj=request)
    status = convene_status(request)
    if status.reached and request.reached_dt is None:
        request.reached_dt = utcnow()
        body = request.body
        admins = [u for u in User.query.filter_by(community_id=body.community_id) if u.is_admin_of(body.community)]
        chairs = [m.user for m in body.memberships if body.is_chair(m.user)]
        audit.record("convene.reached", obj=request, supporters=status.supporters, needed=status.needed)
        notify(chairs + admins, f"提议召开{body.name}已达到法定比例，应当召开会议：{request.subject}",
               f"/c/{body.community_id}/convene/{request.id}")


def load_body(user, body_id):
    body = db.session.get(Body, body_id) if isinstance(body_id, int) else None
    if body is None or not user.belongs_to(body.community):
        raise Refused("not_found", "找不到该组织。")
    return body
