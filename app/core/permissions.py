"""Access checks shared by views, API endpoints and Socket.IO handlers."""
from app.core.refusal import Refused


def require(condition, message="您没有权限进行此操作。"):
    if not condition:
        raise Refused("forbidden", message)


def require_login(user):
    if user is None or not user.is_authenticated:
        raise Refused("unauthorized", "请先登录。")
