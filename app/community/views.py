"""Community pages: the front page (streets and communities), the community home, the admin pages."""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from app.auth import operations as auth_ops
from app.auth.forms import RejectForm
from app.auth.models import User, UserState
from app.community import cards, operations, publicity, rules
from app.community.operations import load_community
from app.community.forms import (
    AddHandlerPersonForm, AddMemberForm, BodyPublicForm, BodyRuleForm, CreateHandlerOrgForm,
    ImportRegisterForm, UpdateMemberForm,
)
from app.community.models import Body, Community, HandlerMember, HandlerOrg, Membership, Street
from app.community.register_import import RegisterFileError
from app.core import audit
from app.core.db import get_or_404
from app.core.paging import CappedPage, page_by_ids
from app.core.web import refuse
from app.core.i18n import N_
from app.core.refusal import Refused
from app.core.permissions import require
from app.extensions import db

bp = Blueprint("community", __name__)
PAGE_SIZE = 50


@bp.route("/")
def index():
    streets = Street.query.order_by(Street.id).all()
    return render_template("community/index.html", streets=streets)


@bp.route("/c/<int:community_id>/")
@login_required
def home(community_id):
    community = load_community(current_user, community_id)
    return render_template("community/home.html", community=community,
                           member_counts=Body.member_counts(community.bodies))


@bp.route("/c/<int:community_id>/admin/residents")
@login_required
def residents(community_id):
    community = load_community(current_user, community_id, admin=True)
    state = request.args.get("state", "")
    q = request.args.get("q", "").strip()
    page = max(request.args.get("page", 1, type=int), 1)
    ids = db.select(User.id).where(User.community_id == community.id)
    if state in {s.value for s in UserState}:
        ids = ids.where(User.state == UserState(state))
    if q:
        ids = ids.where(or_(User.name.contains(q), User.phone.contains(q)))
    # Newest first, ids first (app.core.paging); each row shows the resident's household: loaded
    # with the page's users.
    pagination = page_by_ids(ids.order_by(User.id.desc()), User, page, PAGE_SIZE,
                             options=[selectinload(User.household)])
    return render_template("community/residents.html", community=community, pagination=pagination,
                           state=state, q=q, reject_form=RejectForm())


def _load_resident(community, user_id):
    user = get_or_404(User, user_id, _("找不到该居民。"))
    if user.community_id != community.id:
        raise Refused("not_found", N_("找不到该居民。"))
    return user


@bp.route("/c/<int:community_id>/admin/residents/<int:user_id>/verify", methods=["POST"])
@login_required
def verify_resident(community_id, user_id):
    community = load_community(current_user, community_id, admin=True)
    user = _load_resident(community, user_id)
    auth_ops.verify(current_user, user)
    flash(_("已通过 %(name)s 的认证。", name=user.name), "success")
    return redirect(request.referrer or url_for(".residents", community_id=community.id))


@bp.route("/c/<int:community_id>/admin/residents/<int:user_id>/reject", methods=["POST"])
@login_required
def reject_resident(community_id, user_id):
    community = load_community(current_user, community_id, admin=True)
    user = _load_resident(community, user_id)
    form = RejectForm()
    if not form.validate_on_submit():
        flash(_("请写明不通过的原因。"), "error")
        return redirect(url_for(".residents", community_id=community.id, state="pending")), 303
    auth_ops.reject(current_user, user, form.reason.data)
    flash(_("已驳回 %(name)s 的认证申请，并告知原因。", name=user.name), "success")
    return redirect(url_for(".residents", community_id=community.id, state="pending"))


@bp.route("/c/<int:community_id>/admin/bodies")
@login_required
def bodies(community_id):
    community = load_community(current_user, community_id, admin=True)
    return render_template("community/bodies.html", community=community,
                           voting_counts=Body.member_counts(community.bodies, voting_only=True))


def _rule_form(body):
    form = BodyRuleForm(obj=body)
    preset = body.preset_info
    quorums = rules.QUORUM_OPTIONS.get(body.preset, [preset.rule.quorum])
    form.quorum.choices = [SelectChoice(str(t), _("实到 %(symbol)s 应到的 %(fraction)s", symbol=t.symbol(),
                                                  fraction=str(t.fraction))) for t in quorums]
    bases = rules.MAJORITY_BASE_OPTIONS.get(body.preset, [preset.rule.majority_base])
    form.majority_base.choices = [SelectChoice(b.value, _("应到人数") if b is rules.Base.MEMBERS else _("实到人数"))
                                  for b in bases]
    form.residents_base.choices = [SelectChoice(b.value, _(label)) for b, label in rules.RESIDENTS_BASE_LABELS.items()]
    return form


@bp.route("/c/<int:community_id>/admin/bodies/<int:body_id>", methods=["GET", "POST"])
@login_required
def body(community_id, body_id):
    community = load_community(current_user, community_id, admin=True)
    body = operations.load_body(community, body_id)
    form = _rule_form(body)
    status = 200
    if form.validate_on_submit():
        try:
            changed = operations.update_body_rule(
                current_user, body, quorum=form.quorum.data, majority_base=form.majority_base.data,
                notice_days=form.notice_days.data, residents_base=form.residents_base.data)
            flash(_("议事规则已修改并记入审计日志。") if changed else _("规则没有变化。"), "success")
            return redirect(url_for(".body", community_id=community.id, body_id=body.id))
        except Refused as exc:
            status = refuse(exc)
    elif form.errors:
        status = 422
    history = (audit.AuditEvent.query
               .filter_by(object_type="bodies", object_id=body.id)
               .order_by(audit.AuditEvent.id.desc()).limit(50).all())
    # A 居民会议 has every resident as a member: its list is paged.
    members = db.paginate(db.select(Membership).where(Membership.body_id == body.id)
                          .options(selectinload(Membership.user)).order_by(Membership.id),
                          page=max(request.args.get("page", 1, type=int), 1), per_page=PAGE_SIZE,
                          error_out=False)
    return render_template("community/body.html", community=community, body=body, form=form,
                           add_form=AddMemberForm(), public_form=BodyPublicForm(is_public=body.is_public),
                           history=history, members=members,
                           voting_count=Body.member_counts([body], voting_only=True)[body.id]), status


@bp.route("/c/<int:community_id>/admin/bodies/<int:body_id>/public", methods=["POST"])
@login_required
def body_public(community_id, body_id):
    """Mark the body public or not (app/community/publicity.py)."""
    community = load_community(current_user, community_id, admin=True)
    body = operations.load_body(community, body_id)
    form = BodyPublicForm()
    if form.validate_on_submit():
        try:
            changed = publicity.set_public(current_user, body, form.is_public.data)
        except Refused as exc:
            refuse(exc, form)
        else:
            flash((_("已设为公开组织。变更已记入审计日志。") if body.is_public
                   else _("已设为不公开组织。变更已记入审计日志。")) if changed else _("设置没有变化。"), "success")
    return redirect(url_for(".body", community_id=community.id, body_id=body.id))


@bp.route("/c/<int:community_id>/admin/bodies/<int:body_id>/members", methods=["POST"])
@login_required
def add_member(community_id, body_id):
    community = load_community(current_user, community_id, admin=True)
    body = operations.load_body(community, body_id)
    form = AddMemberForm()
    if not form.validate_on_submit():
        flash(_("；").join(e for errors in form.errors.values() for e in errors), "error")
    else:
        try:
            membership = operations.add_member(current_user, body, form.phone.data,
                                               form.role.data, form.is_voting.data)
            flash(_("已将 %(name)s 加入%(body)s。", name=membership.user.name, body=body.name), "success")
        except Refused as exc:
            refuse(exc)
    return redirect(url_for(".body", community_id=community.id, body_id=body.id))


def _load_membership(community, body_id, membership_id):
    body = operations.load_body(community, body_id)
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.body_id != body.id:
        raise Refused("not_found", N_("找不到该成员。"))
    return membership


@bp.route("/c/<int:community_id>/admin/bodies/<int:body_id>/members/<int:membership_id>",
          methods=["POST"])
@login_required
def update_member(community_id, body_id, membership_id):
    community = load_community(current_user, community_id, admin=True)
    membership = _load_membership(community, body_id, membership_id)
    form = UpdateMemberForm()
    if form.validate_on_submit():
        operations.update_member(current_user, membership, form.role.data, form.is_voting.data)
        flash(_("成员身份已更新。"), "success")
    return redirect(url_for(".body", community_id=community.id, body_id=body_id))


@bp.route("/c/<int:community_id>/admin/bodies/<int:body_id>/members/<int:membership_id>/remove",
          methods=["POST"])
@login_required
def remove_member(community_id, body_id, membership_id):
    community = load_community(current_user, community_id, admin=True)
    membership = _load_membership(community, body_id, membership_id)
    name = membership.user.name
    operations.remove_member(current_user, membership)
    flash(_("已将 %(name)s 移出。", name=name), "success")
    return redirect(url_for(".body", community_id=community.id, body_id=body_id))


@bp.route("/c/<int:community_id>/admin/import", methods=["GET", "POST"])
@login_required
def import_register(community_id):
    community = load_community(current_user, community_id, admin=True)
    form = ImportRegisterForm()
    errors, created = [], []
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            created, errors = operations.import_register(current_user, community,
                                                         upload.filename, upload.read())
        except RegisterFileError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            status = 422
        else:
            if errors:
                db.session.rollback()
                status = 422
            else:
                issued = cards.issue_cards(current_user, community, [u for u, _ in created])
                return render_template("community/letters.html", community=community,
                                       pairs=created, just_imported=True, cards=cards.printable(issued))
    elif form.errors:
        status = 422
    return render_template("community/import.html", community=community, form=form,
                           errors=errors), status


@bp.route("/c/<int:community_id>/admin/letters", methods=["POST"])
@login_required
def letters(community_id):
    community = load_community(current_user, community_id, admin=True)
    user_ids = [int(x) for x in request.form.getlist("user_id") if x.isdigit()]
    pairs = operations.reissue_activation_codes(current_user, community, user_ids or None)
    issued = cards.issue_cards(current_user, community, [u for u, _ in pairs])
    return render_template("community/letters.html", community=community, pairs=pairs,
                           just_imported=False, cards=cards.printable(issued))


@bp.route("/c/<int:community_id>/admin/cards", methods=["POST"])
@login_required
def print_cards(community_id):
    """New check-in cards for the chosen residents (the old ones stop working), to print now."""
    community = load_community(current_user, community_id, admin=True)
    user_ids = [int(x) for x in request.form.getlist("user_id") if x.isdigit()]
    pairs = cards.issue_cards(current_user, community, cards.residents(community, user_ids))
    return render_template("community/cards.html", community=community, pairs=pairs,
                           cards=cards.printable(pairs))


@bp.route("/c/<int:community_id>/admin/audit")
@login_required
def audit_log(community_id):
    community = load_community(current_user, community_id, admin=True)
    page = max(request.args.get("page", 1, type=int), 1)
    # A community's log grows by hundreds of thousands of events in ten years: not counted whole.
    pagination = CappedPage(db.select(audit.AuditEvent).where(audit.AuditEvent.community_id == community.id)
                            .options(selectinload(audit.AuditEvent.actor))   # each row names who acted
                            .order_by(audit.AuditEvent.id.desc()), page=page, per_page=PAGE_SIZE)
    return render_template("community/audit.html", community=community, pagination=pagination,
                           chain_head=audit.current_head())


@bp.route("/c/<int:community_id>/admin/audit.csv")
@login_required
def audit_csv(community_id):
    community = load_community(current_user, community_id, admin=True)
    events = (audit.AuditEvent.query.filter_by(community_id=community.id)
              .order_by(audit.AuditEvent.id).all())
    return Response("\ufeff" + audit.export_csv(events), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=audit-{community.id}.csv"})


@bp.route("/street/<int:street_id>/")
@login_required
def street(street_id):
    street = get_or_404(Street, street_id, _("找不到该街道。"))
    require(current_user.is_street_admin_of(street.id), _("只有街道管理员可以查看街道概况。"))
    return render_template("community/street.html", street=street, counts=operations.street_counts(street))


@bp.route("/street/<int:street_id>/handlers", methods=["GET", "POST"])
@login_required
def handlers(street_id):
    """承办单位: the organisations proposals are assigned to, and their people."""
    street = get_or_404(Street, street_id, _("找不到该街道。"))
    managed = [c for c in street.communities if current_user.is_admin_of(c)]
    require(current_user.is_street_admin_of(street.id) or managed, _("只有街道或社区管理员可以管理承办单位。"))
    form = CreateHandlerOrgForm()
    scopes = ([SelectChoice(0, _("全街道"))] if current_user.is_street_admin_of(street.id) else []) + \
        [SelectChoice(c.id, c.name) for c in managed]
    form.community_id.choices = scopes
    status = 200
    if form.validate_on_submit():
        community = db.session.get(Community, form.community_id.data) if form.community_id.data else None
        if community is not None and community.street_id != street.id:
            raise Refused("not_found", N_("找不到该社区。"))
        try:
            org = operations.create_handler_org(current_user, street, name=form.name.data,
                                                kind=form.kind.data, community=community)
            flash(_("已添加承办单位“%(org)s”。", org=org.name), "success")
            return redirect(url_for(".handlers", street_id=street.id))
        except Refused as exc:
            status = refuse(exc)
    elif form.errors:
        status = 422
    orgs = [o for o in HandlerOrg.query.filter_by(street_id=street.id).order_by(HandlerOrg.id)
            if operations.can_manage_handlers(current_user, street, o.community)]
    return render_template("community/handlers.html", street=street, orgs=orgs, form=form,
                           person_form=AddHandlerPersonForm()), status


def _load_org(street_id, org_id):
    org = db.session.get(HandlerOrg, org_id)
    if org is None or org.street_id != street_id:
        raise Refused("not_found", N_("找不到该承办单位。"))
    if not operations.can_manage_handlers(current_user, org.street, org.community):
        raise Refused("not_found", N_("找不到该承办单位。"))
    return org


@bp.route("/street/<int:street_id>/handlers/<int:org_id>/people", methods=["POST"])
@login_required
def add_handler_person(street_id, org_id):
    org = _load_org(street_id, org_id)
    form = AddHandlerPersonForm()
    if not form.validate_on_submit():
        flash(_("；").join(e for errors in form.errors.values() for e in errors), "error")
    else:
        try:
            link = operations.add_handler_person(current_user, org, form.phone.data)
            flash(_("已将 %(name)s 设为%(org)s的承办人。", name=link.user.name, org=org.name), "success")
        except Refused as exc:
            refuse(exc)
    return redirect(url_for(".handlers", street_id=street_id))


@bp.route("/street/<int:street_id>/handlers/<int:org_id>/people/<int:link_id>/remove", methods=["POST"])
@login_required
def remove_handler_person(street_id, org_id, link_id):
    org = _load_org(street_id, org_id)
    link = db.session.get(HandlerMember, link_id)
    if link is None or link.org_id != org.id:
        raise Refused("not_found", N_("找不到该承办人。"))
    name = link.user.name
    operations.remove_handler_person(current_user, link)
    flash(_("已将 %(name)s 移出%(org)s。", name=name, org=org.name), "success")
    return redirect(url_for(".handlers", street_id=street_id))
