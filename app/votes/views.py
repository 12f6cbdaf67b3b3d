"""Vote pages: consultations (民意征集) of a community, and the public receipt list of a vote."""
from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.community.operations import load_community
from app.core.web import refuse
from app.core.refusal import Refused
from app.core.timeutil import from_local, to_local, utcnow
from app.extensions import db
from app.votes import consultations as polls
from app.votes import present, visibility
from app.votes.chain import normalize_receipt
from app.votes.choices import HallTotals
from app.votes.forms import CreateConsultationForm
from app.votes.queries import frozen
from app.votes.rules import result_words

bp = Blueprint("votes", __name__)


def consultation_url(consultation):
    return url_for("votes.consultation", community_id=consultation.community_id,
                   consultation_id=consultation.id)


@bp.route("/c/<int:community_id>/consultations")
@login_required
def consultations(community_id):
    community = load_community(current_user, community_id)
    items = polls.consultations_of(community)
    return render_template("votes/consultations.html", community=community, items=items)


@bp.route("/c/<int:community_id>/consultations/new", methods=["GET", "POST"])
@login_required
def new_consultation(community_id):
    community = load_community(current_user, community_id, staff=True)
    form = CreateConsultationForm()
    if request.method == "GET":
        now = to_local(utcnow()).replace(second=0, microsecond=0, tzinfo=None)
        form.start.data, form.end.data = now, now + timedelta(days=7)
    status = 200
    if form.validate_on_submit():
        labels = [line for line in (form.options.data or "").splitlines() if line.strip()]
        try:
            consultation = polls.create_consultation(
                current_user, community, title=form.title.data, description=form.description.data,
                labels=labels, up_to=form.up_to.data, start_dt=from_local(form.start.data),
                end_dt=from_local(form.end.data), url_for_item=_deferred_url)
        except Refused as exc:
            status = refuse(exc)
        else:
            flash(_("民意征集已发布，并已通知本社区居民。"), "success")
            return redirect(consultation_url(consultation))
    elif form.errors:
        status = 422
    return render_template("votes/consultation_new.html", community=community, form=form), status


def _deferred_url(consultation):
    db.session.flush()  # the notice links to the page, so the poll needs its id first
    return consultation_url(consultation)


@bp.route("/c/<int:community_id>/consultations/<int:consultation_id>", methods=["GET", "POST"])
@login_required
def consultation(community_id, consultation_id):
    item = polls.get_consultation(current_user, consultation_id, community_id)
    community = item.community
    status = 200
    if request.method == "POST":
        options = item.options
        choice = (request.form.get("choice") if options.is_motion
                  else [int(x) for x in request.form.getlist("choice") if x.isdigit()])
        try:
            _answer, created = polls.respond(current_user, item, choice)
        except Refused as exc:
            status = refuse(exc)
        else:
            flash(_("您的意见已提交，谢谢参与。") if created else _("您已提交过相同的意见。"), "success")
            return redirect(consultation_url(item))
    result = polls.result(item) if polls.can_see_result(current_user, item) else None
    return render_template("votes/consultation.html", community=community, item=item,
                           answer=polls.answer_of(current_user, item), result=result), status


@bp.route("/votes/<int:vote_id>/receipts")
def receipts(vote_id):
    """After the close: every receipt with its choice, the chain head, and a lookup; for anyone,
    or only for the body's members and staff until the decision is published (app/votes/visibility.py)."""
    vote = visibility.load_visible(current_user, vote_id)
    if vote.is_open:
        return render_template("votes/receipts.html", vote=vote, rows=None, found=None, code=""), 409
    rows = present.receipts(vote)
    options = frozen(vote)[0].options
    for row in rows:
        row["label"] = present.choice_text(options, row["choice"])
        hall = HallTotals.from_canonical(row["choice"])
        row["hall_ballots"] = hall.ballots if hall else None
    code = (request.args.get("code") or "").strip()[:20]
    found = None
    if code:
        wanted = normalize_receipt(code)
        found = next((r for r in rows if r["receipt"] == wanted), False) if wanted else False
    return render_template("votes/receipts.html", vote=vote, rows=rows, found=found, code=code,
                           result_text=str(result_words(vote.result)))
