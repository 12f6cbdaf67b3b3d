"""Signals the matters area sends, for the areas above it (the notice board) to subscribe to.

`matter_changed` is sent after commit on every change to what a matter's record says, stage
change or not (the notice board re-indexes the matter's posting, its "updated" time and cache):

    matter_changed.send(matter_id, action=..., from_stage=..., to_stage=...)

`action` says what changed (stages are MatterStage values, `from_stage` None for "created"):
- the stage moved: "created", "advanced", "sent_back", "resolution_published",
  "implementation_started", "result_published";
- a vote that moved no stage but is on the trail: "rejected" (stage 1 did not pass), "invalid"
  (no quorum), "overruled" (an objection review let the resolution stand), "not_confirmed"
  (the supervisory committee did not confirm), with `from_stage == to_stage`;
- the record grew at the same stage: "report_published", "objection_raised",
  "objection_answered", "objection_accepted", "reasons_added" (`from_stage == to_stage`).
A vote the matter ignores (another body's meeting, a choice vote) writes only an audit event and
sends nothing; nor does editing the plan at stages 1–2 (never public), scheduling or following.

Receivers run once the committed transaction has ended (`app.core.db.after_commit`), so they may
read the database (and write, if they commit what they write themselves).
"""
from blinker import Namespace

from app.core.signals import send_after_commit

_signals = Namespace()

matter_changed = _signals.signal("matter-changed")


def send_changed(matter_id, action, from_stage, to_stage):
    """Queue `matter_changed` (sender: the matter's id) for after the commit."""
    send_after_commit(matter_changed, matter_id, action=action, from_stage=from_stage, to_stage=to_stage)
