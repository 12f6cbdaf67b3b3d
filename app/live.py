"""The Socket.IO namespace `/live`, composed in one place: the meeting commands
(`app.meetings.events`) and the vote commands (`app.votes.events`), registered by the factory.

Events a client sends (each a method `on_<event>` of `Live`; every command but `cast` carries
`meeting_id`, and every one is acknowledged `{"ok": true, ...}` or `{"ok": false, "error": ...}`):
see `EVENTS` below. docs/live.md has each one's payload and acknowledgement.

Facts the server sends, only after the change they tell of is committed: to the room
`meeting:<id>`: `state`, `item_changed`, `speakers_changed`, `chat_posted`, `presence_changed`,
`meeting_ended` (app.meetings.live, app.meetings.operations), `vote_opened`, `vote_progress`,
`vote_closed` (app.votes.operations); to the meeting's officers (chair, secretary, staff):
`hall_entered`; to one member's sockets: `household_voted`.

Room versions: how a screen knows it is not silently wrong.

- Every meeting has a `room_version`. Each fact told to the room (`state`, `item_changed`,
  `speakers_changed`, `chat_posted`, `presence_changed`, `vote_opened`, `vote_closed`,
  `meeting_ended`) raises it by one in the transaction of the change it tells of, and carries
  the new value as `version`. The version lives in the database, so every process agrees on it.
- `vote_progress` and `hall_entered` change nothing a join would not show: they carry the
  room's version as it is (`version`), without raising it.
- The `join` ack's state carries `version`: the state is at least that new.
- A screen keeps the highest version it has applied without a gap (`last`). A fact with
  `version <= last` is already in its state and is dropped; `last + 1` is applied; a higher one
  waits (facts of several processes may arrive out of order) and if the missing versions have
  not come within a moment the screen joins again and shows the state that `join` returns. A
  version-keeping fact above `last` waits the same way.
- A lost broadcast may be the last one, so a screen also sends `sync` `{meeting_id}` every
  ~15 s; the ack `{ok, version}` above `last` means it missed something: it joins again. A
  reconnect joins again too. So a screen ends with the right state within ~15 s of any loss.
- A refused connection says why in its data: `{"code": "not_authenticated" | "unavailable",
  "message": ...}` (the error's message is the code too).
"""
from flask_babel import refresh
from flask_socketio import Namespace

from app.meetings.events import MeetingCommands
from app.meetings.live import NAMESPACE
from app.votes.events import VoteCommands, cast_event

# Every event `Live` answers, by who may send it (tests/unit/test_live_namespace.py holds this
# list to the class; tests/security/permission_matrix.py says who may send each).
EVENTS = (
    # the socket itself
    "connect", "disconnect",
    # anyone who may see the meeting
    "join", "leave", "sync",
    # the chair (starting also the secretary)
    "start_meeting", "next_item", "give_floor", "end_floor", "add_speaker", "hide_chat", "end_meeting",
    "open_vote", "close_vote",
    # the secretary (or a member with the hall's token)
    "check_in", "enter_hall_votes",
    # every member
    "raise_hand", "lower_hand", "chat", "cast",
)


class Live(VoteCommands, MeetingCommands, Namespace):
    """The `/live` namespace. The vote commands come first: their `join` and `leave` call the
    meeting commands' (`super()`) and then add the vote rooms."""

    def trigger_event(self, event, *args):
        # A storm's thousands of casts skip the request context Flask-SocketIO builds per event;
        # they speak the language the connection chose when it connected.
        if event == "cast":
            return cast_event(self.socketio, self.namespace, *args)
        # Each event speaks the connection's language (app.core.locale.select_locale), chosen
        # afresh: Flask-Babel keeps it on `g`, which an outer app context would share.
        refresh()
        return super().trigger_event(event, *args)


def register(socketio):
    """Register the namespace once: the extension object outlives one app (tests build several)."""
    if NAMESPACE not in {h.namespace for h in socketio.namespace_handlers}:
        socketio.on_namespace(Live(NAMESPACE))
