"""Access checks shared by views, API endpoints and Socket.IO handlers."""
from app.core.refusal import Refused
from app.extensions import db


def require(condition, message="您没有权限进行此操作。"):
    if not condition:
        raise Refused("forbidden", message)


def require_login(user):
    if user is None or not user.is_authenticated:
        raise Refused("unauthorized", "请先登录。")


def load_community(user, community_id, *, staff=False, admin=False):
    """The community if the user may act in it as asked; another community's pages are a 404.

    Answering 404 rather than 403 keeps one community from learning what another has.
    """
    from app.community.models import Community

    require_login(user)
    community = db.session.get(Community, community_id)
    if community is None:
        raise Refused("not_found", "找不到该社区。")
    if admin and not user.is_admin_of(community):
        raise (Refused("forbidden", "只有本社区管理员可以进行此操作。") if user.belongs_to(community)
               else Refused("not_found", "找不到该社区。"))
    if staff and not user.is_staff_of(community):
        raise (Refused("forbidden", "只有本社区工作人员可以进行此操作。") if user.belongs_to(community)
               else Refused("not_found", "找不到该社区。"))
    if not user.belongs_to(community):
        raise Refused("not_found", "找不到该社区。")
    return community
