"""Account operations: the only code that creates users or changes their state."""
from flask import current_app, url_for

from app.auth import throttle
from app.auth.models import ApiToken, RoleKind, User, UserState, hash_secret
from app.community.models import Community, CommunityRole, Household
from app.core import audit
from app.core.i18n import N_, Message
from app.core.refusal import Refused
from app.core.notify import notify
from app.core.permissions import require
from app.core.sanitize import clean_text
from app.core.timeutil import utcnow
from app.extensions import db


def register(*, phone, password, name, community_id, building, unit, room):
    """A resident signs up; an admin of the community verifies them later."""
    community = db.session.get(Community, community_id)
    if community is None:
        raise Refused("invalid", N_("请选择所在社区。"))
    if User.query.filter_by(phone=phone).first():
        raise Refused("phone_taken", N_("该手机号已注册，请直接登录；若是居委会登记的账号，"
                       "请点「激活账号」，输入激活信上的激活码。"))
    household = Household.get_or_create(community.id, clean_text(building, 16),
                                        clean_text(unit, 16), clean_text(room, 16))
    user = User(phone=phone, name=clean_text(name, 32), community=community,
                household=household, state=UserState.PENDING)
    user.set_password(password)
    db.session.add(user)
    audit.record("user.registered", actor=user, community_id=community.id, obj=user,
                 to_state=UserState.PENDING)
    admins = [r.user for r in _admin_roles(community)]
    address = Message(N_("%(building)s栋%(unit)s单元%(room)s室"), building=household.building,
                      unit=household.unit, room=household.room)
    notify(admins, Message(N_("新居民 %(name)s（%(address)s）申请认证。"), name=user.name, address=address),
           url_for("community.residents", community_id=community.id, state="pending"))
    return user


def _admin_roles(community):
    return CommunityRole.query.filter_by(community_id=community.id, kind=RoleKind.ADMIN).all()


def verify(actor, user):
    community = user.community
    require(community is not None and actor.is_admin_of(community), N_("只有本社区管理员可以审核居民。"))
    if user.state is UserState.VERIFIED:
        raise Refused("conflict", N_("该居民已认证。"))
    previous = user.state
    user.state = UserState.VERIFIED
    user.verified_dt = utcnow()
    user.rejection_reason = None
    audit.record("user.verified", actor=actor, community_id=community.id, obj=user,
                 from_state=previous, to_state=user.state)
    notify([user], Message(N_("您的居民身份已通过%(community)s审核，现在可以提案、附议和投票。"),
                           community=community.name),
           url_for("auth.profile"))


def reject(actor, user, reason):
    community = user.community
    require(community is not None and actor.is_admin_of(community), N_("只有本社区管理员可以审核居民。"))
    reason = clean_text(reason, 500)
    if not reason:
        raise Refused("invalid", N_("请写明不通过的原因。"))
    if user.state is UserState.VERIFIED:
        raise Refused("conflict", N_("已认证的居民不能再驳回。"))
    previous = user.state
    user.state = UserState.REJECTED
    user.rejection_reason = reason
    user.end_sessions()  # they log in again and see why on their profile
    audit.record("user.rejected", actor=actor, community_id=community.id, obj=user,
                 from_state=previous, to_state=user.state, reason=reason)
    notify([user], Message(N_("您的居民身份审核未通过：%(reason)s。如有疑问请联系居委会。"), reason=reason),
           url_for("auth.profile"))


def authenticate(phone, password):
    """The user for these credentials, or Unauthorized with one message for every failure.

    Refused while the account waits after too many wrong passwords (login_wait), even
    with the right one."""
    phone = (phone or "").strip()
    throttle.passwords.check(phone)
    # The hash is read on a connection returned at once and checked before the account is loaded:
    # the check (~0.1 s, beside the event loop) holds none of the pool's connections, however
    # many of a hall sign in at the same moment.
    with db.engine.connect() as conn:
        stored = conn.execute(db.select(User.password_hash).where(User.phone == phone)).scalar()
    right = User.hash_matches(stored, password or "")
    user = User.query.filter_by(phone=phone).first()
    if user is None or not user.is_active or not right or user.password_hash != stored:
        if user is not None and not user.is_activated:
            raise Refused("not_activated", N_("该账号尚未激活：请点「激活账号」，输入居委会激活信上的激活码。"))
        throttle.passwords.failed(phone)
        raise Refused("bad_credentials", N_("手机号或密码不正确。"))
    throttle.passwords.succeeded(phone)
    user.last_login_dt = utcnow()
    return user


def log_out(user):
    """Logging out ends every session of the user: copies of the cookie and other devices too."""
    user.end_sessions()
    audit.record("user.logged_out", actor=user, obj=user, sessions="all")


def change_password(user, old_password, new_password):
    """Every other session ends; the caller logs the current one in again with the new epoch."""
    if not user.check_password(old_password):
        raise Refused("bad_password", N_("当前密码不正确。"))
    user.set_password(new_password)
    user.end_sessions()
    audit.record("user.password_changed", actor=user, obj=user)


def activate(phone, code, password):
    """A resident from the register sets their password with the one-time code.

    Wrong codes are counted per phone number like wrong passwords (login_wait)."""
    phone = (phone or "").strip()
    throttle.activation_codes.check(phone)
    user = User.query.filter_by(phone=phone).first()
    code_hash = hash_secret((code or "").strip().upper())
    if (user is None or user.activation_code_hash != code_hash
            or user.activation_expires_dt is None or user.activation_expires_dt < utcnow()):
        throttle.activation_codes.failed(phone)
        raise Refused("bad_code", N_("手机号或激活码不正确，或激活码已过期。"))
    throttle.activation_codes.succeeded(phone)
    user.set_password(password)
    user.activation_code_hash = None  # one time only
    user.activation_expires_dt = None
    audit.record("user.activated", actor=user, obj=user)
    return user


def issue_token(phone, password):
    user = authenticate(phone, password)
    token, raw = ApiToken.issue(user, current_app.config["API_TOKEN_DAYS"])
    audit.record("token.issued", actor=user, obj=user)
    return user, token, raw


def set_email(user, email):
    """Where mail notifications go; empty turns mail off."""
    email = (email or "").strip() or None
    if email is not None and ("@" not in email or len(email) > 120):
        raise Refused("bad_email", N_("邮箱格式不正确。"))
    if email == user.email:
        return False
    user.email = email
    audit.record("user.email_changed", actor=user, obj=user)
    return True


def set_large_type(user, on):
    user.is_large_type = bool(on)

