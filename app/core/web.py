"""Request-wide wiring: template helpers, security headers, large type, error pages."""
import re
import threading

from cachetools import LRUCache
from flask import abort, current_app, flash, g, has_request_context, redirect, request, session
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.routing import IntegerConverter

from app.core import db as unit
from app.core import timeutil
from app.core.errors import register_error_handlers
from app.core.forms import ConfirmForm
from app.core.notify import unread_count
from app.core.sanitize import render_markdown
from app.extensions import db
from app.core.refusal import Refused

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class IdConverter(IntegerConverter):
    """`<int:...>` in our URLs is a database id: past 2**31 - 1 no such page can exist (404), and
    the database is never asked about a number it cannot hold."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


# A session's CSRF token is its secret signed with the app's key. Tokens carry no time limit here
# (WTF_CSRF_TIME_LIMIT = None), so a secret signs to a token that stays valid: each process signs
# it once and hands the same token out again (the board's frame asks on every request).
_signed_tokens = LRUCache(maxsize=8192)
_signed_tokens_lock = threading.Lock()


def csrf_token():
    """Flask-WTF's CSRF token for this request's session (what templates call `csrf_token()`)."""
    config = current_app.config
    field = config["WTF_CSRF_FIELD_NAME"]
    if field in g or config["WTF_CSRF_TIME_LIMIT"] is not None:
        return generate_csrf()
    signing_key = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    secret = session.get(field)
    with _signed_tokens_lock:
        token = _signed_tokens.get((signing_key, secret)) if secret is not None else None
    if token is not None:
        setattr(g, field, token)   # where Flask-WTF's own generate_csrf looks first
        return token
    token = generate_csrf()   # gives a new session its secret
    with _signed_tokens_lock:
        _signed_tokens[(signing_key, session[field])] = token
    return token


def init_app(app):
    unit.init_app(app)
    register_error_handlers(app)

    app.jinja_env.globals["csrf_token"] = csrf_token

    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["localdt"] = timeutil.format_local
    app.jinja_env.filters["remaining"] = timeutil.describe_remaining
    app.jinja_env.globals["now_utc"] = timeutil.utcnow

    @app.context_processor
    def frame():
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


# What a browser ignores in a URL before reading it (WHATWG URL): ASCII tabs and newlines anywhere,
# control characters and spaces at either end.
_DROPPED = re.compile(r"[\t\n\r]")
_TRIMMED = "".join(chr(c) for c in range(0x21))


def safe_next(target, default):
    r"""`target` (a `next` parameter) when it stays on this site as a browser reads it, else
    `default`. A browser drops tabs and newlines and takes a backslash for a slash, so
    `/\t/evil.example` and `/\evil.example` both lead to evil.example: only a path of this site
    passes, one slash followed by neither `/` nor `\`, returned as the browser would read it."""
    if not target:
        return default
    path = _DROPPED.sub("", target).strip(_TRIMMED).replace("\\", "/")
    if (not path.startswith("/") or path.startswith("//")
            or any(ord(c) < 0x20 or ord(c) == 0x7F for c in path)):
        return default
    return path


def public_url(path):
    """The absolute address of a path of this site, for what leaves the screen (printed notices,
    QR codes, feeds, links in mail): PUBLIC_BASE_URL when set, else the address the request came
    to (behind TRUSTED_PROXIES ProxyFix makes it the one the client asked for). Outside a request
    and without PUBLIC_BASE_URL there is no address to give: the path stays as it is."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base and has_request_context():
        base = request.host_url
    if not base:
        return path
    return base.rstrip("/") + path


def public_url_for(endpoint, **values):
    """url_for(endpoint, ...) as an absolute public address (see public_url)."""
    from flask import url_for

    return public_url(url_for(endpoint, **values))


def refuse(exc, form=None, aliases=None):
    """A page's answer to a refused operation (the one way HTML views render a refusal): nothing
    half-done is kept (the page shown next must not read it), the field errors go on the form's
    fields where it has them, the reason is flashed otherwise. Returns the status the page carries,
    which also has the request's unit of work roll back."""
    db.session.rollback()
    placed = False
    if form is not None:
        for name, messages in (exc.details or {}).items():
            name = (aliases or {}).get(name, name)   # a field the rule names otherwise (budget_fen)
            if name in form:
                form[name].errors = list(form[name].errors) + list(messages)
                placed = True
    if not placed:
        flash(exc.message, "error")
    return exc.status


def attempt(action, success):
    """Run one operation for a form view and flash `success`; or, when it is refused, show why.
    Returns None on success, else the refusal's status. (The request's end commits.)"""
    try:
        action()
    except Refused as exc:
        return refuse(exc)
    flash(success, "success")
    return None


def send_upload(record, path, public):
    """An uploaded file (proposal or matter attachment): images shown inline, anything else
    downloaded, never content-sniffed; only a public record's file may sit in shared caches."""
    from flask import send_file

    response = send_file(path, mimetype=record.content_type, download_name=record.filename,
                         as_attachment=not record.is_image, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-cache" if public else "private, no-cache"
    return response


def follow_button(item, operations, followed_message, back):
    """The follow button of a page (POST): follow, or with `off=1` stop following; then back to
    `back`. `operations` has follow(user, item) and unfollow(user, item)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if request.form.get("off") == "1":
        operations.unfollow(current_user, item)
        flash(_("已取消关注。"), "success")
    else:
        operations.follow(current_user, item)
        flash(followed_message, "success")
    return redirect(back)
