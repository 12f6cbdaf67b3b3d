"""Domain events between areas: the one convention for sending them.

An area below tells the areas above it of a change through a blinker signal (the areas depend one
way: DESIGN §10). By default a signal is a fact: it is sent once the change has committed, through
`send_after_commit`, and carries ids and plain values, never live objects (the session that held them
is gone); a receiver loads what it needs and, if it writes, runs and commits its own transaction.
A signal whose receivers must act inside the sender's transaction (a vote closing moves a matter's
stage, both or neither) says so in its name: `<thing>_<verb>ing_in_transaction`, sent directly.
Each area subscribes in its own `init_app(app)`, which the factory calls.
"""
from app.core.db import after_commit


def send_after_commit(signal, sender_id, **data):
    """Queue `signal.send(sender_id, **data)` for after the commit (never on a rollback)."""
    def send():
        if signal.receivers:
            signal.send(sender_id, **data)

    after_commit(send)
