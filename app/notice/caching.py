"""Caching on the board: rendered content kept on the server, and conditional GET for clients.

Server side. A page's content is kept (in Flask-Caching's cache: Redis when CACHE_REDIS_URL is
set, shared by every process, otherwise in the process) until the data under it may have
changed: the key holds the newest audit event (every change anywhere in Yishi is one; it is an
O(1) lookup) and the version of the board's index (moved on by every index write), so a cached
page is never served after a change that was committed. Content that changes with the clock
alone (a status lapsing, a countdown) is kept only until then, and nothing longer than `TTL`
seconds (names of communities or organisations, which are not audited, catch up within it).

Client side. The ETag is a hash of the content itself, so it changes exactly when the content
does. Pages in the site's frame (base.html) carry per-session bits (the CSRF token of the
large-type switch): for those the ETag hashes the content with what the frame depends on for an
anonymous visitor (large type, the session's CSRF secret), and the frame is only rendered when
the client does not already have the page. Signed-in visitors always get a fresh page: their
frame shows their own notifications.
"""
import hashlib
import logging
import os
import threading
from dataclasses import dataclass, field

from cachetools import TTLCache

from flask import current_app, make_response, render_template, request, session
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import text

from app.core import locale
from app.core.timeutil import utcnow
from app.core.web import csrf_token
from app.extensions import cache, db

log = logging.getLogger(__name__)

CACHE_CONTROL = "no-cache"   # keep a copy, but ask every time (the answer is cheap: 304)
TTL = 60                     # seconds; NOTICE_CACHE_TTL (config or environment) overrides, 0 = off
# The anonymous frame depends on no data (only on the address, language, large type and what the
# page names in it), so it is kept this long even when the pages' cache is off.
FRAME_TTL = 300


def ttl():
    value = current_app.config.get("NOTICE_CACHE_TTL", os.environ.get("NOTICE_CACHE_TTL", TTL))
    return max(0.0, float(value))


def _digest(*parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\x00")
    return h.hexdigest()[:40]


@dataclass
class Rendered:
    """What a board page produced: its content (HTML inside the frame, or a whole body)."""

    content: str | bytes
    title: str = ""
    feed_url: str | None = None
    stylesheets: tuple = ()
    expires_dt: object = None        # naive UTC: the content changes by the clock then
    digest: str = field(default="", init=False)

    def __post_init__(self):
        self.digest = _digest(self.content)


def _get(kind, key):
    try:
        return cache.get(f"notice:{kind}:{_digest(repr(key))}")
    except Exception:  # noqa: BLE001 - a cache that is down costs a render, never the page
        log.warning("notice cache unavailable", exc_info=True)
        return None


def _put(kind, key, value, seconds):
    # Whole seconds, rounded down: 0 would mean "for ever" to the cache, and content that lapses
    # by the clock must not outlive its moment.
    seconds = int(seconds)
    if seconds < 1:
        return
    try:
        cache.set(f"notice:{kind}:{_digest(repr(key))}", value, timeout=seconds)
    except Exception:  # noqa: BLE001
        log.warning("notice cache unavailable", exc_info=True)


# The newest audit event (every change anywhere is one; an O(1) lookup on its primary key) and
# the version of the board's index, in one round trip. Plain SQL: this runs on every request.
_VERSION_SQL = text(
    "SELECT a.id, a.created_dt, s.version, s.changed_dt "
    "FROM (SELECT 1 AS one) AS x "
    "LEFT JOIN (SELECT id, created_dt FROM audit_events ORDER BY id DESC LIMIT 1) AS a ON 1 = 1 "
    "LEFT JOIN notice_index_state AS s ON s.id = 1")


def data_version():
    """What the data under every board page is at now: newest audit event, index version."""
    # Once per request (kept in the request's environ: `g` may outlive a request in tests).
    memo = request.environ.get("yishi.notice_data_version")
    if memo is None:
        memo = tuple(db.session.execute(_VERSION_SQL).one())
        request.environ["yishi.notice_data_version"] = memo
    return memo


def cached(key, produce):
    """The Rendered for `key`, from the cache when the data has not changed since; `produce()`
    renders it otherwise (and may abort, e.g. with a 404, which is not kept)."""
    seconds = ttl()
    if not seconds:
        return produce()
    full_key = (key, request.url_root, current_app.config.get("PUBLIC_BASE_URL"), locale.current(),
                data_version())
    found = _get("page", full_key)
    if found is not None:
        return found
    rendered = produce()
    if rendered.expires_dt is not None:
        seconds = min(seconds, max(0.0, (rendered.expires_dt - utcnow()).total_seconds()))
    _put("page", full_key, rendered, seconds)
    return rendered


def _not_modified(etag):
    response = make_response("", 304)
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.add("Cookie")
    response.vary.add("Accept-Language")
    return response


# An anonymous visitor's frame differs from another's only by the CSRF token of its one form:
# it is rendered once per page and large-type setting with markers, and filled in per request.
# Kept in the process (it depends on no data, and a shared cache would cost a round trip).
_CSRF_MARK = "\x00csrf\x00"
_CONTENT_MARK = "\x00content\x00"
_frames = TTLCache(maxsize=1024, ttl=FRAME_TTL)
_frames_lock = threading.Lock()


def _anonymous_frame(rendered, code):
    key = (request.full_path, request.url_root, request.cookies.get("large_type", ""), code,
           rendered.title, rendered.feed_url, rendered.stylesheets)
    with _frames_lock:
        frame = _frames.get(key)
    if frame is None:
        frame = render_template("notice/_frame.html", content=Markup(_CONTENT_MARK),
                                csrf_token=lambda: Markup(_CSRF_MARK), page_title=rendered.title,
                                feed_url=rendered.feed_url, stylesheets=rendered.stylesheets)
        with _frames_lock:
            _frames[key] = frame
    return frame.replace(_CSRF_MARK, csrf_token()).replace(_CONTENT_MARK, rendered.content)


def framed(rendered):
    """A board page in the site's frame (notice/_frame.html), answering conditional GETs."""
    if current_user.is_authenticated or session.get("_flashes"):
        response = make_response(render_template(
            "notice/_frame.html", content=Markup(rendered.content), page_title=rendered.title,
            feed_url=rendered.feed_url, stylesheets=rendered.stylesheets))
        response.headers["Cache-Control"] = "private, no-cache"
        response.vary.update(("Cookie", "Accept-Language"))
        return response
    csrf_token()  # the frame's form needs it; it is part of what the client holds
    secret = str(session.get("csrf_token", ""))
    code = locale.current()
    etag = _digest("v1", code, rendered.title, rendered.feed_url or "", " ".join(rendered.stylesheets),
                   request.cookies.get("large_type", ""), secret, rendered.digest)
    if request.if_none_match.contains_weak(etag):
        return _not_modified(etag)
    response = make_response(_anonymous_frame(rendered, code))
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.add("Cookie")
    response.vary.add("Accept-Language")
    return response


def conditional(body, mimetype, *, filename=None, digest=None):
    """A whole body (feed, CSV, print sheet, JSON) with its hash as ETag; 304 when it matches."""
    etag = _digest("v1", digest or _digest(body))
    if request.if_none_match.contains_weak(etag):
        response = make_response("", 304)
    else:
        response = make_response(body)
        response.mimetype = mimetype
        if filename:
            response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.add("Accept-Language")
    return response
