"""API: meetings of a body — create, read, edit (改期), agenda, announce, start, cancel, hall
check-in (the desk)."""
from datetime import timezone

import marshmallow as ma
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint

from app.api.docs import documented
from app.api.fields import UtcDateTime
from app.api.security import BEARER, api_user, token_required
from app.auth.models import User
from app.core.i18n import N_
from app.core.refusal import Refused
from app.extensions import db
from app.meetings import desk, live, operations
from app.meetings.workflow import MeetingMode, MeetingState

blp = Blueprint("api_meetings", __name__, url_prefix="/meetings", description="会议")


def blueprints():
    return [blp]


def _naive_utc(value):
    if value.tzinfo is None:
        raise Refused("invalid", N_("start_dt 须带时区，例如 2026-12-01T09:00:00+08:00。"),
                      details={"start_dt": [_("须带时区")]})
    return value.astimezone(timezone.utc).replace(tzinfo=None)


class ItemSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    position = ma.fields.Integer(dump_only=True)
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    description = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=20000))
    kind = ma.fields.String(dump_only=True)
    proposal_id = ma.fields.Integer(load_default=None, allow_none=True, validate=ma.validate.Range(min=1))
    matter_id = ma.fields.Integer(load_default=None, allow_none=True, validate=ma.validate.Range(min=1))
    for_vote = ma.fields.Boolean(load_default=True, attribute="is_for_vote", data_key="for_vote", metadata={
        "description": "表决事项（默认）或讨论事项。会议通知发出后，表决事项须仍满足通知期才能加入"
                       "（否则 422 `item_too_late`），讨论事项随时可加，但不能表决"})
    noticed_dt = UtcDateTime(dump_only=True, allow_none=True,
                             metadata={"description": "随会议通知告知成员的时间；为空则不能表决"})
    is_late = ma.fields.Boolean(dump_only=True, metadata={"description": "会议通知发出后增加的议题"})


class MeetingSchema(ma.Schema):
    id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    body_id = ma.fields.Integer()
    body = ma.fields.Function(lambda m: m.body.name)
    title = ma.fields.String()
    start_dt = UtcDateTime()
    place = ma.fields.String()
    mode = ma.fields.Function(lambda m: m.mode.value)
    video_url = ma.fields.String(allow_none=True)
    notice_text = ma.fields.String(allow_none=True)
    state = ma.fields.Function(lambda m: m.state.value)
    current_item = ma.fields.Integer()
    speaker_limit_seconds = ma.fields.Integer()
    announced_dt = UtcDateTime(allow_none=True)
    started_dt = UtcDateTime(allow_none=True)
    cancel_reason = ma.fields.String(allow_none=True)
    items = ma.fields.List(ma.fields.Nested(ItemSchema))
    room_url = ma.fields.Function(lambda m: f"/meetings/{m.id}/room")
    quorum = ma.fields.Function(
        lambda m: None if m.state is MeetingState.DRAFT else live.quorum(m),
        metadata={"description": "出席与法定人数（通知发出后）：members、present、minimum、met、text，"
                                 "unit（人 或 户）、base（persons 或 households：居民会议按户计时为户数，"
                                 "与表决所用的数字相同），persons（其中的人数）"})


class CreateMeeting(ma.Schema):
    body_id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    start_dt = ma.fields.AwareDateTime(required=True, metadata={"description": "带时区的 ISO 8601 时间"})
    place = ma.fields.String(load_default="", validate=ma.validate.Length(max=120))
    mode = ma.fields.String(load_default=MeetingMode.HYBRID.value,
                            validate=ma.validate.OneOf([m.value for m in MeetingMode]))
    video_url = ma.fields.URL(load_default=None, allow_none=True)
    notice_text = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=20000))
    speaker_limit_seconds = ma.fields.Integer(load_default=180, validate=ma.validate.Range(min=30, max=3600))
    items = ma.fields.List(ma.fields.Nested(ItemSchema), load_default=list)


class AnnounceRequest(ma.Schema):
    notice_text = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=20000))


class EditMeeting(ma.Schema):
    title = ma.fields.String(validate=ma.validate.Length(min=1, max=120))
    start_dt = ma.fields.AwareDateTime(metadata={"description": "带时区的 ISO 8601 时间"})
    place = ma.fields.String(validate=ma.validate.Length(max=120))


class CancelRequest(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))



def _item_args(data):
    data = dict(data)
    data["for_vote"] = data.pop("is_for_vote", True)
    return data


_errors = documented(blp, security=None)


@blp.route("")
class Meetings(MethodView):
    @blp.doc(security=BEARER)
    @token_required
    @blp.arguments(CreateMeeting)
    @blp.response(201, MeetingSchema)
    @_errors
    def post(self, data):
        """Create a draft meeting of a body, optionally with its agenda."""
        user = api_user()
        body = operations.load_body(user, data["body_id"])
        meeting = operations.create_meeting(
            user, body, title=data["title"], start_dt=_naive_utc(data["start_dt"]), place=data["place"],
            mode=data["mode"], video_url=data["video_url"], notice_text=data["notice_text"],
            speaker_limit_seconds=data["speaker_limit_seconds"])
        for item in data["items"]:
            operations.add_item(user, meeting, **_item_args(item))
        return meeting


@blp.route("/<int:meeting_id>")
class MeetingResource(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, MeetingSchema)
    @_errors
    @token_required
    def get(self, meeting_id):
        """A meeting with its agenda (members, chair, secretary, staff; observers of public bodies)."""
        return operations.get_meeting(api_user(), meeting_id)

    @blp.doc(security=BEARER)
    @token_required
    @blp.arguments(EditMeeting)
    @blp.response(200, MeetingSchema)
    @_errors
    def patch(self, data, meeting_id):
        """Change the time, place or title before the meeting starts (改期).

        Once announced, members are notified of what changed. Postponing is always allowed;
        moving earlier only while the body's notice period still holds before the new time
        (422 `notice_too_short`, the message names the earliest time)."""
        user = api_user()
        meeting = operations.get_meeting(user, meeting_id)
        start_dt = _naive_utc(data["start_dt"]) if "start_dt" in data else None
        operations.reschedule(user, meeting, start_dt=start_dt, place=data.get("place"), title=data.get("title"))
        return meeting


@blp.route("/<int:meeting_id>/agenda")
class Agenda(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, ItemSchema(many=True))
    @_errors
    @token_required
    def get(self, meeting_id):
        """The ordered agenda."""
        return operations.get_meeting(api_user(), meeting_id).items

    @blp.doc(security=BEARER)
    @token_required
    @blp.arguments(ItemSchema)
    @blp.response(201, ItemSchema)
    @_errors
    def post(self, data, meeting_id):
        """Add an item at the end of the agenda (before the meeting starts).

        After the notice, an item for a vote needs the notice period again (422 `item_too_late`);
        members are notified of an added item."""
        user = api_user()
        item = operations.add_item(user, operations.get_meeting(user, meeting_id), **_item_args(data))
        return item


@blp.route("/<int:meeting_id>/announce")
class Announce(MethodView):
    @blp.doc(security=BEARER)
    @token_required
    @blp.arguments(AnnounceRequest)
    @blp.response(200, MeetingSchema)
    @_errors
    def post(self, data, meeting_id):
        """Send the notice: refused (422 `notice_too_short`) when the start is inside the notice period."""
        user = api_user()
        meeting = operations.get_meeting(user, meeting_id)
        operations.announce(user, meeting, notice_text=data.get("notice_text") or None)
        return meeting


@blp.route("/<int:meeting_id>/start")
class Start(MethodView):
    @blp.doc(security=BEARER)
    @token_required
    @blp.response(200, MeetingSchema)
    @_errors
    def post(self, meeting_id):
        """Open the meeting (chair, secretary or staff): no earlier than its announced start less
        `MEETING_EARLY_START_MINUTES` (409 `too_early`, the message names the earliest time)."""
        user = api_user()
        meeting = operations.get_meeting(user, meeting_id)
        operations.start(user, meeting)
        return meeting


@blp.route("/<int:meeting_id>/cancel")
class Cancel(MethodView):
    @blp.doc(security=BEARER)
    @token_required
    @blp.arguments(CancelRequest)
    @blp.response(200, MeetingSchema)
    @_errors
    def post(self, data, meeting_id):
        """Cancel a meeting that has not started, with the reason every member is told."""
        user = api_user()
        meeting = operations.get_meeting(user, meeting_id)
        operations.cancel(user, meeting, data["reason"])
        return meeting


# -- the check-in desk ------------------------------------------------------------------------

class CheckInRequest(ma.Schema):
    user_id = ma.fields.Integer(load_default=None, allow_none=True, validate=ma.validate.Range(min=1),
                                metadata={"description": "成员的 user_id（按名单签到）"})
    card_code = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=40),
                                 metadata={"description": "签到卡号码，大小写、空格和短横线不计"})


class QuorumSchema(ma.Schema):
    members = ma.fields.Integer()
    present = ma.fields.Integer()
    minimum = ma.fields.Integer(allow_none=True)
    met = ma.fields.Boolean()
    text = ma.fields.String()
    unit = ma.fields.String(metadata={"description": "计数单位：人 或 户"})


class CheckInResponse(ma.Schema):
    user_id = ma.fields.Integer()
    name = ma.fields.String()
    changed = ma.fields.Boolean(metadata={"description": "false：此人此前已现场签到"})
    quorum = ma.fields.Nested(QuorumSchema)


@blp.route("/<int:meeting_id>/check-ins")
class CheckIns(MethodView):
    @blp.doc(security=BEARER)
    @token_required
    @blp.arguments(CheckInRequest)
    @blp.response(200, CheckInResponse)
    @_errors
    def post(self, data, meeting_id):
        """Check a member in in the hall, by `user_id` or by the code of their check-in card
        (secretary, chair, community staff). A card is refused with `unknown_card`,
        `other_community` or `not_member`."""
        user = api_user()
        meeting = operations.get_meeting(user, meeting_id)
        if (data["user_id"] is None) == (data["card_code"] is None):
            raise Refused("invalid", N_("请提供 user_id 或 card_code 之一。"),
                          details={"user_id": [_("与 card_code 二选一")]})
        if data["card_code"] is not None:
            member, changed = desk.check_in_card(user, meeting, data["card_code"])
        else:
            changed = live.check_in(user, meeting, data["user_id"])
            member = db.session.get(User, data["user_id"])
        return {"user_id": member.id, "name": member.name, "changed": changed,
                "quorum": live.quorum(meeting)}


@blp.route("/<int:meeting_id>/check-ins/<int:user_id>")
class CheckIn(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, CheckInResponse)
    @_errors
    @token_required
    def delete(self, meeting_id, user_id):
        """Undo a hall check-in made by mistake (409 `not_checked_in` if there is none)."""
        user = api_user()
        meeting = operations.get_meeting(user, meeting_id)
        member = desk.undo_check_in(user, meeting, user_id)
        return {"user_id": member.id, "name": member.name, "changed": True,
                "quorum": live.quorum(meeting)}
