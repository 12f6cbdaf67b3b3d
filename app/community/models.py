"""The street, communities, households, bodies with their rules, members, handler organisations."""
import enum

from flask_babel import gettext as _

from app.auth.models import RoleKind
from app.community import rules
from app.core.i18n import N_, Message
from app.core.timeutil import utcnow
from app.extensions import db


def str_enum(enum_cls, length=32):
    """Enums are stored as their values in a plain string column (portable, migration-free)."""
    return db.Enum(enum_cls, native_enum=False, length=length,
                   values_callable=lambda e: [m.value for m in e])


class Street(db.Model):
    __tablename__ = "streets"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(64), nullable=False, unique=True)

    communities = db.relationship("Community", back_populates="street", order_by="Community.id")


class Community(db.Model):
    __tablename__ = "communities"

    id = db.Column(db.Integer, primary_key=True)
    street_id = db.Column(db.Integer, db.ForeignKey("streets.id"), nullable=False, index=True)
    name = db.Column(db.String(64), nullable=False)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    street = db.relationship("Street", back_populates="communities")
    bodies = db.relationship("Body", back_populates="community", order_by="Body.id")

    __table_args__ = (db.UniqueConstraint("street_id", "name"),)

    def __repr__(self):
        return f"<Community {self.id} {self.name}>"

    def can_manage(self, user):
        return user.is_authenticated and user.is_admin_of(self)

    def can_staff(self, user):
        return user.is_authenticated and user.is_staff_of(self)

    def body_by_preset(self, preset):
        return next((b for b in self.bodies if b.preset == preset), None)


class Household(db.Model):
    __tablename__ = "households"

    id = db.Column(db.Integer, primary_key=True)
    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), nullable=False, index=True)
    building = db.Column(db.String(16), nullable=False)
    unit = db.Column(db.String(16), nullable=False)
    room = db.Column(db.String(16), nullable=False)

    community = db.relationship("Community")
    residents = db.relationship("User", back_populates="household")

    __table_args__ = (db.UniqueConstraint("community_id", "building", "unit", "room"),)

    @property
    def address(self):
        return _("%(building)s栋%(unit)s单元%(room)s室", building=self.building, unit=self.unit, room=self.room)

    @classmethod
    def get_or_create(cls, community_id, building, unit, room):
        found = cls.query.filter_by(community_id=community_id, building=building,
                                    unit=unit, room=room).first()
        if found:
            return found
        household = cls(community_id=community_id, building=building, unit=unit, room=room)
        db.session.add(household)
        return household


class CommunityRole(db.Model):
    """A standing role of a person: community admin or staff, or admin of a whole street."""

    __tablename__ = "community_roles"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), nullable=True, index=True)
    street_id = db.Column(db.Integer, db.ForeignKey("streets.id"), nullable=True, index=True)
    kind = db.Column(str_enum(RoleKind, 16),
                     nullable=False)

    user = db.relationship("User", back_populates="roles")
    community = db.relationship("Community")
    street = db.relationship("Street")

    __table_args__ = (
        db.UniqueConstraint("user_id", "community_id", "street_id", "kind"),
        db.CheckConstraint("(community_id IS NULL) <> (street_id IS NULL)", name="one_scope"),
    )


class Body(db.Model):
    """A set of members that meets and decides, bound to a legal rule preset."""

    __tablename__ = "bodies"

    id = db.Column(db.Integer, primary_key=True)
    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), nullable=False, index=True)
    preset = db.Column(db.String(40), nullable=False)
    name = db.Column(db.String(64), nullable=False)
    quorum = db.Column(db.String(16), nullable=False)          # e.g. ">1/2", ">=2/3"
    majority = db.Column(db.String(16), nullable=False)
    majority_base = db.Column(db.String(16), nullable=False)   # members | present
    notice_days = db.Column(db.Integer, nullable=False)
    residents_base = db.Column(db.String(16), nullable=True)   # residents_assembly only
    # Marked public by the community admin (audited): as public as a 居民会议 (observers, results).
    is_marked_public = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())

    community = db.relationship("Community", back_populates="bodies")
    memberships = db.relationship("Membership", back_populates="body",
                                  cascade="all, delete-orphan", order_by="Membership.id")

    __table_args__ = (db.UniqueConstraint("community_id", "preset"),)

    @classmethod
    def from_preset(cls, community, key):
        preset = rules.PRESETS[key]
        return cls(community=community, preset=key, name=preset.name, **cls.rule_columns(preset.rule))

    @staticmethod
    def rule_columns(rule):
        return {
            "quorum": str(rule.quorum),
            "majority": str(rule.majority),
            "majority_base": rule.majority_base.value,
            "notice_days": rule.notice_days,
            "residents_base": rule.residents_base.value if rule.residents_base else None,
        }

    @property
    def preset_info(self):
        return rules.PRESETS[self.preset]

    @property
    def rule(self):
        preset_rule = self.preset_info.rule
        return rules.BodyRule(
            quorum=rules.Threshold.parse(self.quorum),
            majority=rules.Threshold.parse(self.majority),
            majority_base=rules.Base(self.majority_base),
            notice_days=self.notice_days,
            residents_base=rules.ResidentsBase(self.residents_base) if self.residents_base else None,
            plan_with_notice=preset_rule.plan_with_notice,
        )

    @property
    def is_public(self):
        """Its meetings admit the community's residents as observers, its results are public:
        by law (居民会议) or because the community marked it so."""
        return self.preset_info.is_public or self.is_marked_public

    @property
    def is_public_by_law(self):
        return self.preset_info.is_public

    @property
    def results_public(self):
        """Its closed votes' receipts and results are public (app/votes/visibility.py)."""
        return self.is_public or self.preset_info.results_public

    @property
    def meeting_name(self):
        return rules.meeting_name(self.name)

    @property
    def voting_members(self):
        return [m for m in self.memberships if m.is_voting]

    def membership_of(self, user):
        # A body may have thousands of members (居民会议: every resident) and a user a handful
        # of memberships: read the user's side unless the body's is already loaded.
        if "memberships" in self.__dict__:
            return next((m for m in self.memberships if m.user_id == user.id), None)
        return next((m for m in getattr(user, "memberships", ())
                     if m.body_id == self.id or (m.body_id is None and m.body is self)), None)

    @staticmethod
    def member_counts(bodies, voting_only=False):
        """{body id: number of members} (voting members only if asked) in one query, without
        loading the members."""
        ids = [body.id for body in bodies]
        if not ids:
            return {}
        query = (db.select(Membership.body_id, db.func.count()).where(Membership.body_id.in_(ids))
                 .group_by(Membership.body_id))
        if voting_only:
            query = query.where(Membership.is_voting.is_(True))
        counts = dict(db.session.execute(query).all())
        return {body_id: counts.get(body_id, 0) for body_id in ids}

    def is_member(self, user):
        return self.membership_of(user) is not None

    def is_chair(self, user):
        m = self.membership_of(user)
        return m is not None and m.role is MemberRole.CHAIR

    def is_secretary(self, user):
        m = self.membership_of(user)
        return m is not None and m.role is MemberRole.SECRETARY


class MemberRole(str, enum.Enum):
    CHAIR = "chair"
    SECRETARY = "secretary"
    MEMBER = "member"

    @property
    def label(self):
        return _(MEMBER_ROLE_LABELS[self.value])

    @property
    def message(self):
        """The label as a text translated when shown (a parameter of a notification)."""
        return Message(MEMBER_ROLE_LABELS[self.value])


MEMBER_ROLE_LABELS = {"chair": N_("主持人"), "secretary": N_("记录员"), "member": N_("成员")}


class Membership(db.Model):
    __tablename__ = "memberships"

    id = db.Column(db.Integer, primary_key=True)
    body_id = db.Column(db.Integer, db.ForeignKey("bodies.id"), nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    role = db.Column(str_enum(MemberRole, 16), nullable=False, default=MemberRole.MEMBER)
    is_voting = db.Column(db.Boolean, nullable=False, default=True)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    body = db.relationship("Body", back_populates="memberships")
    user = db.relationship("User", back_populates="memberships")

    __table_args__ = (db.UniqueConstraint("body_id", "user_id"),)

    @property
    def label(self):
        if self.role is MemberRole.MEMBER:
            return _("%(body)s成员", body=self.body.name)
        return _("%(body)s%(role)s", body=self.body.name, role=self.role.label)


class HandlerKind(str, enum.Enum):
    SOCIAL_ORG = "social_org"
    PROPERTY = "property"
    STREET_DEPT = "street_dept"

    @property
    def label(self):
        return _(HANDLER_KIND_LABELS[self.value])


HANDLER_KIND_LABELS = {"social_org": N_("社会组织"), "property": N_("物业服务企业"), "street_dept": N_("街道科室")}


class HandlerOrg(db.Model):
    """An organisation that answers assigned proposals: 社会组织, 物业, 街道科室."""

    __tablename__ = "handler_orgs"

    id = db.Column(db.Integer, primary_key=True)
    street_id = db.Column(db.Integer, db.ForeignKey("streets.id"), nullable=False, index=True)
    # None: serves every community of the street (a street department).
    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), nullable=True, index=True)
    kind = db.Column(str_enum(HandlerKind, 16), nullable=False)
    name = db.Column(db.String(64), nullable=False)

    street = db.relationship("Street")
    community = db.relationship("Community")
    links = db.relationship("HandlerMember", back_populates="org", cascade="all, delete-orphan")

    def serves(self, community):
        return self.street_id == community.street_id and self.community_id in (None, community.id)

    def has_member(self, user):
        return any(link.user_id == user.id for link in self.links)


class HandlerMember(db.Model):
    __tablename__ = "handler_members"

    id = db.Column(db.Integer, primary_key=True)
    org_id = db.Column(db.Integer, db.ForeignKey("handler_orgs.id"), nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)

    org = db.relationship("HandlerOrg", back_populates="links")
    user = db.relationship("User", backref=db.backref("handler_links", cascade="all, delete-orphan"))

    __table_args__ = (db.UniqueConstraint("org_id", "user_id"),)
