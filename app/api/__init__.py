"""The JSON API under /api/v1, documented by the OpenAPI document flask-smorest generates."""
from app.core.errors import ErrorSchema  # noqa: F401  (endpoints document errors with it)
from app.extensions import api, csrf


# Each area's API module exposes blueprints(); listed here once.
API_MODULES = [
    "app.api.auth",
    "app.api.consultations",
    "app.api.proposals",
    "app.api.meetings",
    "app.api.matters",
    "app.api.votes",
    "app.api.notices",
]


def register_api(app):
    from importlib import import_module

    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer",
                       "description": "POST /api/v1/auth/token 取得的令牌"})
    blueprints = [blp for name in API_MODULES for blp in import_module(name).blueprints()]
    for blp in blueprints:
        csrf.exempt(blp)  # bearer tokens, not cookies: nothing for a forged form to ride on
        api.register_blueprint(blp, url_prefix="/api/v1" + (blp.url_prefix or ""))
