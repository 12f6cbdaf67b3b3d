"""The vote commands of the live room (`/live`): open_vote, cast, enter_hall_votes, close_vote.

They join the meeting commands of `app.meetings.events.MeetingCommands` in `app.live.Live`, the
namespace the app registers. Every command loads what the caller may see, calls one operation,
commits, then acknowledges; `cast` acknowledges with the receipt only after the group commit
that holds its ballot (app/votes/batch.py).

`join` also puts the sockets of those who may record (chair, secretary, staff) in the meeting's
officers' room (`operations.officers_room`), where `hall_entered` goes, and every socket in its
member's own room (`operations.member_room`), where `household_voted` goes; `leave` takes them out.
"""
from flask import request
from flask_babel import force_locale
from flask_socketio import join_room, leave_room

from app.core.i18n import N_
from app.core.locale import DEFAULT
from app.core.refusal import Refused
from app.meetings.events import _connected, _epochs, _int, _locales, answer, command
from app.votes import operations
from app.votes.batch import CastCommand, submit_cast
from app.votes.queries import get_vote


def _vote_of(user, meeting, data):
    vote = get_vote(user, _int(data, "vote_id"))
    if vote.meeting_id != meeting.id:
        raise Refused("wrong_meeting", N_("该表决不属于本次会议。"))
    return vote


class VoteCommands:
    def on_join(self, data=None):
        ack = super().on_join(data)
        state = ack.get("state") if ack.get("ok") else None
        if state:
            join_room(operations.member_room(state["meeting"]["id"], state["me"]["user_id"]))
        if state and state["me"]["can_record"]:
            join_room(operations.officers_room(state["meeting"]["id"]))
        return ack

    def on_leave(self, data=None):
        ack = super().on_leave(data)
        if ack.get("ok"):
            leave_room(operations.officers_room(data["meeting_id"]))
            user_id = _connected.get(request.sid)
            if user_id is not None:
                leave_room(operations.member_room(data["meeting_id"], user_id))
        return ack

    @command
    def on_open_vote(self, user, meeting, data):
        labels = data.get("labels")
        if labels is not None and not (isinstance(labels, list) and all(isinstance(x, str) for x in labels)):
            raise Refused("invalid_payload", N_("选项须是文字列表。"))
        up_to = _int(data, "up_to", required=False) or 1
        vote = operations.open_vote(
            user, meeting, title=data.get("title") if isinstance(data.get("title"), str) else None,
            kind=data.get("kind", "named"), labels=labels, up_to=up_to,
            auto_close=data.get("auto_close") is True)
        return {"vote_id": vote.id}

    @command
    def on_enter_hall_votes(self, user, meeting, data):
        vote = _vote_of(user, meeting, data)
        operations.enter_hall_votes(user, vote, entries=data.get("entries"), totals=data.get("totals"))
        return {"vote_id": vote.id}

    @command
    def on_close_vote(self, user, meeting, data):
        vote = operations.close_vote(user, _vote_of(user, meeting, data))
        return {"vote_id": vote.id, "result": vote.result}

    def on_cast(self, data=None):
        """`{vote_id, choice, nonce}` → `{ok, receipt, vote_id}` once the ballot is committed.
        (`Live.trigger_event` sends `cast` to `cast_event` without a request context; this
        method is the same command for anything that calls it by name.)"""
        return _cast(request.sid, data)


def cast_event(socketio, namespace, sid, data=None, *_):
    """The `cast` event, as `Live.trigger_event` hands it over: under the app's context alone.
    Flask-SocketIO would build a request context for it and open the cookie's session (about half
    a millisecond, more than the rest of the handler); a cast needs only its socket's id."""
    environ = socketio.server.get_environ(sid, namespace=namespace)
    if not environ:
        return None   # a socket this process does not know: nobody to answer
    with environ["flask.app"].app_context(), force_locale(_locales.get(sid, DEFAULT)):
        return _cast(sid, data)


def _cast(sid, data):
    """Not a `command`: the handler touches no database; the cast joins the process's group
    commit (app/votes/batch.py), which checks the socket's session and loads the vote for the whole
    batch. A failure records nothing; the same nonce may be sent again."""
    def work():
        user_id = _connected.get(sid)
        if user_id is None:
            raise Refused("unauthorized", N_("请先登录。"))
        payload = data if isinstance(data, dict) else {}
        return submit_cast(CastCommand(user_id=user_id, vote_id=_int(payload, "vote_id"),
                                       choice=payload.get("choice"), nonce=payload.get("nonce"),
                                       epoch=_epochs.get(sid)))

    return answer(work, "cast")
