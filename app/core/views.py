"""Health check, favicon, notification centre, the language switch (the front page is the community area's)."""
from flask import (Blueprint, abort, current_app, jsonify, redirect, render_template, request, send_from_directory,
                   url_for)
from flask_login import current_user, login_required
from sqlalchemy import text

from app.core import locale
from app.core.forms import ConfirmForm
from app.core.notify import Notification
from app.core.web import safe_next
from app.extensions import csrf, db, limiter

bp = Blueprint("core", __name__)


@bp.route("/healthz")
@limiter.exempt
@csrf.exempt
def healthz():
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")


@bp.route("/favicon.ico")
@limiter.exempt
def favicon():
    # Browsers ask for /favicon.ico on every site whatever the page links; a week in their cache.
    return send_from_directory(current_app.static_folder, "favicon.ico",
                               mimetype="image/vnd.microsoft.icon", max_age=7 * 24 * 3600)


@bp.route("/notifications")
@login_required
def notifications():
    # By time, not by id: the demo (and an import) writes notifications of the past after newer ones.
    items = (Notification.query.filter_by(user_id=current_user.id)
             .order_by(Notification.created_dt.desc(), Notification.id.desc()).limit(200).all())
    return render_template("core/notifications.html", items=items)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    Notification.query.filter_by(user_id=current_user.id, is_read=False).update({"is_read": True})
    return redirect(url_for("core.notifications"))


@bp.route("/language", methods=["POST"])
def language():
    """The footer's (and the profile's) switch: kept on the account when signed in, and in a
    cookie in any case (a visitor's choice, and the choice until the next sign-in)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    code = locale.choose(request.form.get("locale"), current_user)
    if code is None:
        abort(400)
    response = redirect(safe_next(request.form.get("next"), url_for("community.index")))
    response.set_cookie(locale.COOKIE, code, max_age=locale.COOKIE_AGE, httponly=True, samesite="Lax")
    return response
