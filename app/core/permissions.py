"""Access checks shared by views, API endpoints and Socket.IO handlers."""
from app.core.i18n import N_
from app.core.refusal import Refused


FORBIDDEN = N_("您没有权限进行此操作。")


def require(condition, message=FORBIDDEN, **params):
    """Refuse ("forbidden") unless `condition`; `message` is a msgid (N_) with its `params`."""
    if not condition:
        raise Refused("forbidden", message, **params)


def require_login(user):
    if user is None or not user.is_authenticated:
        raise Refused("unauthorized", N_("请先登录。"))
