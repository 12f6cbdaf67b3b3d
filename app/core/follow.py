"""Following a thing (a proposal, a matter) and telling its followers: one piece for every area.

Each area keeps its own follow table (`<Thing>Follow` with `user_id` and a key column such as
`proposal_id`); these functions take that model and the name of its key column, so core names
no area.
"""
from sqlalchemy.orm import selectinload

from app.core.notify import notify
from app.extensions import db


def _row(model, key, thing_id, user_id):
    return model.query.filter(getattr(model, key) == thing_id, model.user_id == user_id)


def add(model, key, thing_id, user):
    """Make `user` follow (once; a second call changes nothing)."""
    if user is None:
        return
    if _row(model, key, thing_id, user.id).first() is None:
        db.session.add(model(**{key: thing_id, "user_id": user.id}))
        db.session.flush()


def remove(model, key, thing_id, user):
    _row(model, key, thing_id, user.id).delete()


def is_following(model, key, thing_id, user):
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return _row(model, key, thing_id, user.id).first() is not None


def followers(model, key, thing_id):
    """The users following, in the order they began to."""
    rows = (model.query.filter(getattr(model, key) == thing_id)
            .options(selectinload(model.user)).order_by(model.id))
    return [row.user for row in rows]


def tell(users, text, url, actor=None):
    """Notify `users` of a change, except the one who made it (each once)."""
    actor_id = getattr(actor, "id", None)
    notify([u for u in users if u is not None and (actor is None or u.id != actor_id)], text, url)
