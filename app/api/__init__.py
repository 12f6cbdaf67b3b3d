"""The JSON API under /api/v1, documented by the OpenAPI document flask-smorest generates."""
from app.core.errors import ErrorSchema  # noqa: F401  (endpoints document errors with it)
from app.extensions import api, csrf


def register_api(app):
    from app.api import auth

    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer",
                       "description": "POST /api/v1/auth/token 取得的令牌"})
    for blp in auth.blueprints():
        csrf.exempt(blp)  # bearer tokens, not cookies: nothing for a forged form to ride on
        api.register_blueprint(blp, url_prefix="/api/v1" + (blp.url_prefix or ""))
