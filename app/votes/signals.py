"""Signals the votes area sends, for the areas above it (matters) to subscribe to.

`vote_closing_in_transaction` is sent inside the transaction that closes a meeting vote, before the commit, so
whatever a subscriber changes commits (or rolls back) together with the result:

    vote_closing_in_transaction.send(vote, meeting=meeting, item=agenda_item_or_None, result=result_dict, actor=user)

`result` is `app.votes.rules.Result.to_dict()` plus "chain_head"; the keys a subscriber needs are
"passed" (True/False for a motion, None for choose-up-to-k), "quorum_met" and "text" (the result in
words). `vote.item_id` is the agenda item the vote was held on; its `matter_id` says which matter
the vote decides. A subscriber that raises a `Refused` refuses the close (nothing is stored).
"""
from blinker import Namespace

_signals = Namespace()

vote_closing_in_transaction = _signals.signal("vote-closing-in-transaction")
