"""Request-wide wiring: template helpers, security headers, large type, error pages."""
from flask import g, request
from flask_login import current_user

from app.core import timeutil
from app.core.errors import register_error_handlers
from app.core.sanitize import render_markdown

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def init_app(app):
    register_error_handlers(app)

    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["localdt"] = timeutil.format_local
    app.jinja_env.filters["remaining"] = timeutil.describe_remaining
    app.jinja_env.globals["now_utc"] = timeutil.utcnow

    @app.context_processor
    def frame():
        from app.core.notify import unread_count

        large = request.cookies.get("large_type") == "1"
        unread = 0
        managed = set()
        if current_user.is_authenticated:
            large = current_user.is_large_type
            unread = unread_count(current_user)
            managed = current_user.managed_community_ids
        return {"large_type": large, "unread_count": unread, "managed_ids": managed}

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if getattr(g, "no_store", False):
            response.headers["Cache-Control"] = "no-store"
        return response


def refuse(exc):
    """A form view's answer to a refused operation: nothing half-done is kept, the reason is shown.

    Returns the status the page should carry.
    """
    from flask import flash

    from app.extensions import db

    db.session.rollback()
    flash(exc.message, "error")
    return exc.status
