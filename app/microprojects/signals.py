"""Signals the micro-projects area sends, for the areas above it (the notice board) and for its own
after-commit work.

`round_changed` is sent after commit on every public change to a round or one of its ideas:
`round_changed.send(round_id, action=..., idea_id=None)`; `action` is one of "created", "dates",
"idea_submitted", "screened", "scheduled", "shortlist_fixed", "shortlist_rejected", "results",
"assigned", "milestone", "spending", "accepted", "confirmed".

`project_needs_matter` is sent after commit when the results fund a project whose estimate is above
the community's threshold: `project_needs_matter.send(idea_id, actor_id=...)`. The area's own
`init_app` subscribes and opens the 四议两公开 matter in a new transaction, the way a proposal
escalated by staff opens one.
"""
from blinker import Namespace

from app.core.signals import send_after_commit

_signals = Namespace()

round_changed = _signals.signal("micro-round-changed")
project_needs_matter = _signals.signal("micro-project-needs-matter")


def send_changed(round_id, action, idea_id=None):
    send_after_commit(round_changed, round_id, action=action, idea_id=idea_id)
