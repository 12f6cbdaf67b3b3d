"""The full state of a live room, as `join` acknowledges it (reconnecting restores it at once)."""
import time

from app.auth.models import User
from app.core.sanitize import render_markdown
from app.core.timeutil import utcnow
from app.extensions import db
from app.meetings import operations
from app.meetings.models import Attendance, ChatMessage, MeetingMember
from app.meetings.workflow import EDITABLE, MeetingState, quorum_meter

CHAT_HISTORY = 100

# The member snapshot never changes once a meeting is announced, so each process may keep it;
# everything that does change is read from the database on every join.
_snapshots = {}


def members_snapshot(meeting):
    if meeting.state is MeetingState.DRAFT:
        return []
    key = (meeting.id, meeting.announced_dt)  # ids can be reused when a test database is emptied
    cached = _snapshots.get(key)
    if cached is None:
        rows = db.session.execute(
            db.select(MeetingMember.user_id, MeetingMember.role, MeetingMember.is_voting, User.name)
            .join(User, User.id == MeetingMember.user_id)
            .where(MeetingMember.meeting_id == meeting.id).order_by(MeetingMember.id)).all()
        cached = [{"user_id": r.user_id, "name": r.name, "role": r.role.value, "is_voting": r.is_voting}
                  for r in rows]
        if len(_snapshots) > 500:
            _snapshots.clear()
        _snapshots[key] = cached
    return cached


_rendered = {}


def _html(text):
    # Every join sends the agenda: render each description once per process.
    if not text:
        return ""
    html = _rendered.get(text)
    if html is None:
        if len(_rendered) > 2000:
            _rendered.clear()
        html = _rendered[text] = str(render_markdown(text))
    return html


_agendas = {}


def agenda(meeting):
    """The agenda as screens show it. Once the meeting has started it can no longer change, so
    each process keeps it: a join into a room of thousands then loads no agenda rows."""
    frozen = meeting.state not in EDITABLE
    key = (meeting.id, meeting.started_dt)
    if frozen and key in _agendas:
        return _agendas[key]
    items = [{"index": i, "id": item.id, "title": item.title, "kind": item.kind,
              "description_html": _html(item.description),
              "proposal_id": item.proposal_id, "matter_id": item.matter_id,
              "for_vote": item.is_for_vote, "votable": item.is_votable, "late": item.is_late}
             for i, item in enumerate(meeting.items)]
    if frozen:
        if len(_agendas) > 500:
            _agendas.clear()
        _agendas[key] = items
    return items


def _presence(meeting, members):
    """Who is present and the quorum meter, counted against the (cached) member snapshot: one
    query instead of three (`operations.presence` gives the same from the database alone)."""
    present = {str(user_id): mode.value for user_id, mode in operations._present_rows(meeting.id)}
    voting = [m for m in members if m["is_voting"]]
    here = sum(1 for m in voting if str(m["user_id"]) in present)
    return {"meeting_id": meeting.id, "present": present,
            "quorum": quorum_meter(meeting.body.rule, len(voting), here).as_dict()}


# Above this many members an ordinary member's or observer's screen gets the counts and their own
# entry, not the whole roster and presence map: a phone has no use for 4,000 names, and sending
# them with every join made each join of a big room cost in proportion to its size (the room in
# all, to the square). The officers (chair, secretary, staff) always get everything.
FULL_ROSTER_UP_TO = operations.FULL_PRESENCE_UP_TO


def _own_entry(members, user_id):
    return [m for m in members if m["user_id"] == user_id]


# In a big room the count of those present, as a join shows it, is read at most once a second
# per process: thousands of joins would otherwise each count thousands of rows. The meter on a
# screen is then at most a second behind until the next `presence_changed`, which is exact.
PRESENT_COUNT_SECONDS = 1.0
_present_counts = {}   # (meeting id, announced) -> (monotonic time read, count)


def _present_voting(meeting):
    key, now = (meeting.id, meeting.announced_dt), time.monotonic()
    read = _present_counts.get(key)
    if read is None or now - read[0] > PRESENT_COUNT_SECONDS:
        if len(_present_counts) > 500:
            _present_counts.clear()
        read = _present_counts[key] = (now, operations.present_voting(meeting.id))
    return read[1]


def _own_presence(meeting, user, members):
    """The quorum meter from the snapshot and a recent count, and whether the caller is present:
    no per-member rows."""
    mode = db.session.scalar(db.select(Attendance.mode).where(
        Attendance.meeting_id == meeting.id, Attendance.user_id == user.id, Attendance.left_dt.is_(None)))
    voting = sum(1 for m in members if m["is_voting"])
    return {"meeting_id": meeting.id, "present": {str(user.id): mode.value} if mode else {},
            "quorum": quorum_meter(meeting.body.rule, voting, _present_voting(meeting)).as_dict()}


def chat_history(meeting):
    messages = (ChatMessage.query.filter_by(meeting_id=meeting.id)
                .order_by(ChatMessage.id.desc()).limit(CHAT_HISTORY).all())
    if not messages:
        return []
    names = dict(db.session.execute(
        db.select(User.id, User.name).where(User.id.in_({m.user_id for m in messages}))).all())
    return [operations.chat_view(m, names) for m in reversed(messages)]


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
        "meeting": {
            "id": meeting.id, "title": meeting.title, "state": meeting.state.value,
            "state_label": meeting.state.label, "body": meeting.body.name,
            "is_public": meeting.body.is_public, "mode": meeting.mode.value, "place": meeting.place,
            "video_url": meeting.video_url, "start_dt": operations._iso(meeting.start_dt),
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
        "speakers": operations.speakers_view(meeting),
        "chat": chat_history(meeting),
        "votes": [],   # filled by the votes area
        "me": {
            "user_id": user.id, "name": user.name, "role": role,
            "can_chair": role == "chair", "can_record": can_record,
            "can_chat": is_member or role == "staff", "can_speak": is_member,
        },
        "server_time": operations._iso(utcnow()),
    }
    data.update(_presence(meeting, members) if complete else _own_presence(meeting, user, members))
    for part in _state_parts:
        part(meeting, user, data)
    return data
