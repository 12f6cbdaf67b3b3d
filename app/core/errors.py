"""The handlers that turn any error, and the one refusal (app.core.refusal), into a page or a JSON body."""
import logging

from flask import current_app, g, jsonify, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from app.core import locale
from app.core.field_errors import in_chinese
from app.core.refusal import Refused
from app.extensions import db, login_manager

log = logging.getLogger(__name__)

# The database is away (a lost connection) or busy (no pooled connection free in time): either
# way the answer is 503 and "try again", never a 500.
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


def retry_after(refusal):
    """Seconds until a refusal that ends by itself (a waiting account) may be tried again."""
    return (refusal.details or {}).get("retry_after") if refusal.code == "login_wait" else None


HTTP_MESSAGES = {
    400: _l("请求有误，请检查后重试。"),
    401: _l("请先登录。"),
    403: _l("您没有权限进行此操作。"),
    404: _l("找不到该页面或记录。"),
    405: _l("不支持该请求方式。"),
    409: _l("操作与当前状态冲突，请刷新后重试。"),
    413: _l("上传的文件太大。"),
    422: _l("提交的内容有误。"),
    429: _l("操作过于频繁，请稍后再试。"),
    500: _l("系统出现问题，我们已记录，请稍后再试。"),
    503: _l("服务暂时不可用，请稍后再试。"),
}
HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "invalid",
    429: "rate_limited", 500: "server_error", 503: "unavailable",
}


def wants_json():
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def error_response(status, code, message, details=None):
    message = str(message)   # a lazy or translated text, in the request's language
    if wants_json():
        body = {"code": code, "message": message}
        if details:
            body["details"] = details
        return jsonify(error=body), status
    return render_template("errors/error.html", status=status, message=message), status


def _http_message(exc):
    # Our own aborts carry a Chinese description; werkzeug's defaults are English, and so is
    # Flask-Limiter's ("10 per 1 minute").
    if exc.code == 429:
        return HTTP_MESSAGES[429]
    description = getattr(exc, "description", None)
    default = type(exc).description if hasattr(type(exc), "description") else None
    if description and description != default:
        return description
    return HTTP_MESSAGES.get(exc.code, HTTP_MESSAGES[400])


def register_error_handlers(app):
    @app.errorhandler(Refused)
    def handle_refused(exc):
        body, status = error_response(exc.status, exc.code, exc.message, exc.to_dict().get("details"))
        response = current_app.make_response((body, status))
        if retry_after(exc):
            response.headers["Retry-After"] = str(retry_after(exc))
        return response

    @app.errorhandler(CSRFError)
    def handle_csrf(exc):
        # Flask-WTF's reasons are English ("The CSRF token is missing."): say it for people.
        return error_response(400, "csrf_failed", _("请求有误：页面已过期或来源不明，请刷新页面后重新提交。"))

    @app.errorhandler(HTTPException)
    def handle_http(exc):
        status = exc.code or 500
        details = None
        data = getattr(exc, "data", None)
        if isinstance(data, dict) and data.get("messages"):
            # webargs validation errors: said in Chinese for a Chinese reader, else as they are
            details = in_chinese(data["messages"]) if locale.is_chinese() else data["messages"]
        return error_response(status, HTTP_CODES.get(status, "error"), _http_message(exc), details)

    @app.errorhandler(Exception)
    def handle_unexpected(exc):
        if isinstance(exc, DATABASE_UNAVAILABLE):
            log.warning("database unavailable: %s", exc)
            _render_without_database()
            body, status = error_response(503, "unavailable", HTTP_MESSAGES[503])
            response = current_app.make_response((body, status))
            response.headers["Retry-After"] = "10"
            return response
        if isinstance(exc, (sa_exc.DataError, OverflowError)):
            # A number or a text the database cannot hold (an id past 2**63, a date past 9999):
            # the input was wrong, whichever form or field it came through.
            log.info("value out of range on %s: %s", request.path, exc)
            db.session.rollback()
            return error_response(422, "out_of_range", _("提交的数字、日期或文字超出了允许的范围。"))
        if current_app.config.get("PROPAGATE_EXCEPTIONS"):
            raise exc  # tests see the real traceback
        log.exception("unhandled error on %s", request.path)
        return error_response(500, "server_error", HTTP_MESSAGES[500])


def _render_without_database():
    """The 503 page must render with no query: drop the broken transaction, show a visitor.

    Otherwise the page frame would load the logged-in user (and their unread count) from the
    database that just failed, and the 503 would turn into a bare 500.
    """
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the pool discards it
        pass
    g._login_user = login_manager.anonymous_user()
