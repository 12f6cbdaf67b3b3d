"""Micro-project pages for the community: rounds, ideas, screening, the deliberation, the ballot,
the polling table, and implementation. The public pages (board, print, feeds, data, statistics)
are in `board`."""
from datetime import timedelta

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from app.community.models import HandlerOrg
from app.community.operations import load_community
from app.core.forms import ConfirmForm
from app.core.refusal import Refused
from app.core.timeutil import from_local, to_local, utcnow
from app.core.uploads import path_of
from app.core.web import refuse, send_upload
from app.extensions import db
from app.meetings.operations import get_meeting
from app.microprojects import implementation as impl, operations as ops, rules, voting
from app.microprojects.forms import (
    AcceptForm, AssignForm, CompleteForm, CreateRoundForm, IdeaForm, MilestoneForm, PaperVoterForm,
    PromoteForm, RateForm, ScheduleForm, ScreenForm, SpendingForm, fen_of,
)
from app.microprojects.models import MicroIdea, MicroPhoto, Screening
from app.microprojects.rules import Kind, Phase
from app.proposals.models import Proposal

bp = Blueprint("microprojects", __name__)


def _round(community_id, round_id):
    community = load_community(current_user, community_id)
    found = ops.get_round(current_user, round_id, community_id=community.id)
    voting.settle(found)
    return community, found


def _idea(community_id, round_id, idea_id):
    """An idea's page: for the community's people, and for the people of the organisation that
    carries the project out (who may live elsewhere)."""
    round_ = ops.get_round(current_user, round_id, community_id=community_id)
    found = ops.get_idea(current_user, idea_id, round_id=round_.id)
    if not ops.is_implementer(current_user, found):
        load_community(current_user, community_id)
    voting.settle(round_)
    return round_.community, round_, found


def _files(name="photos"):
    return [(f.filename, f.read()) for f in request.files.getlist(name) if f and f.filename]


def _back(round_, idea=None, anchor=""):
    return redirect(ops.url_of(idea or round_) + anchor)


# -- rounds ------------------------------------------------------------------------------------

@bp.route("/c/<int:community_id>/micro/")
@login_required
def index(community_id):
    community = load_community(current_user, community_id)
    return render_template("microprojects/index.html", community=community, rounds=ops.rounds_of(community),
                           is_staff=ops.is_staff(current_user, community), now=utcnow())


def _default_dates(form):
    start = to_local(utcnow()).replace(hour=9, minute=0, second=0, microsecond=0, tzinfo=None)
    steps = (0, 30, 45, 60, 75, 90, 365)
    for name, days in zip(("collect_start", "screen_start", "deliberate_start", "vote_start", "vote_end",
                           "implement_start", "close"), steps):
        form[name].data = start + timedelta(days=days)
    form.year.data = start.year
    form.fund.data, form.service_cap.data, form.goods_cap.data, form.works_cap.data = (
        "500000", "200000", "200000", "500000")


@bp.route("/c/<int:community_id>/micro/new", methods=["GET", "POST"])
@login_required
def new(community_id):
    community = load_community(current_user, community_id, staff=True)
    form = CreateRoundForm()
    status = 200
    if request.method == "GET":
        _default_dates(form)
    elif form.validate_on_submit():
        dates = rules.Dates(*(from_local(form[name].data) for name in (
            "collect_start", "screen_start", "deliberate_start", "vote_start", "vote_end", "implement_start",
            "close")))
        try:
            found = ops.create_round(
                current_user, community, title=form.title.data, year=form.year.data, fund_fen=fen_of(form.fund),
                caps={Kind.service: fen_of(form.service_cap), Kind.goods: fen_of(form.goods_cap),
                      Kind.works: fen_of(form.works_cap)},
                categories=(form.categories.data or "").splitlines() or None, dates=dates,
                ballot_base=form.ballot_base.data, choice_mode=form.choice_mode.data,
                max_choices=form.max_choices.data, is_changeable=form.is_changeable.data,
                matter_threshold_fen=fen_of(form.matter_threshold))
        except Refused as exc:
            status = refuse(exc, form, aliases={"fund": "fund"})
        else:
            flash(_("年度项目已设立。"), "success")
            return redirect(ops.url_of(found))
    else:
        status = 422
    return render_template("microprojects/new.html", community=community, form=form), status


@bp.route("/c/<int:community_id>/micro/<int:round_id>")
@login_required
def show(community_id, round_id):
    community, round_ = _round(community_id, round_id)
    now = utcnow()
    view = round_.phase(now)
    ideas = round_.ideas.all()
    schedule_form = None
    if ops.is_staff(current_user, community) and view.phase in (Phase.screening, Phase.deliberation) \
            and round_.agenda_item_id is None and round_.shortlist_fixed_dt is None:
        schedule_form = ScheduleForm()
        schedule_form.meeting_id.choices = [
            SelectChoice(m.id, f"{m.body.name} · {m.title}") for m in ops.schedulable_meetings(round_)]
    promote_form = PromoteForm() if view.phase is Phase.collecting else None
    return render_template(
        "microprojects/round.html", community=community, round=round_, view=view, ideas=ideas, now=now,
        is_staff=ops.is_staff(current_user, community), shortlist=ops.shortlist(round_),
        turnout=voting.stored_turnout(round_) if view.phase is not Phase.upcoming else None,
        funding=round_.funding, mine=voting.my_ballot(current_user, round_),
        schedule_form=schedule_form, promote_form=promote_form, rules=rules, Screening=Screening)


@bp.route("/c/<int:community_id>/micro/<int:round_id>/schedule", methods=["POST"])
@login_required
def schedule(community_id, round_id):
    community, round_ = _round(community_id, round_id)
    form = ScheduleForm()
    form.meeting_id.choices = [SelectChoice(m.id, m.title) for m in ops.schedulable_meetings(round_)]
    if not form.validate_on_submit():
        abort(400)
    try:
        ops.schedule_deliberation(current_user, round_, get_meeting(current_user, form.meeting_id.data))
    except Refused as exc:
        refuse(exc)
    else:
        flash(_("候选名单已列入会议议程。"), "success")
    return _back(round_, anchor="#deliberation")


@bp.route("/c/<int:community_id>/micro/<int:round_id>/promote", methods=["POST"])
@login_required
def promote(community_id, round_id):
    community, round_ = _round(community_id, round_id)
    form = PromoteForm()
    if not form.validate_on_submit():
        flash(_("请填写提案编号。"), "error")
        return _back(round_)
    proposal = db.session.get(Proposal, form.proposal_id.data)
    try:
        if proposal is None:
            raise Refused("not_found", _("找不到该提案。"))
        idea = ops.promote_proposal(current_user, round_, proposal, kind=form.kind.data, cost_fen=fen_of(form.cost))
    except Refused as exc:
        refuse(exc)
        return _back(round_)
    flash(_("提案已转入本轮项目。"), "success")
    return _back(round_, idea)


# -- ideas -------------------------------------------------------------------------------------

@bp.route("/c/<int:community_id>/micro/<int:round_id>/ideas/new", methods=["GET", "POST"])
@login_required
def new_idea(community_id, round_id):
    community, round_ = _round(community_id, round_id)
    form = IdeaForm()
    form.category.choices = [SelectChoice(c, c) for c in round_.categories]
    is_staff = ops.is_staff(current_user, community)
    status = 200
    if form.validate_on_submit():
        source = form.source.data if is_staff else "online"
        try:
            idea = ops.submit_idea(current_user, round_, title=form.title.data, description=form.description.data,
                                   beneficiaries=form.beneficiaries.data, place=form.place.data,
                                   kind=form.kind.data, category=form.category.data, cost_fen=fen_of(form.cost),
                                   files=_files(), source=source, source_name=form.source_name.data)
        except Refused as exc:
            status = refuse(exc, form)
        else:
            flash(_("项目建议已提交，邀请邻居们附议吧。"), "success")
            return redirect(ops.url_of(idea))
    elif request.method == "POST":
        status = 422
    return render_template("microprojects/idea_form.html", community=community, round=round_, form=form,
                           is_staff=is_staff, view=round_.phase()), status


@bp.route("/c/<int:community_id>/micro/<int:round_id>/similar")
@login_required
def similar(community_id, round_id):
    community, round_ = _round(community_id, round_id)
    q = request.args.get("q", "")[:120]
    found = ops.similar_ideas(round_, q) if len(q.strip()) >= 2 else []
    return jsonify(items=[{"id": i.id, "title": i.title, "cosign_count": i.cosign_count,
                           "url": ops.url_of(i), "score": round(score, 3)} for i, score in found])


def _idea_forms(community, round_, idea):
    forms = {"confirm": ConfirmForm()}
    staff = ops.is_staff(current_user, community)
    view = round_.phase()
    if staff and view.phase in (Phase.screening, Phase.deliberation) and round_.agenda_item_id is None \
            and round_.shortlist_fixed_dt is None:
        screen = ScreenForm()
        screen.handler_org_id.choices = [SelectChoice("", "—")] + [SelectChoice(str(o.id), o.name) for o in _orgs(community)]
        forms["screen"] = screen
    if idea.is_funded and staff and idea.accepted_dt is None:
        assign = AssignForm()
        assign.org_id.choices = [SelectChoice(o.id, o.name) for o in _orgs(community)]
        if idea.handler_org_id:
            assign.org_id.data = idea.handler_org_id
        forms["assign"] = assign
        forms["accept"] = AcceptForm()
    if idea.is_funded and ops.is_implementer(current_user, idea) and idea.accepted_dt is None:
        forms.update(milestone=MilestoneForm(), complete=CompleteForm(), spending=SpendingForm())
    if impl.can_rate(current_user, idea):
        forms["rate"] = RateForm(rating=impl.my_rating(current_user, idea) or "satisfied")
    return forms


def _orgs(community):
    return [o for o in HandlerOrg.query.filter_by(street_id=community.street_id).order_by(HandlerOrg.name)
            if o.serves(community)]


@bp.route("/c/<int:community_id>/micro/<int:round_id>/ideas/<int:idea_id>")
@login_required
def idea(community_id, round_id, idea_id):
    community, round_, found = _idea(community_id, round_id, idea_id)
    now = utcnow()
    return render_template(
        "microprojects/idea.html", community=community, round=round_, idea=found, view=round_.phase(now),
        now=now, forms=_idea_forms(community, round_, found), is_staff=ops.is_staff(current_user, community),
        has_cosigned=ops.has_cosigned(current_user, found), following=ops.is_following(current_user, found),
        ratings=impl.ratings(found), can_confirm=impl.can_confirm(current_user, found), rules=rules,
        merged=MicroIdea.query.filter_by(merged_into_id=found.id).all(), Screening=Screening)


def _act(action, form=None, done=None):
    """Run one operation for a posted form; flash what happened."""
    if form is not None and not form.validate_on_submit():
        first = next((e for errors in form.errors.values() for e in errors), _("请检查填写的内容。"))
        flash(first, "error")
        return 422
    try:
        action(form)
    except Refused as exc:
        return refuse(exc)
    if done:
        flash(done, "success")
    return None


IDEA_ACTIONS = {
    "cosign": (ConfirmForm, lambda u, i, f: ops.cosign(u, i), _l("附议成功，您会收到这个项目的进展。")),
    "follow": (ConfirmForm, lambda u, i, f: ops.follow(u, i), _l("已关注。")),
    "unfollow": (ConfirmForm, lambda u, i, f: ops.unfollow(u, i), _l("已取消关注。")),
    "screen": (ScreenForm, lambda u, i, f: ops.screen(
        u, i, feasible=f.decision.data == "feasible", ground=f.ground.data or None, reason=f.reason.data,
        estimate_fen=fen_of(f.estimate), merge_into_id=f.merge_into_id.data if f.decision.data == "merged" else None,
        handler_org_id=int(f.handler_org_id.data) if f.handler_org_id.data else None), _l("审核结果已公布。")),
    "assign": (AssignForm, lambda u, i, f: impl.assign(
        u, i, f.org_id.data, [p for p in (f.phones.data or "").replace("，", ",").split(",")]), _l("已交办。")),
    "milestone": (MilestoneForm, lambda u, i, f: impl.add_milestone(
        u, i, title=f.title.data, due_dt=from_local(f.due.data), percent=f.percent.data), _l("已添加实施节点。")),
    "spending": (SpendingForm, lambda u, i, f: impl.add_spending(
        u, i, amount_fen=fen_of(f.amount), note=f.note.data), _l("支出已记录。")),
    "rate": (RateForm, lambda u, i, f: impl.rate(u, i, f.rating.data), _l("感谢您的评价。")),
    "accept": (AcceptForm, lambda u, i, f: impl.accept(u, i, f.note.data), _l("验收已记录，等待居务监督委员会确认。")),
    "confirm": (ConfirmForm, lambda u, i, f: impl.confirm(u, i), _l("已确认验收。")),
}


@bp.route("/c/<int:community_id>/micro/<int:round_id>/ideas/<int:idea_id>/<action>", methods=["POST"])
@login_required
def act(community_id, round_id, idea_id, action):
    if action not in IDEA_ACTIONS:
        abort(404)
    community, round_, found = _idea(community_id, round_id, idea_id)
    form_class, run, done = IDEA_ACTIONS[action]
    form = form_class()
    if action == "screen":
        form.handler_org_id.choices = [SelectChoice("", "—")] + [SelectChoice(str(o.id), o.name) for o in _orgs(community)]
    if action == "assign":
        form.org_id.choices = [SelectChoice(o.id, o.name) for o in _orgs(community)]
    _act(lambda f: run(current_user, found, f), form, str(done))
    return _back(round_, found)


@bp.route("/c/<int:community_id>/micro/<int:round_id>/ideas/<int:idea_id>/milestones/<int:milestone_id>/done",
          methods=["POST"])
@login_required
def complete(community_id, round_id, idea_id, milestone_id):
    community, round_, found = _idea(community_id, round_id, idea_id)
    milestone = impl.load_milestone(found, milestone_id)
    _act(lambda f: impl.complete_milestone(current_user, milestone, note=f.note.data, files=_files()),
         CompleteForm(), _("节点已完成，进度已公布。"))
    return _back(round_, found)


@bp.route("/micro/photos/<int:photo_id>")
def photo(photo_id):
    """Photos of ideas and their implementation are public, as the projects are."""
    found = db.session.get(MicroPhoto, photo_id) or abort(404)
    return send_upload(found, path_of("microprojects", found.stored_name), public=True)


# -- the ballot and the polling table -------------------------------------------------------------

@bp.route("/c/<int:community_id>/micro/<int:round_id>/ballot", methods=["GET", "POST"])
@login_required
def ballot(community_id, round_id):
    community, round_ = _round(community_id, round_id)
    status, receipt = 200, None
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        picks = [int(x) for x in request.form.getlist("pick") if x.isdigit()]
        try:
            receipt = voting.cast(current_user, round_.id, picks)
        except Refused as exc:
            status = refuse(exc)
        else:
            flash(_("您的选票已投出。请记下回执码，结果公布后可以核对。"), "success")
    return render_template("microprojects/ballot.html", community=community, round=round_, view=round_.phase(),
                           shortlist=ops.shortlist(round_), mine=voting.my_ballot(current_user, round_),
                           receipt=receipt, form=form, rules=rules,
                           turnout=voting.turnout(round_)), status


@bp.route("/c/<int:community_id>/micro/<int:round_id>/paper", methods=["GET", "POST"])
@login_required
def paper(community_id, round_id):
    community = load_community(current_user, community_id, staff=True)
    round_ = ops.get_round(current_user, round_id, community_id=community.id)
    voter_form, totals_form = PaperVoterForm(prefix="voter"), ConfirmForm(prefix="totals")
    status = 200
    if request.method == "POST" and request.form.get("what") == "voter":
        if voter_form.validate_on_submit():
            status = _act(lambda f: voting.record_paper_voter(current_user, round_, f.phone.data), voter_form,
                          _("已登记为纸质投票。")) or 200
            if status == 200:
                return redirect(url_for(".paper", community_id=community.id, round_id=round_.id))
        else:
            status = 422
    elif request.method == "POST":
        if not totals_form.validate_on_submit():
            abort(400)
        totals = {}
        for idea in ops.shortlist(round_):
            raw = (request.form.get(f"total-{idea.id}") or "0").strip()
            totals[idea.id] = int(raw) if raw.isdigit() else -1
        status = _act(lambda f: voting.set_paper_totals(current_user, round_, totals), None,
                      _("纸质票数已保存。")) or 200
        if status == 200:
            return redirect(url_for(".paper", community_id=community.id, round_id=round_.id))
    return render_template("microprojects/paper.html", community=community, round=round_, view=round_.phase(),
                           shortlist=ops.shortlist(round_), voters=voting.paper_voters(round_),
                           totals=voting.paper_totals(round_), voter_form=voter_form, totals_form=totals_form,
                           turnout=voting.turnout(round_)), status


@bp.app_template_filter("yuan")
def yuan_filter(fen):
    """Fen as 元 for people, exactly: 12345 → 123.45."""
    return rules.yuan(fen or 0)
