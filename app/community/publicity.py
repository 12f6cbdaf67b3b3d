"""A body's publicity: the community admin marks a body public, or no longer public (audited).

A public body's meetings admit the community's residents as observers and its votes' receipts
and results are public once closed (app/votes/visibility.py). 居民会议 is public by law and stays so.
"""
from app.core.i18n import N_
from app.core import audit
from app.core.permissions import require
from app.core.refusal import Refused


def set_public(actor, body, is_public):
    """Mark `body` public or not; False when nothing changed."""
    require(actor.is_admin_of(body.community), N_("只有社区管理员可以设置组织是否公开。"))
    is_public = bool(is_public)
    if body.is_public_by_law:
        if not is_public:
            raise Refused("public_by_law", N_("%(body)s依法公开，不能设为不公开。"), body=body.name)
        return False
    if body.is_marked_public == is_public:
        return False
    body.is_marked_public = is_public
    audit.record("body.publicity_changed", actor=actor, obj=body,
                 before={"is_public": not is_public}, after={"is_public": is_public})
    return True
