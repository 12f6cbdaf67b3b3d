"""Bearer-token authentication for the API."""
from functools import wraps

from flask import g, request

from app.auth.models import ApiToken
from app.core.i18n import N_
from app.core.refusal import Refused

BEARER = [{"bearerAuth": []}]


def current_api_user():
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Refused("missing_token", N_("缺少访问令牌：请在 Authorization 头中提供 Bearer 令牌。"))
    user = ApiToken.find_user(raw.strip())
    if user is None:
        raise Refused("invalid_token", N_("访问令牌无效或已过期。"))
    return user


def token_required(view):
    """Refuses a request without a valid bearer token; the caller is then api_user()."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.api_user = current_api_user()
        return view(*args, **kwargs)

    return wrapper


def api_user():
    return g.api_user
