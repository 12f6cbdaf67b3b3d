"""The meeting commands of the live room (`/live`) and the plumbing every `/live` command uses
(`socket_user`, `answer`, `command`). The namespace itself is composed in `app/live.py`.

Every command: validate the payload, load the meeting the caller may see (404 otherwise), call one
operation (which checks the caller's role), commit, then acknowledge. Facts reach the room
`meeting:<id>` only after the commit (operations queue them with `after_commit`). The protocol
(every event, room versions, refused connections) is described in `app/live.py`.
"""
import logging
from collections import defaultdict

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import join_room, leave_room
from socketio.exceptions import ConnectionRefusedError as ConnectionRefused
from sqlalchemy.exc import IntegrityError

from app.auth.models import ApiToken, User
from app.core import i18n, locale
from app.core.errors import DATABASE_UNAVAILABLE
from app.core.db import unit_of_work
from app.core.i18n import N_
from app.core.refusal import Refused
from app.extensions import db
from app.meetings import live, operations, room

log = logging.getLogger(__name__)

# sid -> user id, per process: a socket lives in exactly one process.
_connected = {}
# sid -> the session epoch a cookie-authenticated socket connected with: once the user logs out
# (which raises the epoch) the socket's commands are refused. Token sockets are not listed.
_epochs = {}
# sid -> the language the connection chose when it connected (for events answered without a
# request context: the cast).
_locales = {}
# sid -> meeting ids it joined, and (meeting id, user id) -> sockets here: a member who closes
# one of two tabs is still present. Bookkeeping of this process's sockets only; the database
# stays the truth about the room.
_joined = defaultdict(set)
_sockets = defaultdict(set)


def socket_user():
    """The user behind the current socket event, or None."""
    user_id = _connected.get(request.sid)
    user = db.session.get(User, user_id) if user_id else None
    epoch = _epochs.get(request.sid)
    if user is not None and epoch is not None and user.session_epoch != epoch:
        return None   # logged out (everywhere) since this socket connected
    return user


def socket_user_id():
    """The id of the user behind the current socket event, or None, without loading the account
    (`cast`): a cookie socket costs one small read of the session epoch, a token socket none."""
    user_id = _connected.get(request.sid)
    epoch = _epochs.get(request.sid)
    if user_id is not None and epoch is not None and epoch != db.session.scalar(
            db.select(User.session_epoch).where(User.id == user_id)):
        return None   # logged out (everywhere) since this socket connected
    return user_id


def _ok(**data):
    return {"ok": True, **data}


def _error(exc):
    return {"ok": False, "error": exc.to_dict()}


def _int(data, key, required=True):
    value = data.get(key) if isinstance(data, dict) else None
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused("invalid_payload", N_("缺少或无效的参数：%(key)s"), key=key)
    return value


def _failure(exc, what):
    """The answer to an unexpected failure: the database being away or busy is said as such."""
    if isinstance(exc, DATABASE_UNAVAILABLE):
        log.warning("database unavailable during %s: %s", what, exc)
        return _error(Refused("unavailable", N_("服务暂时不可用，请稍后再试。")))
    log.exception("live command %s failed", what)
    return _error(Refused("server_error", N_("系统出现问题，请稍后再试。")))


def answer(work, what):
    """The one place a `/live` command ends: `work()` runs as one unit of work (committed, or
    rolled back on any error), and the caller is acknowledged with its result only after the
    commit, or told why not. Never raises: a socket must always get its answer."""
    try:
        # Texts for people in the connection's language, while its request context is at hand.
        return locale.plain(_ok(**(work() or {})))
    except Refused as exc:
        return _error(exc)
    except Exception as exc:  # noqa: BLE001 - a socket must always get its answer
        return _failure(exc, what)
    finally:
        db.session.remove()


def command(handler):
    """A meeting command: the caller and the meeting loaded and checked, then `handler`, as one
    unit of work acknowledged by `answer`."""

    def run(self, data=None):
        def work(attempt):
            user = socket_user()
            if user is None:
                raise Refused("unauthorized", N_("请先登录。"))
            meeting = operations.get_meeting(user, _int(data, "meeting_id"))
            return handler(self, user, meeting, data)

        return answer(lambda: unit_of_work(work), handler.__name__)

    run.__name__ = handler.__name__
    return run


def _refusal(code, message):
    """A refused connection: the client's `err.message` is the code, `err.data` says it in words.
    (Socket.IO's own exception: Flask-SocketIO takes the builtin one for a bare refusal.)"""
    # Said now, in the connection's language: the refusal is sent after the handler's context ends.
    return ConnectionRefused(code, {"code": code, "message": i18n.text(message)})


class MeetingCommands:
    """Connecting, joining and leaving, and the meeting commands: mixed into `app.live.Live`."""

    def on_connect(self, auth=None):
        user = None
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            if token:
                user = ApiToken.find_user(token)
            elif current_user.is_authenticated:
                user = current_user._get_current_object()
                _epochs[request.sid] = user.session_epoch
        except DATABASE_UNAVAILABLE as exc:
            db.session.remove()
            log.warning("database unavailable during connect: %s", exc)
            raise _refusal("unavailable", _("服务暂时不可用，请稍后再试。")) from None
        if user is None:
            db.session.remove()
            # Refusing here means an anonymous client never reaches a handler.
            raise _refusal("not_authenticated", _("请先登录。"))
        _connected[request.sid] = user.id
        _locales[request.sid] = locale.current()
        db.session.remove()

    def on_disconnect(self, reason=None):
        sid = request.sid
        user_id = _connected.pop(sid, None)
        _epochs.pop(sid, None)
        _locales.pop(sid, None)
        for meeting_id in _joined.pop(sid, set()):
            sockets = _sockets[(meeting_id, user_id)]
            sockets.discard(sid)
            if sockets:
                continue
            _sockets.pop((meeting_id, user_id), None)
            try:
                if live.leave_online(user_id, meeting_id):
                    db.session.commit()
            except Exception:  # noqa: BLE001 - a disconnect has nobody to answer
                db.session.rollback()
                log.exception("could not record that user %s left meeting %s", user_id, meeting_id)
        db.session.remove()

    # -- joining ---------------------------------------------------------------
    @command
    def on_join(self, user, meeting, data):
        join_room(meeting.room)
        _joined[request.sid].add(meeting.id)
        _sockets[(meeting.id, user.id)].add(request.sid)
        try:
            live.join_online(user, meeting)
            db.session.flush()
            # Read in the same transaction, before the commit expires every loaded object.
            state = room.state(meeting, user)
        except IntegrityError:
            db.session.rollback()  # a second tab checked in at the same instant: it is done
            meeting = operations.get_meeting(user, meeting.id)
            state = room.state(meeting, user)
        return {"state": state}

    def on_sync(self, data=None):
        """`{meeting_id}` → `{ok, version}`: the room's version, for a screen to compare with its
        own every few seconds. Cheap, as thousands of phones send it: only a socket that joined
        the meeting (which checked the caller) may ask, and it costs one small read."""
        try:
            meeting_id = _int(data, "meeting_id")
            if socket_user_id() is None:
                raise Refused("unauthorized", N_("请先登录。"))
            if meeting_id not in _joined.get(request.sid, ()):
                raise Refused("not_joined", N_("请先进入会议室。"))
            return _ok(version=live.room_version(meeting_id))
        except Refused as exc:
            return _error(exc)
        except Exception as exc:  # noqa: BLE001 - a socket must always get its answer
            return _failure(exc, "sync")
        finally:
            db.session.remove()

    @command
    def on_leave(self, user, meeting, data):
        leave_room(meeting.room)
        _joined[request.sid].discard(meeting.id)
        sockets = _sockets[(meeting.id, user.id)]
        sockets.discard(request.sid)
        if not sockets:
            live.leave_online(user.id, meeting.id)
        return {}

    # -- the chair's commands ------------------------------------------------------
    @command
    def on_start_meeting(self, user, meeting, data):
        operations.start(user, meeting)
        return {"state": meeting.state.value}

    @command
    def on_next_item(self, user, meeting, data):
        index = _int(data, "index", required=False)
        return {"index": live.next_item(user, meeting, index)}

    @command
    def on_give_floor(self, user, meeting, data):
        live.give_floor(user, meeting, _int(data, "speaker_id", required=False))
        return {}

    @command
    def on_end_floor(self, user, meeting, data):
        live.end_floor(user, meeting)
        return {}

    @command
    def on_add_speaker(self, user, meeting, data):
        speaker = live.add_speaker(user, meeting, _int(data, "user_id"))
        return {"speaker_id": speaker.id}

    @command
    def on_hide_chat(self, user, meeting, data):
        reason = data.get("reason") if isinstance(data.get("reason"), str) else None
        live.hide_chat(user, meeting, _int(data, "message_id"), reason)
        return {}

    @command
    def on_end_meeting(self, user, meeting, data):
        operations.end_meeting(user, meeting)
        return {"state": meeting.state.value}

    # -- the secretary's ---------------------------------------------------------
    @command
    def on_check_in(self, user, meeting, data):
        """The secretary checks in `user_id`; a member checks in themself with the hall's `token`."""
        if "user_id" not in data and isinstance(data.get("token"), str):
            return {"changed": live.check_in_hall(user, meeting, data["token"])}
        return {"changed": live.check_in(user, meeting, _int(data, "user_id"))}

    # -- every member's ------------------------------------------------------------
    @command
    def on_raise_hand(self, user, meeting, data):
        return {"speaker_id": live.raise_hand(user, meeting).id}

    @command
    def on_lower_hand(self, user, meeting, data):
        live.lower_hand(user, meeting)
        return {}

    @command
    def on_chat(self, user, meeting, data):
        return {"message_id": live.post_chat(user, meeting, data.get("text")).id}
