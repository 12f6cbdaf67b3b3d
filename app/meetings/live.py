"""The live room's plumbing: room versions and what is told to the room, presence and check-in,
the list of speakers, the chat. Facts reach the room only after the commit."""
import logging

from flask import current_app
from sqlalchemy import func, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app.auth.models import User
from app.core import audit, locale
from app.core.db import after_commit
from app.core.i18n import N_, NP_
from app.core.refusal import Refused
from app.core.sanitize import clean_text
from app.core.timeutil import utcnow
from app.extensions import db, socketio
from app.meetings import workflow
from app.meetings.models import Attendance, ChatMessage, Meeting, MeetingMember, Speaker
from app.meetings.workflow import AttendanceMode, MeetingState, SpeakerState

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
    `version` (see app/live.py for what a screen does with it). `data` may be a
    function, called after the bump, for a payload read from the database (the speakers' list)."""
    version = bump_room_version(meeting_id)
    payload = locale.for_room({**(data() if callable(data) else data), "version": version})
    after_commit(lambda: socketio.emit(event, payload, namespace=NAMESPACE, to=f"meeting:{meeting_id}"))


def iso(dt):
    """A stored (naive UTC) time as the screens and the audit read it."""
    return dt.isoformat() + "Z" if dt else None


def _require_chair(actor, meeting, message):
    workflow.require(meeting.can_chair(actor), message, code="chair_only")


# -- presence and check-in ------------------------------------------------------------

def present_rows(meeting_id):
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
            "present": {str(user_id): mode.value for user_id, mode in present_rows(meeting.id)},
            "quorum": quorum(meeting)}


FULL_PRESENCE_UP_TO = 300


def presence_update(meeting, user_ids):
    """What `presence_changed` carries: the whole list in a small room; in a big one only the
    people who changed (`changes`: user id -> mode, or None for gone), read now from the database."""
    data = {"meeting_id": meeting.id, "quorum": quorum(meeting)}
    if data["quorum"]["persons"]["members"] <= FULL_PRESENCE_UP_TO:
        data["present"] = {str(user_id): mode.value for user_id, mode in present_rows(meeting.id)}
        return data
    rows = dict(db.session.execute(
        db.select(Attendance.user_id, Attendance.mode).where(
            Attendance.meeting_id == meeting.id, Attendance.left_dt.is_(None),
            Attendance.user_id.in_(user_ids))).all())
    data["changes"] = {str(user_id): (rows[user_id].value if user_id in rows else None) for user_id in user_ids}
    return data


_MEMBERS_ONLY = N_("只有本次会议的成员可以这样做。")
_NOT_LIVE = N_("会议未在进行。")


def _member_or_refuse(meeting, user, message=_MEMBERS_ONLY):
    row = meeting.member(user)
    workflow.require(row is not None, message, code="not_member")
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
    workflow.require(meeting.can_record(actor), N_("只有记录员或主持人可以为他人签到。"), code="secretary_only")
    workflow.require_state(meeting.state, workflow.OPEN_ROOM, N_("会议未在进行，不能签到。"))
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or meeting.member(user) is None:
        raise Refused("not_member", N_("此人不在本次会议的成员名单中。"))
    changed = _check_in(meeting, user.id, AttendanceMode.HALL, by=actor, now=now)
    if changed:
        audit.record("meeting.checked_in", actor=actor, obj=meeting, user_id=user.id, mode="hall")
        schedule_presence(meeting.id, user.id)
    return changed


def check_in_hall(user, meeting, token, now=None):
    """A member scans the hall's QR code with their own phone."""
    now = now or utcnow()
    workflow.require_state(meeting.state, {MeetingState.LIVE}, N_("会议尚未开始或已经结束，不能扫码签到。"))
    _member_or_refuse(meeting, user, N_("您不在本次会议的成员名单中，不能签到。"))
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
                    data = locale.for_room({**presence_update(meeting, changed), "version": version})
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


# -- the agenda in the room ---------------------------------------------------------------

def next_item(actor, meeting, index=None):
    _require_chair(actor, meeting, N_("只有主持人可以切换议程。"))
    workflow.require_state(meeting.state, {MeetingState.LIVE}, N_("会议未在进行，不能切换议程。"))
    before = meeting.current_item
    meeting.current_item = workflow.move_item(before, len(meeting.items), index)
    audit.record("meeting.item_changed", actor=actor, obj=meeting, before=before, after=meeting.current_item)
    item = meeting.items[meeting.current_item]
    emit_after_commit(meeting.id, "item_changed", {
        "meeting_id": meeting.id, "index": meeting.current_item, "item_id": item.id, "title": item.title})
    return meeting.current_item


# -- speakers ------------------------------------------------------------------------

def speaker_queue(meeting):
    return Speaker.query.filter(Speaker.meeting_id == meeting.id,
                                Speaker.state != SpeakerState.DONE).order_by(Speaker.id).all()


def speakers_view(meeting, queue=None):
    queue = speaker_queue(meeting) if queue is None else queue
    names = dict(db.session.execute(
        db.select(User.id, User.name).where(User.id.in_({s.user_id for s in queue}))).all()) if queue else {}
    return [{"id": s.id, "user_id": s.user_id, "name": names.get(s.user_id, ""), "source": s.source.value,
             "state": s.state.value, "started_dt": iso(s.started_dt), "limit_seconds": s.limit_seconds}
            for s in queue]


def _entries(queue):
    return [workflow.Entry(s.id, s.user_id, s.state) for s in queue]


def _speakers_changed(meeting):
    db.session.flush()
    # The list is read after the version is raised: of two hands raised at once, the later
    # version's list has both.
    emit_after_commit(meeting.id, "speakers_changed", lambda: {"meeting_id": meeting.id,
                                                                "speakers": speakers_view(meeting)})


def _live(meeting, message=_NOT_LIVE):
    workflow.require_state(meeting.state, {MeetingState.LIVE}, message)


def raise_hand(user, meeting):
    _member_or_refuse(meeting, user, N_("只有本次会议的成员可以申请发言。"))
    _live(meeting, N_("会议未在进行，不能申请发言。"))
    queue = speaker_queue(meeting)
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
    entry = workflow.waiting_entry_of(_entries(speaker_queue(meeting)), user.id)
    speaker = db.session.get(Speaker, entry.id)
    speaker.state, speaker.ended_dt = SpeakerState.DONE, utcnow()
    audit.record("meeting.hand_lowered", actor=user, obj=meeting)
    _speakers_changed(meeting)


def add_speaker(actor, meeting, user_id):
    """The chair puts someone in the hall on the list."""
    _require_chair(actor, meeting, N_("只有主持人可以添加现场发言人。"))
    _live(meeting)
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    allowed = user is not None and (meeting.member(user) is not None or (
        meeting.body.is_public and user.community_id == meeting.community_id))
    if not allowed:
        raise Refused("not_member", N_("此人不能在本次会议发言。"))
    workflow.check_raise(_entries(speaker_queue(meeting)), user.id)
    speaker = Speaker(meeting_id=meeting.id, user_id=user.id, source=AttendanceMode.HALL,
                      item_index=meeting.current_item, limit_seconds=meeting.speaker_limit_seconds,
                      added_by_id=actor.id)
    db.session.add(speaker)
    audit.record("meeting.speaker_added", actor=actor, obj=meeting, user_id=user.id)
    _speakers_changed(meeting)
    return speaker


def give_floor(actor, meeting, speaker_id=None, now=None):
    _require_chair(actor, meeting, N_("只有主持人可以安排发言。"))
    _live(meeting)
    queue = speaker_queue(meeting)
    change = workflow.give_floor(_entries(queue), speaker_id)
    _apply_floor(meeting, queue, change, now or utcnow())
    audit.record("meeting.floor_given", actor=actor, obj=meeting, speaker_id=change.speaking)
    _speakers_changed(meeting)


def end_floor(actor, meeting, now=None):
    _require_chair(actor, meeting, N_("只有主持人可以结束发言。"))
    _live(meeting)
    queue = speaker_queue(meeting)
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
            "hidden_reason": message.hidden_reason, "created_dt": iso(message.created_dt)}


def post_chat(user, meeting, text):
    workflow.require(meeting.member(user) is not None or meeting.can_record(user),
             N_("只有会议成员可以发言交流；旁听者只能阅读。"), code="read_only")
    workflow.require_state(meeting.state, workflow.OPEN_ROOM, N_("会议不在进行中，不能发送消息。"))
    text = clean_text(text, CHAT_MAX + 1) if isinstance(text, str) else ""
    if not text:
        raise Refused("empty", N_("消息不能为空。"))
    if len(text) > CHAT_MAX:
        raise Refused("too_long", NP_("消息不能超过 %(num)d 字。", "消息不能超过 %(num)d 字。"), num=CHAT_MAX)
    message = ChatMessage(meeting_id=meeting.id, user_id=user.id, text=text)
    db.session.add(message)
    db.session.flush()
    audit.record("meeting.chat_posted", actor=user, obj=meeting, message_id=message.id)
    emit_after_commit(meeting.id, "chat_posted", {"meeting_id": meeting.id,
                                                   "message": chat_view(message, {user.id: user.name})})
    return message


def hide_chat(actor, meeting, message_id, reason=None):
    _require_chair(actor, meeting, N_("只有主持人可以隐藏消息。"))
    message = db.session.get(ChatMessage, message_id) if isinstance(message_id, int) else None
    if message is None or message.meeting_id != meeting.id:
        raise Refused("not_found", N_("找不到该消息。"))
    message.is_hidden = True
    message.hidden_reason = clean_text(reason, 200) or N_("主持人已隐藏此消息")
    message.hidden_by_id = actor.id
    audit.record("meeting.chat_hidden", actor=actor, obj=meeting, message_id=message.id,
                 reason=message.hidden_reason)
    emit_after_commit(meeting.id, "chat_posted", {"meeting_id": meeting.id, "message": chat_view(message)})
    return message
