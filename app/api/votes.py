"""API: votes in a meeting — open, cast, hall entry, close, result, receipts."""
import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.docs import documented
from app.api.security import BEARER, api_user, current_api_user, token_required
from app.core.i18n import N_
from app.core.refusal import Refused
from app.meetings.operations import get_meeting
from app.votes import operations, visibility
from app.votes.batch import CastCommand, submit_cast
from app.votes.present import receipts, vote_view
from app.votes.queries import get_vote, prefetch_views, votes_of

blp = Blueprint("api_votes", __name__, url_prefix="", description="表决")


def blueprints():
    return [blp]


_errors = documented(blp, security=None)


class VoteSchema(ma.Schema):
    id = ma.fields.Integer()
    meeting_id = ma.fields.Integer()
    item_id = ma.fields.Integer(allow_none=True)
    title = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "named（记名）或 secret（无记名）"})
    kind_label = ma.fields.String()
    state = ma.fields.String(metadata={"description": "open 或 closed"})
    options = ma.fields.Dict(metadata={"description": "type motion（赞成/反对/弃权）或 choose（labels, up_to）；choices 列出可选的 key"})
    auto_close = ma.fields.Boolean()
    opened_dt = ma.fields.String()
    closed_dt = ma.fields.String(allow_none=True)
    unit = ma.fields.String(metadata={"description": "人，或按户计时为 户"})
    eligible = ma.fields.Integer()
    hall_present = ma.fields.Integer()
    online_present = ma.fields.Integer()
    progress = ma.fields.Dict(metadata={"description": "cast, eligible, remaining, complete：只有人数，无记名表决不显示中间结果"})
    result = ma.fields.Dict(allow_none=True, metadata={"description": "结束后：各项票数、法定人数、规则和文字结论 text"})
    chain_head = ma.fields.String(allow_none=True)
    receipts_url = ma.fields.String()
    me = ma.fields.Dict(metadata={"description": "调用者：eligible, where (hall/online), voted, can_cast, receipt"})
    hall_entered = ma.fields.List(ma.fields.Integer())
    hall_totals = ma.fields.Dict(allow_none=True)


class OpenVote(ma.Schema):
    title = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=200),
                             metadata={"description": "默认为当前议题名称"})
    kind = ma.fields.String(load_default="named", validate=ma.validate.OneOf(["named", "secret"]))
    labels = ma.fields.List(ma.fields.String(validate=ma.validate.Length(min=1, max=60)), load_default=None,
                            allow_none=True, validate=ma.validate.Length(max=50),
                            metadata={"description": "不填为动议（赞成/反对/弃权）；填写则为“最多选 up_to 项”"})
    up_to = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=50))
    auto_close = ma.fields.Boolean(load_default=False,
                                   metadata={"description": "到会成员全部投票后自动结束"})


class CastRequest(ma.Schema):
    choice = ma.fields.Raw(required=True, metadata={
        "description": "动议：yes / no / abstain；选项：选中的序号列表，如 [0, 2]（空列表为空白票）"})
    nonce = ma.fields.String(required=True, validate=ma.validate.Length(min=16, max=128), metadata={
        "description": "客户端生成的随机串；同一次投票重试时必须相同，会得到同一回执码"})


class CastResponse(ma.Schema):
    vote_id = ma.fields.Integer()
    receipt = ma.fields.String(metadata={"description": "回执码，表决结束后可在公示名单中核对"})


class HallEntry(ma.Schema):
    entries = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(), load_default=None,
                             allow_none=True, metadata={"description": "记名表决：{成员 user_id: 选择}"})
    totals = ma.fields.Dict(load_default=None, allow_none=True, metadata={
        "description": "无记名表决：纸质选票合计，如 {yes, no, abstain, invalid}，或 {counts, ballots, blank, invalid}"})


class ReceiptSchema(ma.Schema):
    receipt = ma.fields.String()
    choice = ma.fields.String()
    chain_hash = ma.fields.String(allow_none=True)


class ReceiptList(ma.Schema):
    vote_id = ma.fields.Integer()
    chain_head = ma.fields.String()
    result = ma.fields.Dict(metadata={"description": "公布的结果：各项票数、法定人数、规则和文字结论 text"})
    receipts = ma.fields.List(ma.fields.Nested(ReceiptSchema))


@blp.route("/meetings/<int:meeting_id>/votes")
class MeetingVotes(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, VoteSchema(many=True))
    @_errors
    @token_required
    def get(self, meeting_id):
        """Every vote of a meeting, as the caller sees it."""
        user = api_user()
        meeting = get_meeting(user, meeting_id)
        return [vote_view(vote, user) for vote in prefetch_views(votes_of(meeting), user)]

    @blp.doc(security=BEARER)
    @token_required
    @blp.arguments(OpenVote)
    @blp.response(201, VoteSchema)
    @_errors
    def post(self, data, meeting_id):
        """The chair opens a vote on the current item; 422 `no_quorum` with the numbers when the
        quorum is not met."""
        user = api_user()
        vote = operations.open_vote(user, get_meeting(user, meeting_id), **data)
        return vote_view(vote, user)


@blp.route("/votes/<int:vote_id>")
class VoteResource(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, VoteSchema)
    @_errors
    @token_required
    def get(self, vote_id):
        """A vote: progress while open (counts only), the result with its rule once closed."""
        user = api_user()
        return vote_view(get_vote(user, vote_id), user)


@blp.route("/votes/<int:vote_id>/cast")
class Cast(MethodView):
    @blp.doc(security=BEARER)
    @token_required
    @blp.arguments(CastRequest)
    @blp.response(201, CastResponse)
    @_errors
    def post(self, data, vote_id):
        """Cast online. Answered only after the ballot is committed; the same nonce and choice again
        returns the same receipt; a different cast is refused with 409 `already_cast`."""
        user = api_user()
        # Committed by the group commit of casts (app/votes/batch.py), not at the request's end:
        # the receipt answered is a committed one, as in the room.
        return submit_cast(CastCommand(user_id=user.id, vote_id=vote_id, choice=data["choice"],
                                       nonce=data["nonce"]))


@blp.route("/votes/<int:vote_id>/hall")
class Hall(MethodView):
    @blp.doc(security=BEARER)
    @token_required
    @blp.arguments(HallEntry)
    @blp.response(200, VoteSchema)
    @_errors
    def post(self, data, vote_id):
        """The secretary enters the hall's votes: per person (named) or paper totals (secret)."""
        user = api_user()
        vote = get_vote(user, vote_id)
        if data["entries"] is None and data["totals"] is None:
            raise Refused("entries", N_("请提供 entries（记名）或 totals（无记名）。"))
        operations.enter_hall_votes(user, vote, entries=data["entries"], totals=data["totals"])
        return vote_view(vote, user)


@blp.route("/votes/<int:vote_id>/close")
class Close(MethodView):
    @blp.doc(security=BEARER)
    @token_required
    @blp.response(200, VoteSchema)
    @_errors
    def post(self, vote_id):
        """The chair closes the vote: the result is counted, sealed and announced."""
        user = api_user()
        vote = operations.close_vote(user, get_vote(user, vote_id))
        return vote_view(vote, user)


@blp.route("/votes/<int:vote_id>/receipts")
class Receipts(MethodView):
    @blp.doc(security=[{}] + BEARER)
    @blp.response(200, ReceiptList)
    @_errors
    def get(self, vote_id):
        """After the close: every receipt with its choice in chain order, and the chain head, so
        anyone can recompute it (409 while the vote is open). A public body's vote needs no token;
        another body's is for its members and the community's staff (a token) until its decision
        is published, and 404 to everyone else."""
        user = current_api_user() if request.headers.get("Authorization") else None
        vote = visibility.load_visible(user, vote_id)
        return {"vote_id": vote.id, "chain_head": vote.chain_head, "receipts": receipts(vote),
                "result": vote.result}
