"""Proposal pages: the community's list, writing, the proposal with its trail, the queues."""
from flask import (Blueprint, abort, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from app.community.operations import load_community
from app.community.models import Street
from app.core.db import get_or_404
from app.core.web import refuse, send_upload, follow_button
from app.core.forms import ConfirmForm
from app.core.i18n import N_
from app.core.refusal import Refused
from app.core.permissions import require
from app.core.timeutil import utcnow
from app.extensions import db
from app.proposals import comments, drafts, operations, queries, search
from app.proposals.forms import (ActionForm, CommentForm, HideCommentForm, ProposalForm,
                                 SettingsForm)
from app.proposals.workflow import Action, ProposalState

bp = Blueprint("proposals", __name__)

# Actions posted to /act/<name>, and the form fields each one reads.
ACTIONS = {
    "publish": lambda u, p, f: operations.publish(u, p),
    "withdraw": lambda u, p, f: operations.withdraw(u, p),
    "cosign": lambda u, p, f: operations.cosign(u, p),
    "take_to_review": lambda u, p, f: operations.take_to_review(u, p),
    "accept": lambda u, p, f: operations.accept(u, p),
    "decline": lambda u, p, f: operations.decline(u, p, f.ground.data, f.reason.data),
    "merge": lambda u, p, f: operations.merge(u, p, f.target_id.data, f.reason.data or ""),
    "assign": lambda u, p, f: operations.assign(u, p, _int(f.org_id.data), f.days.data),
    "extend": lambda u, p, f: operations.extend(u, p, f.reason.data, f.days.data),
    "return_assignment": lambda u, p, f: operations.return_assignment(u, p, f.reason.data),
    "answer": lambda u, p, f: operations.answer(u, p, f.category.data, f.body.data,
                                                f.reason.data or ""),
    "rate": lambda u, p, f: operations.rate(u, p, f.rating.data),
    "escalate": lambda u, p, f: operations.escalate(u, p, f.reason.data),
}
DONE = {
    "publish": _l("提案已发布，邀请邻居们附议吧。"),
    "withdraw": _l("提案已撤回。"),
    "cosign": _l("附议成功，您会收到这项提案的每一个进展。"),
    "take_to_review": _l("已提交审查。"),
    "accept": _l("已立案，请交办给承办单位。"),
    "decline": _l("已不予立案，并告知提案人。"),
    "merge": _l("已并案。"),
    "assign": _l("已交办。"),
    "extend": _l("答复期限已延长。"),
    "return_assignment": _l("已退回交办。"),
    "answer": _l("答复已提交。"),
    "rate": _l("感谢您的评价。"),
    "escalate": _l("已转为四议两公开事项。"),
}


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _user():
    return current_user if current_user.is_authenticated else None


# -- the list ------------------------------------------------------------------

@bp.route("/c/<int:community_id>/proposals/")
@login_required
def index(community_id):
    community = load_community(current_user, community_id)
    settings = operations.settings_for(community)
    args = request.args
    filters = {
        "state": args.get("state", ""),
        "category": args.get("category", ""),
        "mine": args.get("mine") == "1",
        "overdue": args.get("overdue") == "1",
        "q": args.get("q", "").strip()[:100],
    }
    page = queries.list_proposals(community, current_user, page=max(args.get("page", 1, type=int), 1),
                                     **filters)
    return render_template("proposals/index.html", community=community, settings=settings,
                           page=page, filters=filters, states=queries.LIST_STATES, now=utcnow())


@bp.route("/c/<int:community_id>/proposals/similar")
@login_required
def similar(community_id):
    community = load_community(current_user, community_id)
    q = request.args.get("q", "")[:120]
    exclude = request.args.get("exclude", type=int)
    found = search.similar_to(community, q, exclude_id=exclude) if len(q.strip()) >= 2 else []
    # `can_cosign` splits the hint: co-sign what still collects, read the answer of the rest.
    return jsonify(items=[{
        "id": p.id, "title": p.title, "state": p.effective_state().value,
        "state_label": p.effective_state().label, "cosign_count": p.cosign_count,
        "score": round(score, 3), **queries.similar_hint(p),
    } for p, score in found])


# -- writing -------------------------------------------------------------------

def _proposal_form(community, proposal=None):
    form = ProposalForm(obj=proposal)
    form.category.choices = [SelectChoice(c, c, render_kw={"data-uc": True}) for c in operations.settings_for(community).categories]
    return form


def _files():
    return [(f.filename, f.read()) for f in request.files.getlist("files") if f and f.filename]


@bp.route("/c/<int:community_id>/proposals/new", methods=["GET", "POST"])
@login_required
def new(community_id):
    community = load_community(current_user, community_id)
    form = _proposal_form(community)
    status = 200
    if form.validate_on_submit():
        try:
            proposal = drafts.create_draft(
                current_user, community, title=form.title.data, category=form.category.data,
                problem=form.problem.data, suggestion=form.suggestion.data,
                place=form.place.data or "", files=_files())
            flash(_("草稿已保存。请看看下面有没有相似的提案，再决定发布。"), "success")
            return redirect(url_for(".show", community_id=community.id, proposal_id=proposal.id))
        except Refused as exc:
            status = refuse(exc, form)
    elif form.errors:
        status = 422
    similar = search.similar_to(community, form.title.data or "") if form.title.data else []
    return render_template("proposals/form.html", community=community, form=form,
                           proposal=None, similar=_with_hints(similar)), status


def _with_hints(found):
    """Similar proposals with what the hint offers for each (co-sign, or see its answer)."""
    return [(p, queries.similar_hint(p)) for p, _ in found]


@bp.route("/c/<int:community_id>/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(community_id, proposal_id):
    community = load_community(current_user, community_id)
    proposal = operations.get_proposal(current_user, proposal_id, community_id=community.id)
    if not proposal.can_edit(current_user):
        raise Refused("forbidden", N_("只有提案人可以修改草稿；提案发布后不能再修改。"))
    form = _proposal_form(community, proposal)
    status = 200
    if form.validate_on_submit():
        try:
            drafts.update_draft(current_user, proposal, title=form.title.data,
                                    category=form.category.data, problem=form.problem.data,
                                    suggestion=form.suggestion.data, place=form.place.data or "",
                                    files=_files())
            flash(_("草稿已保存。"), "success")
            return redirect(url_for(".show", community_id=community.id, proposal_id=proposal.id))
        except Refused as exc:
            status = refuse(exc, form)
    elif form.errors:
        status = 422
    similar = search.similar_to(community, form.title.data or "", exclude_id=proposal.id)
    return render_template("proposals/form.html", community=community, form=form,
                           proposal=proposal, similar=_with_hints(similar)), status


# -- one proposal ------------------------------------------------------------------

def _load(community_id, proposal_id):
    return operations.get_proposal(_user(), proposal_id, community_id=community_id)


def _render_show(proposal, action_form=None, open_action=None, error=None, comment_form=None,
                 status=200):
    user = _user()
    now = utcnow()
    is_insider = user is not None and proposal.is_insider(user)
    action_form = action_form or ActionForm(formdata=None)
    action_form.org_id.choices = [SelectChoice("", _("请选择"))] + [
        SelectChoice(str(o.id), _("%(name)s（%(kind)s）", name=o.name, kind=_(o.kind.label))) for o in queries.handler_orgs_for(proposal.community)]
    actions = queries.actions_for(proposal, user, now)
    similar = []
    if proposal.state == ProposalState.draft.value:
        similar = search.similar_to(proposal.community, proposal.title, exclude_id=proposal.id)
    return render_template(
        "proposals/show.html", proposal=proposal, community=proposal.community, now=now,
        state=proposal.effective_state(now), deadline=proposal.deadline(now),
        is_insider=is_insider, actions=[a.value for a in actions], Action=Action,
        action_form=action_form, open_action=open_action, error=error,
        comment_form=comment_form or CommentForm(formdata=None), hide_form=HideCommentForm(formdata=None),
        comments=comments.comments(proposal), cosigners=queries.cosigners(proposal),
        timeline=queries.timeline(proposal), labels=queries.EVENT_LABELS,
        following=operations.is_following(proposal, user),
        has_cosigned=queries.has_cosigned(proposal, user),
        is_staff=bool(user and user.is_staff_of(proposal.community)),
        merge_targets=queries.merge_targets(proposal) if "merge" in [a.value for a in actions] else [],
        similar=_with_hints(similar), settings=proposal.settings,
        state_labels={s.value: s.label for s in ProposalState},
        can_rate_as_cosigner=queries.can_rate_as_cosigner(proposal, user),
        cosigner_ratings=queries.cosigner_ratings(proposal),
        unverified_author=queries.unverified_author_state(proposal, user),
    ), status


@bp.route("/c/<int:community_id>/proposals/<int:proposal_id>")
def show(community_id, proposal_id):
    """Public once published: the whole trail is open to everyone (DESIGN §3.7)."""
    proposal = _load(community_id, proposal_id)
    # Whoever first sees a lapsed collection writes the expiry down (and its people hear of it);
    # the page would show 已过期 anyway, as it is derived from the clock.
    operations.record_expiry(proposal)   # the request's end commits it, even on a GET
    return _render_show(proposal)


@bp.route("/c/<int:community_id>/proposals/<int:proposal_id>/cosigner-rating", methods=["POST"])
@login_required
def cosigner_rating(community_id, proposal_id):
    proposal = _load(community_id, proposal_id)
    form = ActionForm()
    form.org_id.choices = [SelectChoice("", "")]
    if not form.validate_on_submit():
        return _render_show(proposal, form, "cosigner_rate", _("请求无效，请刷新后重试。"), status=400)
    try:
        operations.rate_as_cosigner(current_user, proposal, form.rating.data)
    except Refused as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        return _render_show(_load(community_id, proposal_id), form, "cosigner_rate", exc.message,
                            status=exc.status)
    flash(_("感谢您的评价。"), "success")
    return redirect(url_for(".show", community_id=community_id, proposal_id=proposal_id))


@bp.route("/c/<int:community_id>/proposals/<int:proposal_id>/act/<action>", methods=["POST"])
@login_required
def act(community_id, proposal_id, action):
    proposal = _load(community_id, proposal_id)
    if action not in ACTIONS:
        abort(404)
    form = ActionForm()
    form.org_id.choices = [SelectChoice("", "")]
    if not form.validate_on_submit():
        message = _("；").join(e for errors in form.errors.values() for e in errors) or _("请求无效，请刷新后重试。")
        return _render_show(proposal, form, action, message, status=422 if form.errors else 400)
    try:
        ACTIONS[action](current_user, proposal, form)
    except Refused as exc:
        db.session.rollback()
        proposal = _load(community_id, proposal_id)
        if exc.status == 404:
            raise
        return _render_show(proposal, form, action, exc.message, status=exc.status)
    flash(str(DONE[action]), "success")
    return redirect(url_for(".show", community_id=community_id, proposal_id=proposal_id))


@bp.route("/c/<int:community_id>/proposals/<int:proposal_id>/comments", methods=["POST"])
@login_required
def comment(community_id, proposal_id):
    proposal = _load(community_id, proposal_id)
    form = CommentForm()
    if not form.validate_on_submit():
        message = _("；").join(e for errors in form.errors.values() for e in errors) or _("请求无效。")
        return _render_show(proposal, error=message, open_action="comment", comment_form=form,
                            status=422)
    try:
        c = comments.add_comment(current_user, proposal, form.body.data)
    except Refused as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        return _render_show(_load(community_id, proposal_id), error=exc.message,
                            open_action="comment", comment_form=form, status=exc.status)
    flash(_("评论已发表。"), "success")
    return redirect(url_for(".show", community_id=community_id, proposal_id=proposal_id,
                            _anchor=f"comment-{c.id}"))


@bp.route("/c/<int:community_id>/proposals/<int:proposal_id>/comments/<int:comment_id>/hide",
          methods=["POST"])
@login_required
def hide_comment(community_id, proposal_id, comment_id):
    proposal = _load(community_id, proposal_id)
    form = HideCommentForm()
    if not form.validate_on_submit():
        return _render_show(proposal, error=_("隐藏评论须说明理由。"), open_action="comment", status=422)
    try:
        comments.hide_comment(current_user, proposal, comment_id, form.reason.data)
    except Refused as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        return _render_show(_load(community_id, proposal_id), error=exc.message, status=exc.status)
    flash(_("评论已隐藏，理由已记录。"), "success")
    return redirect(url_for(".show", community_id=community_id, proposal_id=proposal_id))


@bp.route("/c/<int:community_id>/proposals/<int:proposal_id>/follow", methods=["POST"])
@login_required
def follow(community_id, proposal_id):
    return follow_button(_load(community_id, proposal_id), operations, _("已关注，提案有进展时会通知您。"),
                         url_for(".show", community_id=community_id, proposal_id=proposal_id))


# -- attachments -------------------------------------------------------------

@bp.route("/c/<int:community_id>/proposals/<int:proposal_id>/files/<int:attachment_id>")
def attachment(community_id, proposal_id, attachment_id):
    proposal = _load(community_id, proposal_id)
    found, path = drafts.load_attachment(proposal, attachment_id)
    return send_upload(found, path, public=False)


@bp.route("/c/<int:community_id>/proposals/<int:proposal_id>/files/<int:attachment_id>/delete",
          methods=["POST"])
@login_required
def delete_attachment(community_id, proposal_id, attachment_id):
    proposal = _load(community_id, proposal_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    drafts.remove_attachment(current_user, drafts.load_attachment(proposal, attachment_id)[0])
    flash(_("附件已删除。"), "success")
    return redirect(url_for(".edit", community_id=community_id, proposal_id=proposal_id))


# -- queues and overview ---------------------------------------------------------

@bp.route("/c/<int:community_id>/proposals/queue")
@login_required
def queue(community_id):
    community = load_community(current_user, community_id, staff=True)
    now = utcnow()
    # Soonest due first over the whole queue; a street's backlog (hundreds) is shown a page at a
    # time, as long as a page of the proposal list.
    page = queries.staff_queue(community, now, page=max(request.args.get("page", 1, type=int), 1))
    return render_template("proposals/queue.html", community=community, page=page, now=now)


@bp.route("/proposals/handling")
@login_required
def handling():
    require(bool(current_user.handler_links), _("只有承办单位的人员可以查看承办队列。"))
    now = utcnow()
    # A busy property company has hundreds waiting on a street: soonest due first, a page at a time.
    page, done = queries.handler_queue(current_user, now, page=max(request.args.get("page", 1, type=int), 1))
    return render_template("proposals/handling.html", page=page, done=done, now=now)


@bp.route("/street/<int:street_id>/proposals")
@login_required
def street(street_id):
    street = get_or_404(Street, street_id, _("找不到该街道。"))
    require(current_user.is_street_admin_of(street.id), _("只有街道管理员可以查看街道的提案办理情况。"))
    now = utcnow()
    community_id = request.args.get("community", type=int)
    if community_id is not None:   # one community's overdue proposals, page by page
        community = next((c for c in street.communities if c.id == community_id), None)
        if community is None:
            abort(404, _("找不到该社区。"))
        page = queries.street_overdue_page(community, now, max(request.args.get("page", 1, type=int), 1))
        return render_template("proposals/street_overdue.html", street=street, community=community,
                               page=page, now=now)
    rows, longest = queries.street_overview(street, now)
    return render_template("proposals/street.html", street=street, rows=rows, longest=longest, now=now,
                           community_names={row["community"].id: row["community"].name for row in rows})


@bp.route("/c/<int:community_id>/proposals/settings", methods=["GET", "POST"])
@login_required
def settings(community_id):
    community = load_community(current_user, community_id, admin=True)
    current = operations.settings_for(community)
    form = SettingsForm(obj=current)
    if request.method == "GET":
        form.categories.data = "\n".join(current.categories)
    status = 200
    if form.validate_on_submit():
        try:
            operations.update_settings(
                current_user, community, cosign_threshold=form.cosign_threshold.data,
                window_days=form.window_days.data, review_days=form.review_days.data,
                reply_days=form.reply_days.data, rehandle_days=form.rehandle_days.data,
                categories=form.categories.data.splitlines())
            flash(_("提案设置已保存并记入审计日志。"), "success")
            return redirect(url_for(".settings", community_id=community.id))
        except Refused as exc:
            status = refuse(exc)
    elif form.errors:
        status = 422
    return render_template("proposals/settings.html", community=community, form=form), status


@bp.cli.command("expire")
def expire_command():
    """Record lapsed collections as expired (optional: the pages derive it from the clock)."""
    count = operations.expire_lapsed()
    print(f"{count} proposals expired")
