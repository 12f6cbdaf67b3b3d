"""Health check, favicon, notification centre (the front page is the community area's)."""
from flask import Blueprint, current_app, jsonify, redirect, render_template, send_from_directory, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from app.core.notify import Notification
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
