"""Major matters through 四议两公开: seven stages, four bodies, two publications.

Importing the package subscribes it to the signals of the areas below: a vote closed on a matter's
agenda item moves the matter (in the vote's own transaction), and a proposal escalated by staff
opens a matter that the proposal then follows. A vote on a matter becomes public with the
matter's resolution (app/matters/publication.py).
"""
from app.matters.publication import resolution_published
from app.proposals.signals import proposal_escalated
from app.votes import visibility
from app.votes.signals import vote_closed


def _on_vote_closed(vote, **kwargs):
    from app.matters.decisions import on_vote_closed

    on_vote_closed(vote, **kwargs)


def _on_proposal_escalated(proposal, **kwargs):
    from app.matters.operations import on_proposal_escalated

    on_proposal_escalated(proposal, **kwargs)


vote_closed.connect(_on_vote_closed)
proposal_escalated.connect(_on_proposal_escalated)
visibility.add_publication(resolution_published)
