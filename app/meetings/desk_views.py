"""The check-in desk's pages: the tablet page, its roster as JSON, and the taps it sends (check in
by name or by card, undo). The taps answer JSON; the room hears of them through the presence
broadcast the operations schedule."""
from flask import Blueprint, g, jsonify, render_template, request
from flask_login import current_user, login_required

from app.auth.models import User
from app.core.i18n import N_
from app.core.refusal import Refused
from app.extensions import db
from app.meetings import desk, live, operations
from app.meetings.workflow import MeetingState

bp = Blueprint("desk", __name__)


def _load(meeting_id):
    """The meeting for the desk: 404 for who may not see it, 403 for who sees it but may not check
    others in, 404 while it is a draft or cancelled (there is nobody to check in)."""
    meeting = operations.get_meeting(current_user, meeting_id)
    if not meeting.can_record(current_user):
        raise Refused("secretary_only", N_("只有记录员、主持人或社区工作人员可以使用签到台。"))
    if meeting.state in (MeetingState.DRAFT, MeetingState.CANCELLED):
        raise Refused("not_found", N_("会议尚未发出通知或已取消，签到台未开放。"))
    return meeting


def _answer(meeting, action):
    """Run one desk operation, commit, and answer JSON; a refusal is rolled back and said."""
    try:
        data = action()
        db.session.flush()
        data.update(quorum=live.quorum(meeting), present=desk.present(meeting))
    except Refused as exc:
        db.session.rollback()
        return jsonify(ok=False, error=exc.to_dict()), exc.status
    return jsonify(ok=True, **data)


def _person(user, changed):
    return {"user_id": user.id, "name": user.name, "changed": changed}


def _payload():
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else request.form


def _user_id(data):
    value = data.get("user_id")
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused("invalid_payload", N_("缺少或无效的参数：%(name)s"), name="user_id")
    return value


@bp.route("/meetings/<int:meeting_id>/desk")
@login_required
def page(meeting_id):
    meeting = _load(meeting_id)
    g.no_store = True
    return render_template("meetings/desk.html", meeting=meeting, community=meeting.community,
                           quorum=live.quorum(meeting))


@bp.route("/meetings/<int:meeting_id>/desk/roster.json")
@login_required
def roster(meeting_id):
    """Everyone on the meeting's list with their search keys (`q` narrows it as the page does),
    who is present now and the count."""
    meeting = _load(meeting_id)
    g.no_store = True
    members = desk.roster(current_user, meeting, request.args.get("q", ""))
    return jsonify(meeting_id=meeting.id, state=meeting.state.value, members=members,
                   present=desk.present(meeting), quorum=live.quorum(meeting))


@bp.route("/meetings/<int:meeting_id>/desk/check-in", methods=["POST"])
@login_required
def check_in(meeting_id):
    """`user_id` (a tap on a name) or `card_code` (typed, or scanned by a reader or the camera)."""
    meeting = _load(meeting_id)
    data = _payload()

    def act():
        if data.get("card_code") is not None:
            user, changed = desk.check_in_card(current_user, meeting, data.get("card_code"))
            return _person(user, changed)
        user_id = _user_id(data)
        changed = live.check_in(current_user, meeting, user_id)
        return _person(db.session.get(User, user_id), changed)

    return _answer(meeting, act)


@bp.route("/meetings/<int:meeting_id>/desk/undo", methods=["POST"])
@login_required
def undo(meeting_id):
    meeting = _load(meeting_id)
    data = _payload()

    def act():
        user = desk.undo_check_in(current_user, meeting, _user_id(data))
        return _person(user, True)

    return _answer(meeting, act)
