"""Matter pages: the list, drafting, the matter with its seven-stage trail (public once the
resolution is published), objections, reports, settings."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from app.community.operations import load_community
from app.community.models import Community
from app.core.db import get_or_404
from app.core.forms import ConfirmForm
from app.core.i18n import N_
from app.core.refusal import Refused
from app.core.sanitize import render_markdown
from app.core.timeutil import format_local, utcnow
from app.core.web import refuse, send_upload, follow_button
from app.extensions import db
from app.matters import agenda, decisions, operations, queries, workflow
from app.matters.forms import (
    AnswerForm, MatterForm, ObjectionForm, ReasonsForm, ReportForm, ScheduleForm,
    SettingsForm,
)
from app.matters.models import can_draft
from app.matters.trail import trail as build_trail
from app.matters.workflow import MatterStage
from app.votes import visibility
from app.meetings import operations as meeting_ops
from app.proposals import operations as proposals

bp = Blueprint("matters", __name__)


def _user():
    return current_user if current_user.is_authenticated else None


@bp.app_template_global()
def matter_for_proposal(proposal_id):
    """The matter an escalated proposal follows, for the proposal page (None if there is none)."""
    return operations.matter_for_proposal(proposal_id)


@bp.app_template_global()
def can_draft_matters(community):
    return can_draft(_user(), community)


# -- the list ------------------------------------------------------------------------------

@bp.route("/c/<int:community_id>/matters/")
def index(community_id):
    """Published matters for everyone; insiders (staff, body members) see every stage."""
    community = get_or_404(Community, community_id, _("找不到该社区。"))
    stage = request.args.get("stage", "")
    if stage and stage not in {s.value for s in MatterStage}:
        stage = ""
    page = queries.list_matters(community, _user(), stage=stage or None,
                                   page=max(request.args.get("page", 1, type=int), 1))
    return render_template("matters/index.html", community=community, page=page, stage=stage,
                           stages=list(MatterStage),
                           internal=queries.sees_internal(_user(), community))


# -- drafting --------------------------------------------------------------------------------

def _matter_form(community, matter=None):
    form = MatterForm(obj=matter)
    kinds = operations.settings_for(community).kinds
    if matter is not None and matter.kind not in kinds:
        kinds = [matter.kind] + kinds
    form.kind.choices = [SelectChoice(k, k, render_kw={"data-uc": True}) for k in kinds]
    if request.method == "GET" and matter is not None and matter.budget_fen is not None:
        yuan, fen = divmod(matter.budget_fen, 100)
        form.budget.data = f"{yuan}.{fen:02d}" if fen else str(yuan)
    return form


def _files(name="files"):
    return [(f.filename, f.read()) for f in request.files.getlist(name) if f and f.filename]


def _budget(form):
    try:
        return workflow.parse_yuan(form.budget.data)
    except Refused as exc:
        form.budget.errors = list(form.budget.errors) + [exc.message]
        return False


@bp.route("/c/<int:community_id>/matters/new", methods=["GET", "POST"])
@login_required
def new(community_id):
    community = load_community(current_user, community_id)
    if not can_draft(current_user, community):
        raise Refused("forbidden", N_("只有本社区两委成员或工作人员可以提出重大事项。"))
    form = _matter_form(community)
    status = 200
    if form.validate_on_submit():
        budget = _budget(form)
        if budget is not False:
            try:
                matter = operations.create(current_user, community, title=form.title.data,
                                           kind=form.kind.data, plan=form.plan.data,
                                           budget_fen=budget, files=_files())
                flash(_("事项已创建。请把它列入党支部委员会会议的议程。"), "success")
                return redirect(url_for(".show", community_id=community.id, matter_id=matter.id))
            except Refused as exc:
                status = refuse(exc, form, aliases={"budget_fen": "budget"})
        else:
            status = 422
    elif form.errors:
        status = 422
    return render_template("matters/form.html", community=community, form=form, matter=None), status


@bp.route("/c/<int:community_id>/matters/<int:matter_id>/edit", methods=["GET", "POST"])
@login_required
def edit(community_id, matter_id):
    matter = operations.get_matter(_user(), matter_id, community_id=community_id)
    try:
        operations.require_plan_editable(current_user, matter)
    except Refused as exc:
        if exc.code == "forbidden":
            raise
        refuse(exc)
        return redirect(url_for(".show", community_id=community_id, matter_id=matter.id))
    form = _matter_form(matter.community, matter)
    status = 200
    if form.validate_on_submit():
        budget = _budget(form)
        if budget is not False:
            try:
                operations.update(current_user, matter, title=form.title.data, kind=form.kind.data,
                                  plan=form.plan.data, budget_fen=budget, files=_files())
                flash(_("方案已保存。"), "success")
                return redirect(url_for(".show", community_id=community_id, matter_id=matter.id))
            except Refused as exc:
                status = refuse(exc, form, aliases={"budget_fen": "budget"})
        else:
            status = 422
    elif form.errors:
        status = 422
    return render_template("matters/form.html", community=matter.community, form=form,
                           matter=matter), status


@bp.route("/c/<int:community_id>/matters/from-proposal/<int:proposal_id>", methods=["POST"])
@login_required
def from_proposal(community_id, proposal_id):
    """Open the matter of an escalated proposal by hand (normally done on escalation)."""
    community = load_community(current_user, community_id, staff=True)
    proposal = proposals.get_proposal(current_user, proposal_id, community_id=community.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        matter = operations.open_for_proposal(current_user, proposal)
    except Refused as exc:
        refuse(exc)
        return redirect(url_for("proposals.show", community_id=community_id, proposal_id=proposal_id))
    return redirect(url_for(".show", community_id=community_id, matter_id=matter.id))


# -- one matter ------------------------------------------------------------------------------

def _load(community_id, matter_id):
    return operations.get_matter(_user(), matter_id, community_id=community_id)


def _render(matter, status=200, error=None, open_form=None, forms=None):
    user = _user()
    queries.load_whole(matter)
    now = utcnow()
    forms = forms or {}
    manage = matter.can_manage(user)
    schedule_form = forms.get("schedule") or ScheduleForm(formdata=None)
    meetings = agenda.schedulable_meetings(matter, user) if manage else []
    schedule_form.meeting_id.choices = [
        SelectChoice(m.id, _("%(body)s · %(title)s · %(start)s（%(state)s）", body=m.body.name, title=m.title,
                             start=format_local(m.start_dt), state=m.state.label))
        for m in meetings]
    objections = [o for o in matter.objections if o.round == matter.round]
    earlier = [o for o in matter.objections if o.round != matter.round]
    can_object = decisions.can_object(user, matter, now)
    start_refusal = None
    if manage and matter.stage is MatterStage.resolution_public:
        start_refusal = decisions.start_refusal(matter, now)
    failed_steps = [s for s in matter.steps if not s.passed and s.meeting_id] if manage else []
    return render_template(
        "matters/show.html", matter=matter, community=matter.community, now=now,
        trail=build_trail(matter, user), objections=objections, earlier_objections=earlier,
        manage=manage, can_object=can_object, start_refusal=start_refusal,
        schedule_form=schedule_form, meetings=meetings,
        needed_bodies=agenda.needed_bodies(matter)
        if manage and matter.stage is not MatterStage.result_public else [],
        placements=agenda.placements(matter) if manage else [],
        objection_form=forms.get("objection") or ObjectionForm(formdata=None),
        answer_form=AnswerForm(formdata=None), report_form=forms.get("report") or ReportForm(formdata=None),
        reasons_form=ReasonsForm(formdata=None), confirm_form=ConfirmForm(formdata=None),
        failed_steps=failed_steps,
        waiting=agenda.waiting_objections(matter) if manage else [], following=operations.is_following(matter, user),
        may_follow=bool(user and user.belongs_to(matter.community)),
        timeline=queries.timeline(matter) if manage else [], labels=queries.EVENT_LABELS,
        error=error, open_form=open_form, plan_editable=matter.stage in workflow.PLAN_EDITABLE,
        notice_ok={m.id: agenda.plan_in_notice(matter, m) for m in
                   (i.meeting for i in agenda.placements(matter))} if manage else {},
    ), status


@bp.route("/c/<int:community_id>/matters/<int:matter_id>")
def show(community_id, matter_id):
    """The stable public address of a matter: anyone reads it once the resolution is published."""
    return _render(_load(community_id, matter_id))


def _act(community_id, matter_id, form, name, run, done):
    """Validate `form`, run the operation, commit; on refusal show the page with the reason."""
    matter = _load(community_id, matter_id)
    if not form.validate_on_submit():
        message = _("；").join(e for errors in form.errors.values() for e in errors) or _("请求无效，请刷新后重试。")
        return _render(matter, status=422 if form.errors else 400, error=message, open_form=name,
                       forms={name: form})
    try:
        run(matter)
    except Refused as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        return _render(_load(community_id, matter_id), status=exc.status, error=exc.message,
                       open_form=name, forms={name: form})
    flash(done, "success")
    return redirect(url_for(".show", community_id=community_id, matter_id=matter_id))


@bp.route("/c/<int:community_id>/matters/<int:matter_id>/schedule", methods=["POST"])
@login_required
def schedule(community_id, matter_id):
    form = ScheduleForm()

    def run(matter):
        agenda.schedule(current_user, matter, meeting_ops.get_meeting(current_user, form.meeting_id.data))

    return _act(community_id, matter_id, form, "schedule", run, _("已列入会议议程。会议表决后，事项会自动推进。"))


@bp.route("/c/<int:community_id>/matters/<int:matter_id>/objections", methods=["POST"])
@login_required
def objection(community_id, matter_id):
    form = ObjectionForm()
    return _act(community_id, matter_id, form, "objection",
                lambda m: decisions.raise_objection(current_user, m, form.text.data),
                ngettext("异议已提交，社区将在 %(num)d 天内答复。", "异议已提交，社区将在 %(num)d 天内答复。",
                         workflow.ANSWER_DAYS))


@bp.route("/c/<int:community_id>/matters/<int:matter_id>/objections/<int:objection_id>/answer",
          methods=["POST"])
@login_required
def answer(community_id, matter_id, objection_id):
    form = AnswerForm()
    return _act(community_id, matter_id, form, f"answer-{objection_id}",
                lambda m: decisions.answer_objection(
                    current_user, decisions.load_objection(m, objection_id), form.text.data),
                _("答复已提交，并已通知异议人。"))


@bp.route("/c/<int:community_id>/matters/<int:matter_id>/objections/<int:objection_id>/accept",
          methods=["POST"])
@login_required
def accept(community_id, matter_id, objection_id):
    return _act(community_id, matter_id, ConfirmForm(), "accept",
                lambda m: decisions.accept_answer(current_user, decisions.load_objection(m, objection_id)),
                _("您已接受答复，这条异议已解决。"))


@bp.route("/c/<int:community_id>/matters/<int:matter_id>/start", methods=["POST"])
@login_required
def start(community_id, matter_id):
    return _act(community_id, matter_id, ConfirmForm(), "start",
                lambda m: decisions.start_implementation(current_user, m),
                _("已开始组织实施。请定期发布实施进度。"))


@bp.route("/c/<int:community_id>/matters/<int:matter_id>/reports", methods=["POST"])
@login_required
def report(community_id, matter_id):
    form = ReportForm()

    def run(matter):
        spent = workflow.parse_yuan(form.spent.data) if form.spent.data else 0
        operations.add_report(current_user, matter, text=form.text.data,
                              percent_done=form.percent_done.data, spent_fen=spent,
                              files=_files("photos"))

    def guarded(matter):
        run(matter)

    return _act(community_id, matter_id, form, "report", guarded, _("实施报告已发布，关注者已收到通知。"))


@bp.route("/c/<int:community_id>/matters/<int:matter_id>/steps/<int:step_id>/reasons", methods=["POST"])
@login_required
def reasons(community_id, matter_id, step_id):
    form = ReasonsForm()
    return _act(community_id, matter_id, form, f"reasons-{step_id}",
                lambda m: decisions.add_reasons(current_user, m, step_id, form.text.data),
                _("理由已补充。"))


@bp.route("/c/<int:community_id>/matters/<int:matter_id>/follow", methods=["POST"])
@login_required
def follow(community_id, matter_id):
    return follow_button(_load(community_id, matter_id), operations, _("已关注，事项有进展时会通知您。"),
                         url_for(".show", community_id=community_id, matter_id=matter_id))


@bp.route("/c/<int:community_id>/matters/<int:matter_id>/files/<int:attachment_id>")
def attachment(community_id, matter_id, attachment_id):
    matter = _load(community_id, matter_id)
    found, path = operations.load_attachment(matter, attachment_id)
    return send_upload(found, path, public=matter.is_published)


@bp.route("/c/<int:community_id>/matters/<int:matter_id>/minutes/<int:meeting_id>")
def minutes(community_id, matter_id, meeting_id):
    """The minutes of a meeting that decided a stage: public with the matter once published."""
    matter = _load(community_id, matter_id)
    meeting = queries.minutes_meeting(matter, meeting_id)
    if not visibility.can_see_minutes(_user(), meeting):
        raise Refused("not_found", N_("找不到该会议纪要。"))
    html = Markup(render_markdown(meeting.minutes_text, headings_from=3))
    return render_template("matters/minutes.html", matter=matter, community=matter.community,
                           meeting=meeting, html=html)


# -- settings ----------------------------------------------------------------------------------

@bp.route("/c/<int:community_id>/matters/settings", methods=["GET", "POST"])
@login_required
def settings(community_id):
    community = load_community(current_user, community_id, staff=True)
    current = operations.settings_for(community)
    form = SettingsForm(obj=current)
    if request.method == "GET":
        form.kinds.data = "\n".join(current.kinds)
    status = 200
    if form.validate_on_submit():
        try:
            operations.update_settings(current_user, community, kinds=form.kinds.data.splitlines(),
                                       objection_days=form.objection_days.data)
            flash(_("重大事项设置已保存并记入审计日志。"), "success")
            return redirect(url_for(".settings", community_id=community.id))
        except Refused as exc:
            refuse(exc)
            status = exc.status
    elif form.errors:
        status = 422
    return render_template("matters/settings.html", community=community, form=form,
                           app_days=workflow.objection_days(None)), status
