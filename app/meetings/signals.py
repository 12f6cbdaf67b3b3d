"""Signals the meetings area sends, for the areas above it (matters, the notice board).

`meeting_changed` is sent after commit whenever a meeting changes state:
`meeting_changed.send(meeting_id, action=..., from_state=..., to_state=...)`, with `action` one of
"announced", "cancelled", "started", "ended", "minutes_signed".
"""
from blinker import Namespace

_signals = Namespace()

meeting_changed = _signals.signal("meeting-changed")
