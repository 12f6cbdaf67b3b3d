"""API: major matters through 四议两公开 — list, read with the seven-stage trail, draft, revise,
put on a meeting's agenda, objections, implementation, reports, follow.

A matter's stage moves only through votes of meetings (the votes API and the live room) and
`POST /matters/{id}/implementation`; no endpoint sets it.
"""
from functools import wraps

import marshmallow as ma
from flask import g, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.docs import documented
from app.api.fields import UtcDateTime
from app.api.security import BEARER, api_user, current_api_user, token_required
from app.community.operations import load_community
from app.community.models import Community
from app.core.i18n import N_
from app.core.refusal import Refused
from app.core.timeutil import utcnow
from app.extensions import db
from app.matters import agenda, decisions, operations, queries, workflow
from app.matters.trail import trail
from app.matters.workflow import MatterStage
from app.meetings import operations as meeting_ops

blp = Blueprint("api_matters", __name__, url_prefix="/matters", description="重大事项（四议两公开）")


def blueprints():
    return [blp]


# -- schemas -------------------------------------------------------------------------------

def _yuan(fen):
    if fen is None:
        return None
    return f"{fen // 100}.{fen % 100:02d}"


class Money(ma.fields.Decimal):
    """Yuan as a decimal string ("86000.50"); never a float."""

    def __init__(self, **kwargs):
        super().__init__(places=2, as_string=True, allow_nan=False,
                         validate=ma.validate.Range(min=0), **kwargs)
        # The document states the bound as a number (the validator's Decimal would render "0.00").
        self.metadata = {"minimum": 0, **self.metadata}


class MatterTrailMeetingSchema(ma.Schema):
    meeting_id = ma.fields.Integer(allow_none=True)
    title = ma.fields.String(allow_none=True)
    body = ma.fields.String(allow_none=True)
    date = ma.fields.String(allow_none=True, metadata={"description": "北京时间"})
    attendance = ma.fields.String(allow_none=True)
    result = ma.fields.String(allow_none=True)
    passed = ma.fields.Boolean(allow_none=True)
    outcome = ma.fields.String(allow_none=True)
    reasons = ma.fields.String(allow_none=True)
    vote_id = ma.fields.Integer(allow_none=True)
    minutes_url = ma.fields.String(allow_none=True)
    is_merged = ma.fields.Boolean()
    round = ma.fields.Integer()
    scheduled = ma.fields.Boolean(metadata={"description": "on an announced agenda, not yet voted"})


class MatterTrailStageSchema(ma.Schema):
    key = ma.fields.String(metadata={"description": "MatterStage value"})
    number = ma.fields.Integer()
    label = ma.fields.String()
    product = ma.fields.String()
    bodies = ma.fields.String()
    state = ma.fields.String(metadata={"description": "done | current | pending | failed"})
    state_label = ma.fields.String()
    is_merged = ma.fields.Boolean()
    result = ma.fields.String(allow_none=True)
    passed = ma.fields.Boolean(allow_none=True)
    date = ma.fields.String(allow_none=True)
    minutes_url = ma.fields.String(allow_none=True)
    meetings = ma.fields.List(ma.fields.Nested(MatterTrailMeetingSchema))


class MatterObjectionSchema(ma.Schema):
    id = ma.fields.Integer()
    text = ma.fields.String()
    author = ma.fields.String(allow_none=True, metadata={"description": "staff and the author only"})
    is_mine = ma.fields.Boolean()
    created_dt = UtcDateTime()
    answer_due_dt = UtcDateTime()
    is_overdue = ma.fields.Boolean()
    answer = ma.fields.String(allow_none=True)
    answered_dt = UtcDateTime(allow_none=True)
    accepted_dt = UtcDateTime(allow_none=True)
    is_resolved = ma.fields.Boolean()
    meeting_id = ma.fields.Integer(allow_none=True, metadata={"description": "party members' assembly"})
    review_passed = ma.fields.Boolean(allow_none=True)
    status = ma.fields.String()


class MatterAttachmentSchema(ma.Schema):
    id = ma.fields.Integer()
    filename = ma.fields.String()
    content_type = ma.fields.String()
    size = ma.fields.Integer()
    url = ma.fields.String()


class MatterReportSchema(ma.Schema):
    id = ma.fields.Integer()
    text = ma.fields.String()
    percent_done = ma.fields.Integer()
    spent_fen = ma.fields.Integer()
    spent_yuan = ma.fields.String()
    author = ma.fields.String()
    created_dt = UtcDateTime()
    photos = ma.fields.List(ma.fields.Nested(MatterAttachmentSchema))


class MatterSchema(ma.Schema):
    id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    title = ma.fields.String()
    kind = ma.fields.String()
    stage = ma.fields.String(metadata={"description": "proposal | consultation | review | resolution | "
                                                      "resolution_public | implementation | result_public"})
    stage_number = ma.fields.Integer()
    stage_label = ma.fields.String()
    budget_fen = ma.fields.Integer(allow_none=True, metadata={"description": "exact, in fen (分)"})
    budget_yuan = ma.fields.String(allow_none=True)
    proposal_id = ma.fields.Integer(allow_none=True)
    round = ma.fields.Integer(metadata={"description": "1 + the times it was sent back to stage 1"})
    created_dt = UtcDateTime()
    updated_dt = UtcDateTime()
    resolution_published_dt = UtcDateTime(allow_none=True)
    objection_days = ma.fields.Integer(allow_none=True)
    objection_end_dt = UtcDateTime(allow_none=True)
    implementation_started_dt = UtcDateTime(allow_none=True)
    result_published_dt = UtcDateTime(allow_none=True)
    percent_done = ma.fields.Integer()
    spent_fen = ma.fields.Integer()
    url = ma.fields.String(metadata={"description": "the public page"})


class MatterDetailSchema(MatterSchema):
    plan = ma.fields.String(metadata={"description": "Markdown"})
    attachments = ma.fields.List(ma.fields.Nested(MatterAttachmentSchema))
    trail = ma.fields.List(ma.fields.Nested(MatterTrailStageSchema))
    objections = ma.fields.List(ma.fields.Nested(MatterObjectionSchema))
    reports = ma.fields.List(ma.fields.Nested(MatterReportSchema))
    can_manage = ma.fields.Boolean()
    following = ma.fields.Boolean()


class MatterPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MatterSchema))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    pages = ma.fields.Integer()


class MatterListArgs(ma.Schema):
    community_id = ma.fields.Integer(metadata={"description": "default: the caller's community; "
                                                              "required without a token"})
    stage = ma.fields.String(validate=ma.validate.OneOf([s.value for s in MatterStage]))
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


class MatterCreateArgs(ma.Schema):
    community_id = ma.fields.Integer()
    title = ma.fields.String(required=True, validate=ma.validate.Length(max=120))
    kind = ma.fields.String(required=True, metadata={"description": "one of the community's kinds"})
    plan = ma.fields.String(required=True, validate=ma.validate.Length(max=operations.PLAN_MAX))
    budget = Money(load_default=None, allow_none=True, metadata={"description": "yuan, e.g. \"86000.50\""})


class MatterUpdateArgs(ma.Schema):
    title = ma.fields.String(validate=ma.validate.Length(max=120))
    kind = ma.fields.String()
    plan = ma.fields.String(validate=ma.validate.Length(max=operations.PLAN_MAX))
    budget = Money(allow_none=True)


class MatterScheduleArgs(ma.Schema):
    meeting_id = ma.fields.Integer(required=True, metadata={
        "description": "a draft or announced meeting of the body the current stage needs"})


class MatterScheduledSchema(ma.Schema):
    item_id = ma.fields.Integer()
    meeting_id = ma.fields.Integer()
    title = ma.fields.String()
    matter = ma.fields.Nested(MatterDetailSchema)


class MatterTextArgs(ma.Schema):
    text = ma.fields.String(required=True, validate=ma.validate.Length(max=3000))


class MatterReportArgs(ma.Schema):
    text = ma.fields.String(required=True, validate=ma.validate.Length(max=10000))
    percent_done = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=0, max=100))
    spent = Money(load_default=None, allow_none=True, metadata={
        "description": "yuan spent so far in total, e.g. \"50000.00\""})


# -- helpers ---------------------------------------------------------------------------------

def token_optional(view):
    """Published matters are public: no token needed; a token, when sent, must be valid."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.api_user = current_api_user() if request.headers.get("Authorization") else None
        return view(*args, **kwargs)

    return wrapper


_document = documented(blp, statuses=(400, 401, 403, 404, 409, 413, 422))
_document_public = documented(blp, security=[{}] + BEARER, statuses=(400, 401, 403, 404, 409, 413, 422))


def _fen(value):
    return workflow.parse_yuan(value) if value is not None else None


def _attachment(matter, a):
    return {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size,
            "url": url_for("matters.attachment", community_id=matter.community_id,
                           matter_id=matter.id, attachment_id=a.id)}


def _objection(o, user, manage, now):
    mine = bool(user is not None and user.id == o.author_id)
    return {"id": o.id, "text": o.text, "author": o.author.name if manage or mine else None,
            "is_mine": mine, "created_dt": o.created_dt, "answer_due_dt": o.answer_due_dt,
            "is_overdue": o.is_overdue(now), "answer": o.answer, "answered_dt": o.answered_dt,
            "accepted_dt": o.accepted_dt, "is_resolved": o.is_resolved, "meeting_id": o.meeting_id,
            "review_passed": o.review_passed, "status": o.status_label}


def _dump(matter, user=None, detail=False):
    data = {
        "id": matter.id, "community_id": matter.community_id, "title": matter.title,
        "kind": matter.kind, "stage": matter.stage.value, "stage_number": matter.stage.number,
        "stage_label": matter.stage.label, "budget_fen": matter.budget_fen,
        "budget_yuan": _yuan(matter.budget_fen), "proposal_id": matter.proposal_id,
        "round": matter.round, "created_dt": matter.created_dt, "updated_dt": matter.updated_dt,
        "resolution_published_dt": matter.resolution_published_dt,
        "objection_days": matter.objection_days, "objection_end_dt": matter.objection_end_dt,
        "implementation_started_dt": matter.implementation_started_dt,
        "result_published_dt": matter.result_published_dt,
        "percent_done": matter.percent_done, "spent_fen": matter.spent_fen,
        "url": url_for("matters.show", community_id=matter.community_id, matter_id=matter.id),
    }
    if detail:
        queries.load_whole(matter)
        now = utcnow()
        manage = matter.can_manage(user)
        data |= {
            "plan": matter.plan,
            "attachments": [_attachment(matter, a) for a in matter.plan_attachments],
            "trail": trail(matter, user),
            "objections": [_objection(o, user, manage, now) for o in matter.objections
                           if o.round == matter.round],
            "reports": [_report(matter, r) for r in matter.reports],
            "can_manage": manage,
            "following": operations.is_following(matter, user),
        }
    return data


def _report(matter, r):
    return {"id": r.id, "text": r.text, "percent_done": r.percent_done, "spent_fen": r.spent_fen,
            "spent_yuan": _yuan(r.spent_fen), "author": r.author.name, "created_dt": r.created_dt,
            "photos": [_attachment(matter, a) for a in r.photos]}


def _read(matter_id):
    return operations.get_matter(api_user(), matter_id)


def _done(matter):
    db.session.refresh(matter)
    return _dump(matter, api_user(), detail=True)


# -- endpoints ---------------------------------------------------------------------------------

@blp.route("")
class Matters(MethodView):
    @token_optional
    @blp.arguments(MatterListArgs, location="query")
    @blp.response(200, MatterPageSchema)
    @_document_public
    def get(self, args):
        """A community's matters, newest first: published ones for everyone, every stage for its
        staff and body members."""
        user = api_user()
        cid = args.get("community_id") or getattr(user, "community_id", None)
        if cid is None:
            raise Refused("community_required", N_("请指定 community_id。"))
        community = db.session.get(Community, cid)
        if community is None:
            raise Refused("not_found", N_("找不到该社区。"))
        page = queries.list_matters(community, user, stage=args.get("stage"), page=args["page"],
                                       per_page=args["per_page"], load=queries.with_reports())
        return {"items": [_dump(m, user) for m in page.items], "total": page.total,
                "page": page.page, "pages": page.pages}

    @token_required
    @blp.arguments(MatterCreateArgs)
    @blp.response(201, MatterDetailSchema)
    @_document
    def post(self, args):
        """Draft a matter at stage 1 (committee members: community staff)."""
        user = api_user()
        cid = args.get("community_id") or user.community_id
        if cid is None:
            raise Refused("community_required", N_("请指定 community_id。"))
        community = load_community(user, cid)
        matter = operations.create(user, community, title=args["title"], kind=args["kind"],
                                   plan=args["plan"], budget_fen=_fen(args.get("budget")))
        return _done(matter)


@blp.route("/<int:matter_id>")
class MatterItem(MethodView):
    @token_optional
    @blp.response(200, MatterDetailSchema)
    @_document_public
    def get(self, matter_id):
        """One matter with its plan, seven-stage trail, objections and reports (public from
        stage 5 on; before that, staff, body members and followers)."""
        return _dump(_read(matter_id), api_user(), detail=True)

    @token_required
    @blp.arguments(MatterUpdateArgs)
    @blp.response(200, MatterDetailSchema)
    @_document
    def patch(self, args, matter_id):
        """Revise title, kind, plan or budget: stages 1 and 2 only (409 `plan_locked` after)."""
        matter = _read(matter_id)
        budget = _fen(args["budget"]) if "budget" in args else matter.budget_fen
        operations.update(api_user(), matter, title=args.get("title", matter.title),
                          kind=args.get("kind", matter.kind), plan=args.get("plan", matter.plan),
                          budget_fen=budget)
        return _done(matter)


@blp.route("/<int:matter_id>/trail")
class Trail(MethodView):
    @token_optional
    @blp.response(200, MatterTrailStageSchema(many=True))
    @_document_public
    def get(self, matter_id):
        """The seven stages, each with its state, meetings, attendance, result and minutes."""
        return trail(_read(matter_id), api_user())


@blp.route("/<int:matter_id>/schedule")
class Schedule(MethodView):
    @token_required
    @blp.arguments(MatterScheduleArgs)
    @blp.response(201, MatterScheduledSchema)
    @_document
    def post(self, args, matter_id):
        """Put the matter on the agenda of a meeting of the body its stage needs (422 `wrong_body`
        otherwise). For a party members' assembly the plan is written into the meeting's notice,
        so the meeting must not have been announced yet. The vote held on that item moves the
        matter on (or back) by itself."""
        user = api_user()
        matter = _read(matter_id)
        item = agenda.schedule(user, matter, meeting_ops.get_meeting(user, args["meeting_id"]))
        return {"item_id": item.id, "meeting_id": item.meeting_id, "title": item.title,
                "matter": _dump(matter, user, detail=True)}


@blp.route("/<int:matter_id>/objections")
class Objections(MethodView):
    @token_optional
    @blp.response(200, MatterObjectionSchema(many=True))
    @_document_public
    def get(self, matter_id):
        """Objections to the published resolution, with their answers and 3-day deadlines."""
        matter = _read(matter_id)
        user, now = api_user(), utcnow()
        return [_objection(o, user, matter.can_manage(user), now) for o in matter.objections
                if o.round == matter.round]

    @token_required
    @blp.arguments(MatterTextArgs)
    @blp.response(201, MatterObjectionSchema)
    @_document
    def post(self, args, matter_id):
        """A verified resident of the community objects, inside the notice period."""
        user = api_user()
        objection = decisions.raise_objection(user, _read(matter_id), args["text"])
        return _objection(objection, user, False, utcnow())


@blp.route("/<int:matter_id>/objections/<int:objection_id>/answer")
class AnswerObjection(MethodView):
    @token_required
    @blp.arguments(MatterTextArgs)
    @blp.response(200, MatterObjectionSchema)
    @_document
    def post(self, args, matter_id, objection_id):
        """Staff answer an objection (due within 3 days; later answers are flagged overdue)."""
        user = api_user()
        matter = _read(matter_id)
        objection = decisions.answer_objection(user, decisions.load_objection(matter, objection_id),
                                                args["text"])
        return _objection(objection, user, True, utcnow())


@blp.route("/<int:matter_id>/objections/<int:objection_id>/accept")
class AcceptAnswer(MethodView):
    @token_required
    @blp.response(200, MatterObjectionSchema)
    @_document
    def post(self, matter_id, objection_id):
        """The objector accepts the answer: the objection is resolved."""
        user = api_user()
        matter = _read(matter_id)
        objection = decisions.accept_answer(user, decisions.load_objection(matter, objection_id))
        return _objection(objection, user, False, utcnow())


@blp.route("/<int:matter_id>/implementation")
class Implementation(MethodView):
    @token_required
    @blp.response(200, MatterDetailSchema)
    @_document
    def post(self, matter_id):
        """Start implementation (stage 5 → 6): refused (409) while the notice period runs, while an
        objection is unanswered, or while an unresolved one has not been decided by a party
        members' assembly."""
        matter = _read(matter_id)
        decisions.start_implementation(api_user(), matter)
        return _done(matter)


@blp.route("/<int:matter_id>/reports")
class Reports(MethodView):
    @token_optional
    @blp.response(200, MatterReportSchema(many=True))
    @_document_public
    def get(self, matter_id):
        """Implementation reports, oldest first (public with the matter)."""
        matter = _read(matter_id)
        return [_report(matter, r) for r in matter.reports]

    @token_required
    @blp.arguments(MatterReportArgs)
    @blp.response(201, MatterReportSchema)
    @_document
    def post(self, args, matter_id):
        """Publish a progress report (stage 6): followers are notified. Photos: on the page."""
        matter = _read(matter_id)
        report = operations.add_report(api_user(), matter, text=args["text"],
                                       percent_done=args["percent_done"],
                                       spent_fen=_fen(args.get("spent")) or 0)
        return _report(matter, report)


@blp.route("/<int:matter_id>/follow")
class Follow(MethodView):
    @token_required
    @blp.response(200, MatterDetailSchema)
    @_document
    def post(self, matter_id):
        """Follow the matter: every step is notified."""
        matter = _read(matter_id)
        operations.follow(api_user(), matter)
        return _done(matter)

    @token_required
    @blp.response(200, MatterDetailSchema)
    @_document
    def delete(self, matter_id):
        """Stop following."""
        matter = _read(matter_id)
        operations.unfollow(api_user(), matter)
        return _done(matter)
