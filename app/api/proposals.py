"""API: residents' proposals — list, write, co-sign, review, assign, answer, rate, comment."""
import marshmallow as ma
from functools import wraps

from flask import g, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.docs import documented
from app.api.fields import UtcDateTime
from app.api.security import BEARER, api_user, current_api_user, token_required
from app.community.operations import load_community
from app.core.i18n import N_
from app.core.refusal import Refused
from app.core.timeutil import utcnow
from app.proposals import comments, drafts, operations, queries, search
from app.proposals.workflow import DeclineGround, ProposalState, Rating, ReplyCategory

blp = Blueprint("api_proposals", __name__, url_prefix="/proposals", description="居民提案")


def blueprints():
    return [blp]


# -- schemas -------------------------------------------------------------------

class DeadlineSchema(ma.Schema):
    kind = ma.fields.String(metadata={"description": "window | review | assign | reply"})
    label = ma.fields.String()
    due_dt = UtcDateTime()
    seconds_left = ma.fields.Integer()
    is_overdue = ma.fields.Boolean()


class ReplySchema(ma.Schema):
    category = ma.fields.String(metadata={"description": "A B C D"})
    category_label = ma.fields.String()
    body = ma.fields.String()
    reason = ma.fields.String(allow_none=True)
    org = ma.fields.String(allow_none=True)
    is_late = ma.fields.Boolean()
    created_dt = UtcDateTime()
    rating = ma.fields.String(allow_none=True)
    rating_label = ma.fields.String(allow_none=True)


class EventSchema(ma.Schema):
    action = ma.fields.String()
    label = ma.fields.String()
    actor = ma.fields.String(allow_none=True)
    from_state = ma.fields.String(allow_none=True)
    to_state = ma.fields.String(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    note = ma.fields.String(allow_none=True)
    created_dt = UtcDateTime()


class ProposalSchema(ma.Schema):
    id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    title = ma.fields.String()
    category = ma.fields.String()
    problem = ma.fields.String()
    suggestion = ma.fields.String()
    place = ma.fields.String()
    state = ma.fields.String(metadata={"description": "effective state (expiry derived from time)"})
    state_label = ma.fields.String()
    author = ma.fields.Dict()
    cosign_count = ma.fields.Integer()
    cosign_threshold = ma.fields.Integer()
    published_dt = UtcDateTime(allow_none=True)
    deadline = ma.fields.Nested(DeadlineSchema, allow_none=True)
    handler_org = ma.fields.String(allow_none=True)
    is_extended = ma.fields.Boolean()
    rehandle_count = ma.fields.Integer()
    decline_ground = ma.fields.String(allow_none=True)
    decline_reason = ma.fields.String(allow_none=True)
    merged_into_id = ma.fields.Integer(allow_none=True)
    rating = ma.fields.String(allow_none=True)
    replies = ma.fields.List(ma.fields.Nested(ReplySchema))
    attachments = ma.fields.List(ma.fields.Dict())
    cosigner_ratings = ma.fields.Dict(metadata={"description": "co-signers' ratings of the latest reply"})
    allowed_actions = ma.fields.List(ma.fields.String(),
                                     metadata={"description": "what the caller may do now"})
    url = ma.fields.String()


class ProposalDetailSchema(ProposalSchema):
    timeline = ma.fields.List(ma.fields.Nested(EventSchema))


class ProposalPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ProposalSchema))
    total = ma.fields.Integer()
    is_capped = ma.fields.Boolean(metadata={"description": "searches count at most 1000"})
    page = ma.fields.Integer()
    pages = ma.fields.Integer()


class ListArgs(ma.Schema):
    community_id = ma.fields.Integer(metadata={"description": "default: the caller's community"})
    state = ma.fields.String(validate=ma.validate.OneOf([s.value for s in ProposalState]))
    category = ma.fields.String()
    mine = ma.fields.Boolean(load_default=False)
    overdue = ma.fields.Boolean(load_default=False)
    q = ma.fields.String(validate=ma.validate.Length(max=100))
    handling = ma.fields.Boolean(load_default=False, metadata={
        "description": "handlers: the proposals assigned to your organisations, awaiting a reply"})
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


class CreateArgs(ma.Schema):
    community_id = ma.fields.Integer()
    title = ma.fields.String(required=True, validate=ma.validate.Length(max=120))
    category = ma.fields.String(required=True)
    problem = ma.fields.String(required=True, validate=ma.validate.Length(max=5000))
    suggestion = ma.fields.String(required=True, validate=ma.validate.Length(max=5000))
    place = ma.fields.String(load_default="", validate=ma.validate.Length(max=120))


class ReviewArgs(ma.Schema):
    decision = ma.fields.String(required=True, validate=ma.validate.OneOf(["accept", "decline", "merge"]))
    ground = ma.fields.String(validate=ma.validate.OneOf([g.value for g in DeclineGround]),
                              metadata={"description": "decline: one of the stated grounds"})
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=3000))
    target_id = ma.fields.Integer(metadata={"description": "merge: the earlier proposal"})


class AssignArgs(ma.Schema):
    org_id = ma.fields.Integer(required=True)
    days = ma.fields.Integer(metadata={"description": "shorter than the default, if wanted"})


class ExtendArgs(ma.Schema):
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=3000))
    days = ma.fields.Integer()


class ReasonArgs(ma.Schema):
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=3000))


class AnswerArgs(ma.Schema):
    category = ma.fields.String(required=True, validate=ma.validate.OneOf([c.value for c in ReplyCategory]))
    body = ma.fields.String(required=True, validate=ma.validate.Length(max=5000))
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=3000))


class RateArgs(ma.Schema):
    rating = ma.fields.String(required=True, validate=ma.validate.OneOf([r.value for r in Rating]))


class CommentArgs(ma.Schema):
    body = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=3000))


class CommentSchema(ma.Schema):
    id = ma.fields.Integer()
    author = ma.fields.String()
    body = ma.fields.String(allow_none=True, metadata={"description": "null when hidden"})
    is_hidden = ma.fields.Boolean()
    hidden_reason = ma.fields.String(allow_none=True)
    created_dt = UtcDateTime()


class SimilarArgs(ma.Schema):
    community_id = ma.fields.Integer()
    q = ma.fields.String(required=True, validate=ma.validate.Length(max=120))


class SimilarSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    state = ma.fields.String()
    score = ma.fields.Float()
    can_cosign = ma.fields.Boolean(metadata={"description": "still collecting co-signs"})
    url = ma.fields.String(metadata={"description": "the page to co-sign on, or where its answer is"})


# -- helpers -------------------------------------------------------------------

def _community(community_id):
    user = api_user()
    cid = community_id or user.community_id
    if cid is None:
        raise Refused("community_required", N_("请指定 community_id。"))
    return load_community(user, cid)


def _dump(p, user, detail=False):
    now = utcnow()
    state = p.effective_state(now)
    data = {
        "id": p.id, "community_id": p.community_id, "title": p.title, "category": p.category,
        "problem": p.problem, "suggestion": p.suggestion, "place": p.place,
        "state": state.value, "state_label": state.label,
        "author": {"id": p.author_id, "name": p.author.name},
        "cosign_count": p.cosign_count, "cosign_threshold": p.settings.cosign_threshold,
        "published_dt": p.published_dt, "deadline": p.deadline(now),
        "handler_org": p.handler_org.name if p.handler_org else None,
        "is_extended": p.is_extended, "rehandle_count": p.rehandle_count,
        "decline_ground": p.decline_ground, "decline_reason": p.decline_reason,
        "merged_into_id": p.merged_into_id, "rating": p.rating,
        "replies": [{"category": r.category, "category_label": r.category_label, "body": r.body,
                     "reason": r.reason, "org": r.org.name if r.org else None,
                     "is_late": r.is_late, "created_dt": r.created_dt, "rating": r.rating,
                     "rating_label": r.rating_label or None} for r in p.replies],
        "attachments": [{"id": a.id, "filename": a.filename, "content_type": a.content_type,
                         "size": a.size,
                         "url": url_for("proposals.attachment", community_id=p.community_id,
                                        proposal_id=p.id, attachment_id=a.id)}
                        for a in p.attachments],
        "cosigner_ratings": queries.cosigner_ratings(p),
        "allowed_actions": [a.value for a in queries.actions_for(p, user, now)],
        "url": url_for("proposals.show", community_id=p.community_id, proposal_id=p.id),
    }
    if detail:
        data["timeline"] = [{
            "action": e.action, "label": queries.EVENT_LABELS.get(e.action, e.action),
            "actor": e.actor.name if e.actor else None, "from_state": e.from_state,
            "to_state": e.to_state, "reason": e.reason, "note": e.data.get("note"),
            "created_dt": e.created_dt} for e in queries.timeline(p)]
    return data


def _load(proposal_id):
    """For a change: the caller must belong to the proposal's community (or handle it)."""
    return operations.get_proposal(api_user(), proposal_id, member=True)


def _read(proposal_id):
    """For reading: the same rule as the proposal's page — published means public."""
    return operations.get_proposal(api_user(), proposal_id)


def token_optional(view):
    """Reading a published proposal needs no token; a token, when sent, must be valid (a draft
    is shown to its author)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.api_user = current_api_user() if request.headers.get("Authorization") else None
        return view(*args, **kwargs)

    return wrapper


def _done(proposal):
    return _dump(proposal, api_user(), detail=True)


_document = documented(blp)
# A read anyone may make; a bearer token is optional.
_document_public = documented(blp, security=[{}] + BEARER)


# -- endpoints -----------------------------------------------------------------

@blp.route("")
class Proposals(MethodView):
    decorators = [token_required]

    @blp.arguments(ListArgs, location="query")
    @blp.response(200, ProposalPageSchema)
    @_document
    def get(self, args):
        """The community's proposals, newest first (filters, Chinese search, pagination)."""
        if args["handling"]:
            items, _ = queries.handler_queue(api_user(), load=queries.whole_rows())
            queries.prefetch_whole(items, api_user())
            return {"items": [_dump(p, api_user()) for p in items], "total": len(items),
                    "is_capped": False, "page": 1, "pages": 1}
        community = _community(args.pop("community_id", None))
        page = queries.list_proposals(
            community, api_user(), state=args.get("state"), category=args.get("category"),
            mine=args["mine"], overdue=args["overdue"], q=args.get("q"), page=args["page"],
            per_page=args["per_page"], load=queries.whole_rows())
        queries.prefetch_whole(page.items, api_user())
        return {"items": [_dump(p, api_user()) for p in page.items], "total": page.total,
                "is_capped": page.is_capped, "page": page.page, "pages": page.pages}

    @blp.arguments(CreateArgs)
    @blp.response(201, ProposalDetailSchema)
    @_document
    def post(self, args):
        """Write a draft (publish it with POST /proposals/{id}/publish)."""
        community = _community(args.pop("community_id", None))
        proposal = drafts.create_draft(api_user(), community, **args)
        return _done(proposal)


@blp.route("/similar")
class Similar(MethodView):
    decorators = [token_required]

    @blp.arguments(SimilarArgs, location="query")
    @blp.response(200, SimilarSchema(many=True))
    @_document
    def get(self, args):
        """Published proposals whose titles look like q (Chinese two-character words)."""
        community = _community(args.get("community_id"))
        return [{"id": p.id, "title": p.title, "state": p.effective_state().value, "score": s,
                 **queries.similar_hint(p)}
                for p, s in search.similar_to(community, args["q"])]


@blp.route("/<int:proposal_id>")
class ProposalItem(MethodView):
    decorators = [token_optional]

    @blp.response(200, ProposalDetailSchema)
    @_document_public
    def get(self, proposal_id):
        """One proposal with its replies and its whole trail: public once published, like its page
        (no token needed); a draft only to its author."""
        return _dump(_read(proposal_id), api_user(), detail=True)


def _action(path, run, doc, *, args=None, name=None):
    """One POST action on a proposal: load it (404 for what the caller may not see), run the
    operation, answer the proposal as the caller now sees it. `run(user, proposal, args)`."""
    def post(self, *posted, proposal_id):
        run(api_user(), _load(proposal_id), posted[0] if posted else None)
        return _done(_read(proposal_id))

    post.__doc__ = doc
    handler = blp.response(200, ProposalDetailSchema)(post)
    if args is not None:
        handler = blp.arguments(args)(handler)
    view = type(name or f"Proposal_{path}", (MethodView,), {"decorators": [token_required],
                                                           "post": _document(handler)})
    blp.route(f"/<int:proposal_id>/{path}")(view)


_action("publish", lambda user, p, _: operations.publish(user, p),
        "Publish a draft for co-signing (author, verified).")
_action("cosign", lambda user, p, _: operations.cosign(user, p), "Co-sign (附议): verified residents, once each.")
_action("take-to-review", lambda user, p, _: operations.take_to_review(user, p),
        "Staff take a collecting proposal to review.")
_action("withdraw", lambda user, p, _: operations.withdraw(user, p),
        "The author withdraws a draft or a collecting proposal.")


@blp.route("/<int:proposal_id>/review")
class Review(MethodView):
    decorators = [token_required]

    @blp.arguments(ReviewArgs)
    @blp.response(200, ProposalDetailSchema)
    @_document
    def post(self, args, proposal_id):
        """Staff screen it: accept (立案), decline with a ground and explanation, or merge."""
        proposal = _load(proposal_id)
        if args["decision"] == "accept":
            operations.accept(api_user(), proposal)
        elif args["decision"] == "decline":
            operations.decline(api_user(), proposal, args.get("ground"), args["reason"])
        else:
            operations.merge(api_user(), proposal, args.get("target_id"), args["reason"])
        return _done(proposal)


_action("assign", lambda user, p, a: operations.assign(user, p, a["org_id"], a.get("days")),
        "Staff assign it to a handler organisation with a reply deadline.",
        args=AssignArgs, name="Assign")
_action("extend", lambda user, p, a: operations.extend(user, p, a["reason"], a.get("days")),
        "Extend the reply deadline once, with a reason (handler or staff).", args=ExtendArgs, name="Extend")
_action("return", lambda user, p, a: operations.return_assignment(user, p, a["reason"]),
        "The handler returns a wrong assignment within 5 days, with a reason.", args=ReasonArgs, name="Return")
_action("answer", lambda user, p, a: operations.answer(user, p, a["category"], a["body"], a["reason"]),
        "The handler's written reply with result category A/B/C/D (C needs a reason).",
        args=AnswerArgs, name="Answer")
_action("rate", lambda user, p, a: operations.rate(user, p, a["rating"]),
        "The author rates the reply; the first 不满意 sends it back for re-handling.", args=RateArgs, name="Rate")
_action("cosigner-rating", lambda user, p, a: operations.rate_as_cosigner(user, p, a["rating"]),
        "A co-signer rates the latest reply (shown beside the author's; moves nothing).",
        args=RateArgs, name="CosignerRating")
_action("escalate", lambda user, p, a: operations.escalate(user, p, a["reason"]),
        "Staff escalate it into a 四议两公开 matter, with a reason.", args=ReasonArgs, name="Escalate")


@blp.route("/<int:proposal_id>/follow")
class Follow(MethodView):
    decorators = [token_required]

    @blp.response(204)
    @_document
    def post(self, proposal_id):
        """Follow: hear of every change."""
        operations.follow(api_user(), _load(proposal_id))

    @blp.response(204)
    @_document
    def delete(self, proposal_id):
        """Stop following."""
        operations.unfollow(api_user(), _load(proposal_id))


def _comment(c):
    return {"id": c.id, "author": c.author.name, "body": None if c.is_hidden else c.body,
            "is_hidden": c.is_hidden, "hidden_reason": c.hidden_reason, "created_dt": c.created_dt}


@blp.route("/<int:proposal_id>/comments")
class Comments(MethodView):

    @token_optional
    @blp.response(200, CommentSchema(many=True))
    @_document_public
    def get(self, proposal_id):
        """Comments, oldest first; a hidden one keeps only the reason it was hidden. Public like
        the proposal's page."""
        return [_comment(c) for c in comments.comments(_read(proposal_id))]

    @token_required
    @blp.arguments(CommentArgs)
    @blp.response(201, CommentSchema)
    @_document
    def post(self, args, proposal_id):
        """Comment (Markdown, rendered through the one sanitiser on pages)."""
        comment = comments.add_comment(api_user(), _load(proposal_id), args["body"])
        return _comment(comment)


@blp.route("/<int:proposal_id>/comments/<int:comment_id>/hide")
class HideComment(MethodView):
    decorators = [token_required]

    @blp.arguments(ReasonArgs)
    @blp.response(200, CommentSchema)
    @_document
    def post(self, args, proposal_id, comment_id):
        """Staff hide a comment, with a reason (audited)."""
        comment = comments.hide_comment(api_user(), _load(proposal_id), comment_id, args["reason"])
        return _comment(comment)
