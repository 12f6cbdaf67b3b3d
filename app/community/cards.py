"""Issuing personal check-in cards (app/auth/cards.py) to the residents of a community."""
from app.auth import cards
from app.auth.models import User, UserState
from app.core.i18n import N_
from app.core import audit
from app.core.permissions import require
from app.core.timeutil import utcnow


def issue_cards(actor, community, users):
    """A new card for each of `users` who is a verified resident of `community`; their old cards
    stop working. Returns [(user, code)]: the codes exist only on the page printed now."""
    require(actor.is_admin_of(community), N_("只有社区管理员可以打印签到卡。"))
    now = utcnow()
    chosen = sorted((u for u in users if u.community_id == community.id and u.state is UserState.VERIFIED),
                    key=lambda u: (u.household_id or 0, u.id))
    pairs = [(user, cards.issue(user, now)) for user in chosen]
    if pairs:
        audit.record("card.issued", actor=actor, community_id=community.id, count=len(pairs),
                     user_ids=[u.id for u, _ in pairs])
    return pairs


def residents(community, user_ids):
    return User.query.filter(User.community_id == community.id, User.id.in_(user_ids)).all() if user_ids else []


def printable(pairs):
    """user id -> what a printed card shows: the code in two groups and its QR code."""
    return {user.id: {"code": cards.grouped(code), "qr": cards.qr_svg(code)} for user, code in pairs}
