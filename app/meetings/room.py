"""The full state of a live room, as `join` acknowledges it (reconnecting restores it at once)."""
import functools
import threading

from cachetools import LRUCache, TTLCache, cached
from flask_babel import gettext as _

from app.auth.models import User
from app.core.sanitize import render_markdown
from app.core.timeutil import utcnow
from app.extensions import db
from app.meetings import live
from app.meetings.models import Attendance, ChatMessage, MeetingMember
from app.meetings.workflow import (
    EDITABLE, HOUSEHOLDS, PERSONS, MeetingState, counting_base, quorum_meter, quorum_meter_of,
)

CHAT_HISTORY = 100

# cachetools caches are not thread-safe by themselves (the test servers use threads).
_lock = threading.Lock()


def members_snapshot(meeting):
    if meeting.state is MeetingState.DRAFT:
        return []
    return _members(meeting)


# The member snapshot never changes once a meeting is announced, so each process may keep it;
# everything that does change is read from the database on every join. Ids can be reused when a
# test database is emptied: the announcement time tells two meetings apart.
@cached(LRUCache(maxsize=500), key=lambda meeting: (meeting.id, meeting.announced_dt), lock=_lock)
def _members(meeting):
    rows = db.session.execute(
        db.select(MeetingMember.user_id, MeetingMember.role, MeetingMember.is_voting, User.name)
        .join(User, User.id == MeetingMember.user_id)
        .where(MeetingMember.meeting_id == meeting.id).order_by(MeetingMember.id)).all()
    return [{"user_id": r.user_id, "name": r.name, "role": r.role.value, "is_voting": r.is_voting}
            for r in rows]


def _html(text):
    return _render(text) if text else ""


@functools.lru_cache(maxsize=2000)
def _render(text):
    # Every join sends the agenda: render each description once per process.
    return str(render_markdown(text))


def agenda(meeting):
    """The agenda as screens show it. Once the meeting has started it can no longer change, so
    each process keeps it: a join into a room of thousands then loads no agenda rows."""
    return _agenda_items(meeting) if meeting.state in EDITABLE else _started_agenda(meeting)


def _agenda_items(meeting):
    return [{"index": i, "id": item.id, "title": item.title, "kind": item.kind,
             "description_html": _html(item.description),
             "proposal_id": item.proposal_id, "matter_id": item.matter_id,
             "for_vote": item.is_for_vote, "votable": item.is_votable, "late": item.is_late}
            for i, item in enumerate(meeting.items)]


_started_agenda = cached(LRUCache(maxsize=500), key=lambda meeting: (meeting.id, meeting.started_dt),
                         lock=_lock)(_agenda_items)


def _presence(meeting, members):
    """Who is present and the quorum meter, counted against the (cached) member snapshot: one
    query instead of three (`live.presence` gives the same from the database alone)."""
    present = {str(user_id): mode.value for user_id, mode in live.present_rows(meeting.id)}
    voting = [m["user_id"] for m in members if m["is_voting"]]
    here = [u for u in voting if str(u) in present]
    rule = meeting.body.rule
    # On the household base the households are read now, as a vote opened now would read them.
    households = live.households_of(voting) if counting_base(rule) == HOUSEHOLDS else None
    return {"meeting_id": meeting.id, "present": present,
            "quorum": quorum_meter_of(rule, voting, here, households).as_dict()}


# Above this many members an ordinary member's or observer's screen gets the counts and their own
# entry, not the whole roster and presence map: a phone has no use for 4,000 names, and sending
# them with every join made each join of a big room cost in proportion to its size (the room in
# all, to the square). The officers (chair, secretary, staff) always get everything.
FULL_ROSTER_UP_TO = live.FULL_PRESENCE_UP_TO


def _own_entry(members, user_id):
    return [m for m in members if m["user_id"] == user_id]


# In a big room the count of those present, as a join shows it, is read at most once a second
# per process: thousands of joins would otherwise each count thousands of rows. The meter on a
# screen is then at most a second behind until the next `presence_changed`, which is exact.
PRESENT_COUNT_SECONDS = 1.0
_present_counts = TTLCache(maxsize=500, ttl=PRESENT_COUNT_SECONDS)   # (meeting, announced, base) -> count


def _recently_read(meeting, base, read_now):
    key = (meeting.id, meeting.announced_dt, base)
    with _lock:
        # One look-up: between `key in` and `[key]` the entry may expire (a KeyError, seen once
        # in 2,000 joins).
        value = _present_counts.get(key)
    if value is not None:
        return value
    value = read_now()   # outside the lock: a query must not hold up other greenlets' cache reads
    with _lock:
        _present_counts[key] = value
    return value


def _own_presence(meeting, user, members):
    """The quorum meter from the snapshot and a recent count, and whether the caller is present:
    no per-member rows."""
    mode = db.session.scalar(db.select(Attendance.mode).where(
        Attendance.meeting_id == meeting.id, Attendance.user_id == user.id, Attendance.left_dt.is_(None)))
    rule = meeting.body.rule
    if counting_base(rule) == HOUSEHOLDS:
        # Households cannot be counted from the snapshot: the whole meter is read, as recently.
        quorum = _recently_read(meeting, HOUSEHOLDS, lambda: live.quorum(meeting))
    else:
        voting = sum(1 for m in members if m["is_voting"])
        here = _recently_read(meeting, PERSONS, lambda: live.present_voting(meeting.id))
        quorum = quorum_meter(rule, voting, here).as_dict()
    return {"meeting_id": meeting.id, "present": {str(user.id): mode.value} if mode else {},
            "quorum": quorum}


def chat_history(meeting):
    messages = (ChatMessage.query.filter_by(meeting_id=meeting.id)
                .order_by(ChatMessage.id.desc()).limit(CHAT_HISTORY).all())
    if not messages:
        return []
    names = dict(db.session.execute(
        db.select(User.id, User.name).where(User.id.in_({m.user_id for m in messages}))).all())
    return [live.chat_view(m, names) for m in reversed(messages)]


# Areas above (votes) add their keys to the state: fn(meeting, user, data) updates data.
_state_parts = []


def add_state_part(fn):
    if fn not in _state_parts:
        _state_parts.append(fn)


def state(meeting, user):
    """Everything a screen needs; later areas add their keys (votes) to the same dict."""
    role = meeting.role_of(user)
    is_member = role in ("chair", "secretary", "member")
    can_record = meeting.can_record(user)
    members = members_snapshot(meeting)
    complete = can_record or len(members) <= FULL_ROSTER_UP_TO
    data = {
        # The version of the meeting row as loaded, before anything else was read: the rest of
        # the state is at least as new, so facts above this version are applied on top of it.
        "version": meeting.room_version,
        "meeting": {
            "id": meeting.id, "title": meeting.title, "state": meeting.state.value,
            "state_label": _(meeting.state.label), "body": meeting.body.name,
            "is_public": meeting.body.is_public, "mode": meeting.mode.value, "place": meeting.place,
            "video_url": meeting.video_url, "start_dt": live.iso(meeting.start_dt),
            "cancel_reason": meeting.cancel_reason,
            "speaker_limit_seconds": meeting.speaker_limit_seconds,
        },
        "agenda": agenda(meeting),
        "current_item": meeting.current_item,
        # `members_total` and `roster_complete` say whether `members` (and `present`) are everyone
        # or, in a big room, the caller alone.
        "members": members if complete else _own_entry(members, user.id),
        "members_total": len(members),
        "roster_complete": complete,
        "speakers": live.speakers_view(meeting),
        "chat": chat_history(meeting),
        "votes": [],   # filled by the votes area
        "me": {
            "user_id": user.id, "name": user.name, "role": role,
            "can_chair": role == "chair", "can_record": can_record,
            "can_chat": is_member or role == "staff", "can_speak": is_member,
        },
        "server_time": live.iso(utcnow()),
    }
    data.update(_presence(meeting, members) if complete else _own_presence(meeting, user, members))
    for part in _state_parts:
        part(meeting, user, data)
    return data
