"""民生微实事: residents decide how the community's micro-project fund is spent, and watch it done.

`init_app` subscribes the area to the signals of the areas below (a deliberation meeting's vote
fixes a round's shortlist, inside the closing transaction) and to its own after-commit signal
(a funded project above the community's threshold opens a 四议两公开 matter).
"""


def init_app(app):
    # Imported here, when the app is built, so that importing the pure rules loads nothing else.
    from app.microprojects.implementation import on_project_needs_matter
    from app.microprojects.operations import on_vote_closed
    from app.microprojects.signals import project_needs_matter
    from app.votes.signals import vote_closing_in_transaction

    vote_closing_in_transaction.connect(on_vote_closed)
    project_needs_matter.connect(on_project_needs_matter)
