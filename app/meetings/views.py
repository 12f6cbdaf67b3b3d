"""Meeting pages: list, create, agenda and announcement, the live room, projector, hall check-in,
minutes, and requests to convene."""
import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from app.community.operations import load_community
from app.core.web import attempt, public_url_for, refuse
from app.core.i18n import N_
from app.core.refusal import Refused
from app.core.timeutil import from_local, to_local
from app.extensions import db
from app.meetings import minutes as minutes_draft
from app.meetings import convene as convening
from app.meetings import live, operations
from app.meetings.forms import (
    AddItemForm, AnnounceForm, CancelMeetingForm, ConveneForm, CreateMeetingForm, NotesForm,
    RescheduleMeetingForm,
)
from app.meetings.models import ConveneRequest, MinutesSignature, can_organise
from app.meetings.workflow import EDITABLE, MeetingState

bp = Blueprint("meetings", __name__)


# -- list and create --------------------------------------------------------------

@bp.route("/c/<int:community_id>/meetings")
@login_required
def index(community_id):
    community = load_community(current_user, community_id)
    organisable = [b for b in community.bodies if can_organise(current_user, b)]
    due = (ConveneRequest.query.filter(ConveneRequest.community_id == community.id,
                                       ConveneRequest.reached_dt.isnot(None),
                                       ConveneRequest.answered_dt.is_(None)).all())
    upcoming, past = operations.meetings_of(current_user, community,
                                            page=max(request.args.get("page", 1, type=int), 1))
    return render_template("meetings/index.html", community=community, due=due, upcoming=upcoming,
                           past=past, organisable=organisable)


@bp.route("/c/<int:community_id>/meetings/new", methods=["GET", "POST"])
@login_required
def create(community_id):
    community = load_community(current_user, community_id)
    bodies = [b for b in community.bodies if can_organise(current_user, b)]
    if not bodies:
        raise Refused("forbidden", N_("只有组织的主持人、记录员或社区工作人员可以安排会议。"))
    form = CreateMeetingForm()
    form.body_id.choices = [(b.id, b.name) for b in bodies]
    if request.method == "GET" and request.args.get("body_id", type=int):
        form.body_id.data = request.args.get("body_id", type=int)
    status = 200
    if form.validate_on_submit():
        body = next(b for b in bodies if b.id == form.body_id.data)
        try:
            meeting = operations.create_meeting(
                current_user, body, title=form.title.data, start_dt=from_local(form.start.data),
                place=form.place.data, mode=form.mode.data, video_url=form.video_url.data or None,
                notice_text=form.notice_text.data, speaker_limit_seconds=form.speaker_limit.data * 60)
            flash(_("会议已创建。请编排议程，然后发出通知。"), "success")
            return redirect(url_for(".show", meeting_id=meeting.id))
        except Refused as exc:
            status = refuse(exc)
    elif form.errors:
        status = 422
    return render_template("meetings/create.html", community=community, form=form), status


# -- one meeting ---------------------------------------------------------------------

def _load(meeting_id):
    return operations.get_meeting(current_user, meeting_id)


@bp.route("/meetings/<int:meeting_id>")
@login_required
def show(meeting_id, item_form=None, edit_form=None, status=200):
    meeting = _load(meeting_id)
    if edit_form is None:
        edit_form = RescheduleMeetingForm(formdata=None, title=meeting.title, place=meeting.place,
                                          start=to_local(meeting.start_dt).replace(tzinfo=None))
    return render_template(
        "meetings/show.html", meeting=meeting, community=meeting.community,
        item_form=item_form or AddItemForm(), announce_form=AnnounceForm(notice_text=meeting.notice_text),
        cancel_form=CancelMeetingForm(), edit_form=edit_form,
        editable=meeting.state in EDITABLE and meeting.can_organise(current_user),
        earliest=meeting.body.rule.notice_days), status


@bp.route("/meetings/<int:meeting_id>/edit", methods=["POST"])
@login_required
def edit(meeting_id):
    """改期: time, place and title of a meeting that has not started."""
    meeting = _load(meeting_id)
    form = RescheduleMeetingForm()
    if not form.validate_on_submit():
        return show(meeting_id, edit_form=form, status=422)
    announced = meeting.state is MeetingState.ANNOUNCED
    status = attempt(lambda: operations.reschedule(current_user, meeting, title=form.title.data,
                                                   place=form.place.data or "", start_dt=from_local(form.start.data)),
                     _("会议已修改，成员已收到变更通知。") if announced else _("会议已修改。"))
    if status:
        db.session.expire_all()
        return show(meeting_id, edit_form=form, status=status)
    return redirect(url_for(".show", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/items", methods=["POST"])
@login_required
def add_item(meeting_id):
    meeting = _load(meeting_id)
    form = AddItemForm()
    if not form.validate_on_submit():
        return show(meeting_id, item_form=form, status=422)
    status = attempt(lambda: operations.add_item(current_user, meeting, title=form.title.data,
                                                 description=form.description.data,
                                                 proposal_id=form.proposal_id.data,
                                                 for_vote=form.purpose.data != "discussion"),
                     _("议题已加入议程。"))
    if status:
        return show(meeting_id, item_form=form, status=status)
    return redirect(url_for(".show", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/items/<int:item_id>/delete", methods=["POST"])
@login_required
def remove_item(meeting_id, item_id):
    meeting = _load(meeting_id)
    attempt(lambda: operations.remove_item(current_user, meeting, item_id), _("议题已移出议程。"))
    return redirect(url_for(".show", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/announce", methods=["POST"])
@login_required
def announce(meeting_id):
    meeting = _load(meeting_id)
    form = AnnounceForm()
    notice = form.notice_text.data if form.validate_on_submit() else None
    status = attempt(lambda: operations.announce(current_user, meeting, notice_text=notice),
                     _("会议通知已发出，成员已收到通知。"))
    if status:
        return show(meeting_id, status=status)
    return redirect(url_for(".show", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
@login_required
def cancel(meeting_id):
    meeting = _load(meeting_id)
    form = CancelMeetingForm()
    reason = form.reason.data if form.validate_on_submit() else ""
    attempt(lambda: operations.cancel(current_user, meeting, reason), _("会议已取消。"))
    return redirect(url_for(".show", meeting_id=meeting.id))


# -- the live room, the projector, the hall's QR code -------------------------------------

@bp.route("/meetings/<int:meeting_id>/room")
@login_required
def room(meeting_id):
    meeting = _load(meeting_id)
    if meeting.state is MeetingState.DRAFT:
        raise Refused("not_found", N_("会议尚未发出通知，会议室未开放。"))
    g.no_store = True
    return render_template("meetings/room.html", meeting=meeting, community=meeting.community,
                           role=meeting.role_of(current_user))


def _recorder(meeting_id):
    meeting = _load(meeting_id)
    if not meeting.can_record(current_user):
        raise Refused("forbidden", N_("只有主持人、记录员或社区工作人员可以打开会场大屏。"))
    return meeting


def qr_svg(meeting):
    url = public_url_for(".checkin", meeting_id=meeting.id, t=live.current_hall_token(meeting))
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    label = escape(_("扫码签到"))
    return Markup(svg.replace("<svg ", f'<svg class="qr" role="img" aria-label="{label}" ', 1))


@bp.route("/meetings/<int:meeting_id>/projector")
@login_required
def projector(meeting_id):
    meeting = _recorder(meeting_id)
    g.no_store = True
    return render_template("meetings/projector.html", meeting=meeting, qr=qr_svg(meeting))


@bp.route("/meetings/<int:meeting_id>/qr.svg")
@login_required
def qr(meeting_id):
    meeting = _recorder(meeting_id)
    g.no_store = True
    return Response(str(qr_svg(meeting)), mimetype="image/svg+xml")


@bp.route("/meetings/<int:meeting_id>/checkin", methods=["GET", "POST"])
@login_required
def checkin(meeting_id):
    """The page a phone opens from the hall's QR code; checking in takes one tap (a POST)."""
    meeting = _load(meeting_id)
    token = request.values.get("t", "")
    if request.method == "POST":
        try:
            changed = live.check_in_hall(current_user, meeting, token)
            flash(_("签到成功：您已现场出席。") if changed else _("您已经现场签到过了。"), "success")
            return redirect(url_for(".room", meeting_id=meeting.id))
        except Refused as exc:
            refuse(exc)
            return render_template("meetings/checkin.html", meeting=meeting, token=token), exc.status
    return render_template("meetings/checkin.html", meeting=meeting, token=token)


# -- minutes ------------------------------------------------------------------------------

@bp.route("/meetings/<int:meeting_id>/minutes", methods=["GET", "POST"])
@login_required
def minutes(meeting_id):
    meeting = _load(meeting_id)
    form = NotesForm(notes=meeting.notes)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                operations.save_notes(current_user, meeting, form.notes.data)
                flash(_("记录已保存。"), "success")
                return redirect(url_for(".minutes", meeting_id=meeting.id))
            except Refused as exc:
                status = refuse(exc)
        else:
            status = 422
    text = meeting.minutes_text or minutes_draft.draft(meeting)
    signatures = MinutesSignature.query.filter_by(meeting_id=meeting.id).order_by(MinutesSignature.id).all()
    signed = any(s.user_id == current_user.id for s in signatures)
    return render_template(
        "meetings/minutes.html", meeting=meeting, text=text, form=form, signatures=signatures,
        locked=meeting.minutes_text is not None, can_edit=meeting.can_record(current_user),
        can_sign=(not signed and meeting.state in (MeetingState.ENDED, MeetingState.MINUTES_SIGNED)
                  and operations.can_sign(current_user, meeting)),
        required=operations.required_signers(meeting)), status


@bp.route("/meetings/<int:meeting_id>/minutes/sign", methods=["POST"])
@login_required
def sign(meeting_id):
    meeting = _load(meeting_id)
    if attempt(lambda: operations.sign_minutes(current_user, meeting), _("您已签署会议纪要。")):
        return redirect(url_for(".minutes", meeting_id=meeting.id)), 303
    return redirect(url_for(".minutes", meeting_id=meeting.id))


# -- requests to convene --------------------------------------------------------------------

def _convene_bodies(community):
    return [b for b in community.bodies if convening.convene_base(b)[0] is not None]


@bp.route("/c/<int:community_id>/convene", methods=["GET", "POST"])
@login_required
def convene(community_id):
    community = load_community(current_user, community_id)
    bodies = _convene_bodies(community)
    form = ConveneForm()
    form.body_id.choices = [(b.id, b.name) for b in bodies]
    status = 200
    if form.validate_on_submit():
        body = next(b for b in bodies if b.id == form.body_id.data)
        try:
            req = convening.file_convene(current_user, body, form.subject.data, form.reason.data)
            flash(_("提议已提交，请邀请其他人联署。"), "success")
            return redirect(url_for(".convene_request", community_id=community.id, request_id=req.id))
        except Refused as exc:
            status = refuse(exc)
    elif form.errors:
        status = 422
    return render_template("meetings/convene.html", community=community, form=form,
                           requests=convening.recent_requests(community)), status


@bp.route("/c/<int:community_id>/convene/<int:request_id>")
@login_required
def convene_request(community_id, request_id):
    community = load_community(current_user, community_id)
    req = convening.get_convene_request(community, request_id)
    return render_template("meetings/convene_request.html", community=community, req=req,
                           status=convening.convene_status(req),
                           joined=any(s.user_id == current_user.id for s in req.supporters))


@bp.route("/c/<int:community_id>/convene/<int:request_id>/join", methods=["POST"])
@login_required
def convene_join(community_id, request_id):
    community = load_community(current_user, community_id)
    req = convening.get_convene_request(community, request_id)
    attempt(lambda: convening.join_convene(current_user, req), _("您已联署。"))
    return redirect(url_for(".convene_request", community_id=community.id, request_id=req.id))
