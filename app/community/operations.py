"""Community operations: bodies and their rules, memberships, the residents' register."""
from app.auth.models import RoleKind, User, UserState
from app.community import rules
from app.community.models import (
    Body, Community, CommunityRole, HandlerKind, HandlerMember, HandlerOrg, Household, MemberRole, Membership,
)
from app.community.register_import import RowError, parse_register, read_table
from app.core.i18n import N_, NP_, Message
from app.core import audit
from app.core.refusal import Refused
from app.core.notify import notify
from app.core.paging import kept_count
from app.core.permissions import require, require_login
from app.core.sanitize import clean_text
from app.core.timeutil import utcnow
from app.extensions import db


def load_community(user, community_id, *, staff=False, admin=False):
    """The community if the user may act in it as asked; another community's pages are a 404.

    Answering 404 rather than 403 keeps one community from learning what another has.
    """
    require_login(user)
    community = db.session.get(Community, community_id)
    if community is None:
        raise Refused("not_found", N_("找不到该社区。"))
    if admin and not user.is_admin_of(community):
        raise (Refused("forbidden", N_("只有本社区管理员可以进行此操作。")) if user.belongs_to(community)
               else Refused("not_found", N_("找不到该社区。")))
    if staff and not user.is_staff_of(community):
        raise (Refused("forbidden", N_("只有本社区工作人员可以进行此操作。")) if user.belongs_to(community)
               else Refused("not_found", N_("找不到该社区。")))
    if not user.belongs_to(community):
        raise Refused("not_found", N_("找不到该社区。"))
    return community


def load_body(community, body_id):
    body = db.session.get(Body, body_id)
    if body is None or body.community_id != community.id:
        raise Refused("not_found", N_("找不到该组织。"))
    return body


def update_body_rule(actor, body, *, quorum, majority_base, notice_days, residents_base=None):
    """Change a body's rule within what the law and its preset allow; every change audited."""
    require(actor.is_admin_of(body.community), N_("只有社区管理员可以修改议事规则。"))
    preset = body.preset_info
    allowed_quorums = {str(t) for t in rules.QUORUM_OPTIONS.get(body.preset, [preset.rule.quorum])}
    allowed_bases = {b.value for b in rules.MAJORITY_BASE_OPTIONS.get(body.preset,
                                                                      [preset.rule.majority_base])}
    if quorum not in allowed_quorums:
        raise Refused("quorum_not_allowed", N_("该组织不能采用这一法定人数规则。"))
    if majority_base not in allowed_bases:
        raise Refused("majority_base_not_allowed", N_("该组织不能采用这一表决基数。"))
    if notice_days is None or notice_days < preset.rule.notice_days or notice_days > 60:
        raise Refused("notice_days", NP_("会议通知期不能少于法定的 %(num)d 天，也不能超过 60 天。",
                                         "会议通知期不能少于法定的 %(num)d 天，也不能超过 60 天。"),
                      num=preset.rule.notice_days)
    if preset.rule.residents_base is not None:
        try:
            rules.ResidentsBase(residents_base)
        except ValueError:
            raise Refused("residents_base", N_("请选择居民会议的计算基数。")) from None
    else:
        residents_base = None
    before = {"quorum": body.quorum, "majority_base": body.majority_base,
              "notice_days": body.notice_days, "residents_base": body.residents_base}
    after = {"quorum": quorum, "majority_base": majority_base, "notice_days": notice_days,
             "residents_base": residents_base}
    if before == after:
        return False
    for key, value in after.items():
        setattr(body, key, value)
    body.rule.check()
    audit.record("body.rule_changed", actor=actor, obj=body, before=before, after=after)
    return True


def add_member(actor, body, phone, role=MemberRole.MEMBER, is_voting=True):
    require(actor.is_admin_of(body.community), N_("只有社区管理员可以调整组织成员。"))
    user = User.query.filter_by(phone=(phone or "").strip()).first()
    if user is None or user.community_id != body.community_id:
        raise Refused("no_such_resident", N_("本社区没有这个手机号的居民。"))
    if body.is_member(user):
        raise Refused("conflict", N_("%(name)s 已是%(body)s成员。"), name=user.name, body=body.name)
    membership = Membership(body=body, user=user, role=MemberRole(role), is_voting=is_voting)
    db.session.add(membership)
    audit.record("membership.added", actor=actor, obj=body, user_id=user.id,
                 role=membership.role.value, is_voting=is_voting)
    notify([user], Message(N_("您已被加入%(body)s（%(role)s）。"), body=body.name, role=membership.role.message))
    return membership


def update_member(actor, membership, role, is_voting):
    require(actor.is_admin_of(membership.body.community), N_("只有社区管理员可以调整组织成员。"))
    before = {"role": membership.role.value, "is_voting": membership.is_voting}
    membership.role = MemberRole(role)
    membership.is_voting = bool(is_voting)
    audit.record("membership.changed", actor=actor, obj=membership.body, user_id=membership.user_id,
                 before=before, after={"role": membership.role.value, "is_voting": membership.is_voting})


def remove_member(actor, membership):
    body = membership.body
    require(actor.is_admin_of(body.community), N_("只有社区管理员可以调整组织成员。"))
    audit.record("membership.removed", actor=actor, obj=body, user_id=membership.user_id)
    db.session.delete(membership)


def import_register(actor, community, filename, data):
    """All or nothing: returns (created users with codes, errors). Errors mean nothing was written."""
    require(actor.is_admin_of(community), N_("只有社区管理员可以导入居民名册。"))
    table = read_table(filename, data)
    rows, errors = parse_register(table)
    phones = [r.phone for r in rows]
    taken = {u.phone for u in User.query.filter(User.phone.in_(phones))} if phones else set()
    errors += [RowError(r.line, Message(N_("手机号 %(phone)s 已有账号"), phone=r.phone)) for r in rows if r.phone in taken]
    if errors:
        return [], sorted(errors, key=lambda e: e.line)

    bodies = {key: community.body_by_preset(key)
              for key in ("representatives_assembly", "party_members_assembly")}
    households = {}
    created = []
    for row in rows:
        key = (row.building, row.unit, row.room)
        if key not in households:
            households[key] = Household.get_or_create(community.id, *key)
        user = User(phone=row.phone, name=row.name, community=community,
                    household=households[key], state=UserState.VERIFIED, verified_dt=utcnow())
        code = user.new_activation_code()
        db.session.add(user)
        if row.representative and bodies["representatives_assembly"]:
            db.session.add(Membership(body=bodies["representatives_assembly"], user=user))
        if row.party_member and bodies["party_members_assembly"]:
            db.session.add(Membership(body=bodies["party_members_assembly"], user=user))
        created.append((user, code))
    db.session.flush()
    audit.record("register.imported", actor=actor, community_id=community.id,
                 count=len(created), filename=filename,
                 user_ids=[u.id for u, _ in created])
    return created, []


def reissue_activation_codes(actor, community, user_ids=None):
    """New one-time codes for residents who have not activated; old codes stop working."""
    require(actor.is_admin_of(community), N_("只有社区管理员可以打印激活信。"))
    query = User.query.filter(User.community_id == community.id, User.password_hash.is_(None),
                              User.state == UserState.VERIFIED)
    if user_ids:
        query = query.filter(User.id.in_(user_ids))
    users = query.order_by(User.household_id, User.id).all()
    pairs = [(user, user.new_activation_code()) for user in users]
    audit.record("register.codes_issued", actor=actor, community_id=community.id,
                 count=len(pairs), user_ids=[u.id for u, _ in pairs])
    return pairs


def street_counts(street):
    """{community id: {"residents", "pending", "bodies"}} for a street's overview, in three queries
    whatever the number of communities. The residents of a large street are a kept count (up to a
    minute old, app.core.paging); those waiting for verification, whom the admin acts on, are
    counted afresh."""
    ids = [community.id for community in street.communities]
    counts = {cid: {"residents": 0, "pending": 0, "bodies": 0} for cid in ids}
    if not ids:
        return counts

    def grouped(state):
        return dict(db.session.execute(
            db.select(User.community_id, db.func.count())
            .where(User.community_id.in_(ids), User.state == state).group_by(User.community_id)).all())

    residents = kept_count((str(db.engine.url), "street residents", street.id, tuple(ids)),
                           lambda: grouped(UserState.VERIFIED), size=lambda found: sum(found.values()))
    pending = grouped(UserState.PENDING)
    bodies = dict(db.session.execute(db.select(Body.community_id, db.func.count())
                                     .where(Body.community_id.in_(ids)).group_by(Body.community_id)).all())
    for cid in ids:
        counts[cid].update(residents=residents.get(cid, 0), pending=pending.get(cid, 0), bodies=bodies.get(cid, 0))
    return counts


def can_manage_handlers(user, street, community=None):
    """Street admins manage every organisation; a community admin those of their community."""
    if user.is_street_admin_of(street.id):
        return True
    return community is not None and user.is_admin_of(community)


def create_handler_org(actor, street, *, name, kind, community=None):
    require(can_manage_handlers(actor, street, community), N_("只有街道或社区管理员可以管理承办单位。"))
    name = clean_text(name, 64)
    if not name:
        raise Refused("invalid", N_("请填写单位名称。"))
    try:
        kind = HandlerKind(kind)
    except ValueError:
        raise Refused("invalid", N_("请选择单位类型。")) from None
    if HandlerOrg.query.filter_by(street_id=street.id, name=name).first():
        raise Refused("conflict", N_("已有名为“%(name)s”的承办单位。"), name=name)
    org = HandlerOrg(street=street, community_id=community.id if community else None, kind=kind,
                     name=name)
    db.session.add(org)
    audit.record("handler_org.created", actor=actor, obj=org,
                 community_id=community.id if community else None, kind=kind.value, name=name)
    return org


def add_handler_person(actor, org, phone):
    require(can_manage_handlers(actor, org.street, org.community), N_("只有街道或社区管理员可以管理承办单位。"))
    user = User.query.filter_by(phone=(phone or "").strip()).first()
    if user is None:
        raise Refused("no_such_user", N_("没有这个手机号的用户，请先让对方注册。"))
    if org.has_member(user):
        raise Refused("conflict", N_("%(name)s 已是%(org)s的承办人。"), name=user.name, org=org.name)
    link = HandlerMember(org=org, user=user)
    db.session.add(link)
    audit.record("handler_org.person_added", actor=actor, obj=org, user_id=user.id)
    notify([user], Message(N_("您已被设为%(org)s的承办人，可以在“承办”页面处理交办的事项。"), org=org.name))
    return link


def remove_handler_person(actor, link):
    org = link.org
    require(can_manage_handlers(actor, org.street, org.community), N_("只有街道或社区管理员可以管理承办单位。"))
    audit.record("handler_org.person_removed", actor=actor, obj=org, user_id=link.user_id)
    db.session.delete(link)


def staff_of(community):
    """The community's staff and admins: who hears of what needs the community's hand."""
    return (User.query.join(CommunityRole, CommunityRole.user_id == User.id)
            .filter(CommunityRole.community_id == community.id,
                    CommunityRole.kind.in_([RoleKind.STAFF, RoleKind.ADMIN])).all())
