"""Major matters through 四议两公开: seven stages, four bodies, two publications.

`init_app` subscribes the area to the signals of the areas below: a vote closing on a matter's
agenda item moves the matter (inside the vote's own transaction), and a proposal escalated by staff
opens a matter that the proposal then follows. A vote on a matter becomes public with the
matter's resolution (app/matters/publication.py).
"""


def init_app(app):
    # Imported here, when the app is built, so that importing a pure module of the area (workflow)
    # does not load the whole app.
    from app.matters.decisions import on_vote_closed
    from app.matters.operations import on_proposal_escalated
    from app.matters.publication import resolution_published
    from app.proposals.signals import proposal_escalated
    from app.votes import visibility
    from app.votes.signals import vote_closing_in_transaction

    vote_closing_in_transaction.connect(on_vote_closed)
    proposal_escalated.connect(on_proposal_escalated)
    visibility.add_publication(resolution_published)
