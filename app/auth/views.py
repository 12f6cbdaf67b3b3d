"""Account pages: sign up, log in and out, activate, change password, profile."""
from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from app.auth import operations, throttle
from app.auth.forms import ActivateForm, ChangePasswordForm, EmailForm, LoginForm, RegisterForm
from app.community.models import Community
from app.core.errors import retry_after
from app.core.refusal import Refused
from app.core.web import refuse, safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _safe_next(default):
    return safe_next(request.args.get("next") or request.form.get("next"), default)


def _refused(template, form, exc):
    """A login or activation form refused: the reason on the form; a waiting account also
    learns from Retry-After when it may try again."""
    status = refuse(exc)
    response = make_response(render_template(template, form=form), status)
    if retry_after(exc):
        response.headers["Retry-After"] = str(retry_after(exc))
    return response


def _start_session(user):
    # A fresh session at login: nothing planted before it survives (session fixation).
    large = session.get("large_type")
    session.clear()
    if large is not None:
        session["large_type"] = large
    login_user(user)


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    form.community_id.choices = [SelectChoice(c.id, f"{c.street.name} · {c.name}")
                                 for c in Community.query.order_by(Community.id)]
    if form.validate_on_submit():
        try:
            user = operations.register(
                phone=form.phone.data.strip(), password=form.password.data,
                name=form.name.data, community_id=form.community_id.data,
                building=form.building.data, unit=form.unit.data, room=form.room.data)
        except Refused as exc:
            refuse(exc)
        else:
            _start_session(user)
            flash(_("注册成功。居委会审核通过后，您就可以提案、附议和投票了。"), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/register.html", form=form), 422 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@throttle.per_address
def login():
    if current_user.is_authenticated:
        return redirect(url_for("community.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = operations.authenticate(form.phone.data, form.password.data)
        except Refused as exc:
            return _refused("auth/login.html", form, exc)
        _start_session(user)
        return redirect(_safe_next(url_for("community.index")))
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.route("/logout", methods=["POST"])
def logout():
    message = _("您已退出登录。")
    if current_user.is_authenticated:
        operations.log_out(current_user._get_current_object())
        message = _("已退出登录，所有设备上的登录都已失效。")
    logout_user()
    session.clear()
    flash(message, "success")
    return redirect(url_for("community.index"))


@bp.route("/activate", methods=["GET", "POST"])
@throttle.per_address
def activate():
    form = ActivateForm()
    if form.validate_on_submit():
        try:
            user = operations.activate(form.phone.data, form.code.data, form.password.data)
        except Refused as exc:
            return _refused("auth/activate.html", form, exc)
        _start_session(user)
        flash(_("账号已激活，欢迎使用议事。"), "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/activate.html", form=form), 422 if form.errors else 200


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = current_user._get_current_object()
            operations.change_password(user, form.old_password.data, form.password.data)
        except Refused as exc:
            refuse(exc)
            return render_template("auth/password.html", form=form), exc.status
        _start_session(user)  # a new session with the new epoch: this device stays logged in
        flash(_("密码已修改，其他设备上的登录都已失效。"), "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/password.html", form=form), 422 if form.errors else 200


@bp.route("/large-type", methods=["POST"])
def toggle_large_type():
    """Remembered on the account when logged in, in a cookie otherwise (visitors too)."""
    on = request.form.get("on") == "1"
    if current_user.is_authenticated:
        operations.set_large_type(current_user, on)
    response = redirect(_safe_next(url_for("community.index")))
    response.set_cookie("large_type", "1" if on else "0", max_age=3600 * 24 * 365,
                        httponly=True, samesite="Lax")
    return response


@bp.route("/me", methods=["GET", "POST"])
@login_required
def profile():
    form = EmailForm(email=current_user.email)
    status = 200
    if form.validate_on_submit():
        try:
            operations.set_email(current_user, form.email.data)
        except Refused as exc:
            status = refuse(exc)
        else:
            flash(_("邮箱已保存。") if form.email.data else _("已关闭邮件通知。"), "success")
            return redirect(url_for("auth.profile"))
    elif form.errors:
        status = 422
    return render_template("auth/profile.html", user=current_user, form=form), status
