"""Users and their API tokens."""
import enum
import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.offload import off_loop
from app.core.timeutil import utcnow
from app.extensions import db


class UserState(str, enum.Enum):
    PENDING = "pending"      # signed up, waiting for an admin
    VERIFIED = "verified"
    REJECTED = "rejected"

    @property
    def label(self):
        return {"pending": _("待审核"), "verified": _("已认证"), "rejected": _("未通过")}[self.value]


class RoleKind(str, enum.Enum):
    ADMIN = "admin"                 # 社区管理员
    STAFF = "staff"                 # 两委成员 / 社区工作者
    STREET_ADMIN = "street_admin"   # 街道管理员

    @property
    def label(self):
        return {"admin": _("社区管理员"), "staff": _("社区工作人员"), "street_admin": _("街道管理员")}[self.value]


def hash_secret(value):
    """Tokens and activation codes are random, so a fast hash is enough at rest."""
    return hashlib.sha256(value.encode()).hexdigest()


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id = db.Column(db.Integer, primary_key=True)
    phone = db.Column(db.String(20), nullable=False, unique=True)
    name = db.Column(db.String(64), nullable=False)
    email = db.Column(db.String(255), nullable=True)  # optional: notifications by mail when SMTP is set
    password_hash = db.Column(db.String(255), nullable=True)  # None until activated
    state = db.Column(db.Enum(UserState, native_enum=False, length=16,
                              values_callable=lambda e: [m.value for m in e]),
                      nullable=False, default=UserState.PENDING)
    rejection_reason = db.Column(db.Text, nullable=True)
    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), nullable=True, index=True)
    household_id = db.Column(db.Integer, db.ForeignKey("households.id"), nullable=True, index=True)
    activation_code_hash = db.Column(db.String(64), nullable=True, unique=True)
    activation_expires_dt = db.Column(db.DateTime, nullable=True)
    # The personal check-in card (app/auth/cards.py): an HMAC of its code, so a desk can find it.
    card_code_hash = db.Column(db.String(64), nullable=True, unique=True)
    card_issued_dt = db.Column(db.DateTime, nullable=True)
    is_large_type = db.Column(db.Boolean, nullable=False, default=False)
    # The language chosen in the footer or profile ("en", "zh_Hans_CN"); None: the browser's.
    locale = db.Column(db.String(16), nullable=True)
    is_disabled = db.Column(db.Boolean, nullable=False, default=False)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    verified_dt = db.Column(db.DateTime, nullable=True)
    last_login_dt = db.Column(db.DateTime, nullable=True)
    # Part of every login session's id (get_id): raising it ends every session issued before.
    session_epoch = db.Column(db.Integer, nullable=False, default=0, server_default=db.text("0"))

    community = db.relationship("Community", foreign_keys=[community_id])
    household = db.relationship("Household", back_populates="residents")
    roles = db.relationship("CommunityRole", back_populates="user", cascade="all, delete-orphan")
    memberships = db.relationship("Membership", back_populates="user", cascade="all, delete-orphan")

    # The admin's list of a community's residents in one state (app/community/views.py).
    # The admin's residents page: a community's residents newest first, all or of one state.
    __table_args__ = (db.Index("ix_users_community_list", "community_id", "id"),
                      db.Index("ix_users_community_state", "community_id", "state", "id"))

    def __repr__(self):
        return f"<User {self.id} {self.name}>"

    # -- login sessions --------------------------------------------------
    def get_id(self):
        """What Flask-Login keeps in the session and a remember-me cookie: "<id>:<epoch>".

        Flask-Login's "alternative token": a session only loads its user while the epoch in it
        is the user's current one (`from_session_id`), so raising the epoch signs out every
        copy of every session cookie issued before, on every device.
        """
        return f"{self.id}:{self.session_epoch}"

    @classmethod
    def from_session_id(cls, value):
        """The user a session id from `get_id` names, or None when it is stale or malformed."""
        user_id, colon, epoch = (value or "").partition(":")
        if not (colon and user_id.isdigit() and epoch.isdigit()):
            return None
        user = db.session.get(cls, int(user_id))
        if user is None or not user.is_active or user.session_epoch != int(epoch):
            return None
        return user

    def end_sessions(self):
        """Every session issued so far stops loading. The database does the increment, so two
        bumps at the same moment (logout on two devices) are never merged into one."""
        self.session_epoch = User.session_epoch + 1
        db.session.flush()  # the attribute is read back (expired) before anyone builds a new id

    # -- passwords -------------------------------------------------------
    # The hashing runs beside a gevent server's loop (app/core/offload.py): the live rooms go on.
    def set_password(self, password):
        self.password_hash = off_loop(generate_password_hash, password)

    def check_password(self, password):
        return User.hash_matches(self.password_hash, password)

    @staticmethod
    def hash_matches(stored, password):
        return bool(stored) and off_loop(check_password_hash, stored, password)

    @property
    def is_active(self):
        return not self.is_disabled

    @property
    def is_verified(self):
        return self.state is UserState.VERIFIED

    @property
    def is_activated(self):
        return self.password_hash is not None

    def new_activation_code(self, days=90):
        """A fresh one-time code; only its hash is kept, so letters are printed right away."""
        code = "".join(secrets.choice("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(8))
        self.activation_code_hash = hash_secret(code)
        self.activation_expires_dt = utcnow() + timedelta(days=days)
        return code

    # -- roles -----------------------------------------------------------
    def _has_role(self, kind, community_id=None, street_id=None):
        for role in self.roles:
            if role.kind is not kind:
                continue
            if community_id is not None and role.community_id == community_id:
                return True
            if street_id is not None and role.street_id == street_id:
                return True
        return False

    def is_street_admin_of(self, street_id):
        return self._has_role(RoleKind.STREET_ADMIN, street_id=street_id)

    def is_admin_of(self, community):
        return self._has_role(RoleKind.ADMIN, community_id=community.id) or \
            self.is_street_admin_of(community.street_id)

    def is_staff_of(self, community):
        return self._has_role(RoleKind.STAFF, community_id=community.id) or self.is_admin_of(community)

    def belongs_to(self, community):
        return self.community_id == community.id or self.is_staff_of(community)

    def is_resident_of(self, community):
        return self.community_id == community.id and self.is_verified

    @property
    def managed_community_ids(self):
        """Communities whose admin pages this user may open."""
        # Through the roles' relationships (declared by name), so that users stand below
        # communities: app/community/models.py imports this module, never the other way.
        ids = {r.community_id for r in self.roles
               if r.kind in (RoleKind.ADMIN, RoleKind.STAFF) and r.community_id}
        for role in self.roles:
            if role.kind is RoleKind.STREET_ADMIN and role.street is not None:
                ids |= {c.id for c in role.street.communities}
        return ids

    @property
    def role_labels(self):
        labels = [r.kind.label for r in self.roles]
        for m in self.memberships:
            labels.append(m.label)
        if self.handler_links:
            labels.append(_("承办人"))
        if not labels:
            labels.append(_("居民") if self.is_verified else _("居民（待审核）"))
        return labels


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    expires_dt = db.Column(db.DateTime, nullable=False)
    last_used_dt = db.Column(db.DateTime, nullable=True)

    user = db.relationship("User")

    @classmethod
    def issue(cls, user, days):
        raw = secrets.token_urlsafe(32)
        token = cls(user=user, token_hash=hash_secret(raw), expires_dt=utcnow() + timedelta(days=days))
        db.session.add(token)
        return token, raw

    @classmethod
    def find_user(cls, raw):
        if not raw:
            return None
        # The token and its user in one statement: every API request asks this.
        token = cls.query.options(db.joinedload(cls.user)).filter_by(token_hash=hash_secret(raw)).first()
        if token is None or token.expires_dt < utcnow() or not token.user.is_active:
            return None
        return token.user
