"""Home page, health check, large-type switch, notification centre."""
from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from app.core.db import commit
from app.core.notify import Notification
from app.extensions import csrf, db, limiter

bp = Blueprint("core", __name__)


@bp.route("/healthz")
@limiter.exempt
@csrf.exempt
def healthz():
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")


@bp.route("/")
def home():
    from app.community.models import Street

    streets = Street.query.order_by(Street.id).all()
    return render_template("core/home.html", streets=streets)


@bp.route("/large-type", methods=["POST"])
def toggle_large_type():
    """Remembered on the account when logged in, in a cookie otherwise."""
    on = request.form.get("on") == "1"
    if current_user.is_authenticated:
        current_user.is_large_type = on
        commit()
    target = request.form.get("next") or url_for("core.home")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("core.home")
    response = redirect(target)
    response.set_cookie("large_type", "1" if on else "0", max_age=3600 * 24 * 365,
                        httponly=True, samesite="Lax")
    return response


@bp.route("/notifications")
@login_required
def notifications():
    items = (Notification.query.filter_by(user_id=current_user.id)
             .order_by(Notification.id.desc()).limit(200).all())
    return render_template("core/notifications.html", items=items)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    Notification.query.filter_by(user_id=current_user.id, is_read=False).update({"is_read": True})
    commit()
    return redirect(url_for("core.notifications"))
