"""Signals the matters area sends, for the areas above it (the notice board) to subscribe to.

`matter_changed` is sent after commit on every stage change and on each publication:

    matter_changed.send(matter, action=..., from_stage=..., to_stage=...)

`action` is one of "created", "advanced", "sent_back", "resolution_published",
"implementation_started", "result_published" (stages are MatterStage values, `from_stage` None
for "created"). A vote that decided nothing (no quorum, the supervisory committee not confirming,
an objection review letting the resolution stand) changes no stage and sends nothing.

Receivers run once the committed transaction has ended (`app.core.db.after_commit`), so they may
read the database (and write, if they commit what they write themselves).
"""
from blinker import Namespace

from app.core.db import after_commit

_signals = Namespace()

matter_changed = _signals.signal("matter-changed")


def send_changed(matter_id, action, from_stage, to_stage):
    """Queue `matter_changed` for after the commit (the matter is re-read then)."""
    def send():
        if not matter_changed.receivers:
            return
        from app.extensions import db
        from app.matters.models import Matter

        matter = db.session.get(Matter, matter_id)
        if matter is not None:
            matter_changed.send(matter, action=action, from_stage=from_stage, to_stage=to_stage)

    after_commit(send)
