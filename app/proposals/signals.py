"""Signals the proposals area sends, for the areas above it (matters) to subscribe to.

`proposal_escalated` is sent after commit when staff escalate a proposal into a 四议两公开 matter:
`proposal_escalated.send(proposal_id, actor_id=user_id, reason=text)`. The matters area subscribes, opens a
matter for it, and when the matter has an outcome it calls
`app.proposals.operations.answer_from_matter(proposal, body=..., category="A"..."D", actor=...)`,
which records the outcome as the proposal's reply and tells everyone who follows it.
"""
from blinker import Namespace

_signals = Namespace()

proposal_escalated = _signals.signal("proposal-escalated")
# Sent after commit on every transition: sender is the proposal id; kwargs action, from_state, to_state.
proposal_changed = _signals.signal("proposal-changed")
