"""The JSON API under /api/v1, documented by the OpenAPI document flask-smorest generates."""
from flask import current_app
from flask_smorest import Api

from app.api import auth, consultations, matters, meetings, microprojects, notices, proposals, votes
from app.api.docs import ErrorSchema
from app.extensions import csrf

# Each area's API module exposes blueprints(); listed here once, in the document's order.
API_MODULES = [auth, consultations, proposals, meetings, matters, votes, notices, microprojects]


class YishiApi(Api):
    """flask-smorest's Api, leaving error responses to app.core.errors (one format everywhere)."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        pass

    def _openapi_json(self):
        """The document as flask-smorest writes it, built once per spec (per app): it only changes
        when the code does, and building it walks every schema (tens of milliseconds)."""
        cached = getattr(self, "_openapi_cache", None)
        if cached is None or cached[0] is not self.spec:
            cached = self._openapi_cache = (self.spec, super()._openapi_json().get_data())
        return current_app.response_class(cached[1], mimetype="application/json")


# Created unbound like the extensions in app/extensions.py, and initialised in create_app().
api = YishiApi()


def register_api(app):
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer",
                       "description": "POST /api/v1/auth/token 取得的令牌"})
    blueprints = [blp for module in API_MODULES for blp in module.blueprints()]
    for blp in blueprints:
        csrf.exempt(blp)  # bearer tokens, not cookies: nothing for a forged form to ride on
        api.register_blueprint(blp, url_prefix="/api/v1" + (blp.url_prefix or ""))
