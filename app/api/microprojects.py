"""API: the micro-project fund (民生微实事) — rounds, ideas, screening, the deliberation, the residents'
ballot and paper totals, results, implementation; the same operations as the pages."""
from datetime import timezone
from functools import wraps

import marshmallow as ma
from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.docs import documented
from app.api.fields import UtcDateTime
from app.api.security import BEARER, api_user, current_api_user, token_required
from app.community.operations import load_community
from app.core.i18n import N_
from app.core.refusal import Refused
from app.meetings.operations import get_meeting
from app.microprojects import implementation as impl, operations as ops, rules, voting
from app.microprojects.rules import BallotBase, ChoiceMode, Ground, Kind, Rating
from app.notice.micro_data import data_of, idea_data
from app.proposals.operations import get_proposal

blp = Blueprint("api_microprojects", __name__, url_prefix="/micro", description="民生微实事")


def blueprints():
    return [blp]


_document = documented(blp)
_document_public = documented(blp, security=[{}] + BEARER)


def _naive_utc(dt):
    return dt.astimezone(timezone.utc).replace(tzinfo=None) if dt.tzinfo else dt


# -- schemas -------------------------------------------------------------------------------------

class MicroRoundArgs(ma.Schema):
    community_id = ma.fields.Integer(metadata={"description": "default: the caller's community"})
    title = ma.fields.String(required=True, validate=ma.validate.Length(max=120))
    year = ma.fields.Integer(required=True)
    fund_fen = ma.fields.Integer(required=True, metadata={"description": "the fund in fen (1 元 = 100 fen)"})
    caps_fen = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.OneOf([k.value for k in Kind])),
                              values=ma.fields.Integer(), metadata={"description": "per kind; default 20/20/50 万元"})
    categories = ma.fields.List(ma.fields.String())
    dates = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.OneOf(rules.DATE_FIELDS)),
                           values=UtcDateTime(), required=True,
                           metadata={"description": "every phase's start: " + ", ".join(rules.DATE_FIELDS)})
    ballot_base = ma.fields.String(load_default="person", validate=ma.validate.OneOf([b.value for b in BallotBase]))
    choice_mode = ma.fields.String(load_default="up_to_k", validate=ma.validate.OneOf([m.value for m in ChoiceMode]))
    max_choices = ma.fields.Integer(load_default=3)
    is_changeable = ma.fields.Boolean(load_default=True)
    matter_threshold_fen = ma.fields.Integer(allow_none=True, load_default=None)


class MicroListArgs(ma.Schema):
    community_id = ma.fields.Integer()


class MicroRoundSchema(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE
    id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    title = ma.fields.String()
    year = ma.fields.Integer()
    phase = ma.fields.String(metadata={"description": "upcoming collecting screening deliberation voting "
                                                      "results implementation closed"})
    is_waiting = ma.fields.Boolean(metadata={"description": "voting is due but the shortlist is not fixed"})
    fund_fen = ma.fields.Integer()
    caps_fen = ma.fields.Dict()
    dates = ma.fields.Dict()
    ballot_base = ma.fields.String()
    choice_mode = ma.fields.String()
    max_choices = ma.fields.Integer()
    is_changeable = ma.fields.Boolean()
    shortlist_fixed = ma.fields.Boolean()
    shortlist_result = ma.fields.String(allow_none=True)
    funding_rule = ma.fields.String()
    results = ma.fields.Dict(allow_none=True, metadata={"description": "ranked lines, committed and left fen, turnout"})
    money = ma.fields.Dict(metadata={"description": "fund_fen, committed_fen, spent_fen"})
    ideas = ma.fields.List(ma.fields.Dict())


class MicroIdeaArgs(ma.Schema):
    title = ma.fields.String(required=True, validate=ma.validate.Length(max=120))
    description = ma.fields.String(required=True, validate=ma.validate.Length(max=5000))
    beneficiaries = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    place = ma.fields.String(load_default="", validate=ma.validate.Length(max=120))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf([k.value for k in Kind]))
    category = ma.fields.String(required=True)
    cost_fen = ma.fields.Integer(allow_none=True, load_default=None)
    source = ma.fields.String(load_default="online", validate=ma.validate.OneOf(["online", "paper", "visit"]),
                              metadata={"description": "staff: paper or visit, for ideas gathered offline"})
    source_name = ma.fields.String(allow_none=True, load_default=None)


class MicroPromoteArgs(ma.Schema):
    proposal_id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf([k.value for k in Kind]))
    cost_fen = ma.fields.Integer(allow_none=True, load_default=None)


class MicroSimilarArgs(ma.Schema):
    q = ma.fields.String(required=True, validate=ma.validate.Length(max=120))


class MicroScreenArgs(ma.Schema):
    decision = ma.fields.String(required=True, validate=ma.validate.OneOf(["feasible", "infeasible", "merged"]))
    ground = ma.fields.String(validate=ma.validate.OneOf([g.value for g in Ground]), load_default=None)
    reason = ma.fields.String(required=True, validate=ma.validate.Length(max=2000))
    estimate_fen = ma.fields.Integer(allow_none=True, load_default=None)
    handler_org_id = ma.fields.Integer(allow_none=True, load_default=None)
    merge_into_id = ma.fields.Integer(allow_none=True, load_default=None)


class MicroMeetingArgs(ma.Schema):
    meeting_id = ma.fields.Integer(required=True)


class MicroCastArgs(ma.Schema):
    picks = ma.fields.List(ma.fields.Integer(), required=True, metadata={"description": "idea ids"})


class MicroBallotSchema(ma.Schema):
    rule = ma.fields.Dict()
    shortlist = ma.fields.List(ma.fields.Dict())
    mine = ma.fields.Dict(allow_none=True, metadata={"description": "receipt and picks, or channel paper"})
    turnout = ma.fields.Dict(metadata={"description": "turnout only while the vote is open"})


class MicroReceiptSchema(ma.Schema):
    receipt = ma.fields.String()


class MicroPhoneArgs(ma.Schema):
    phone = ma.fields.String(required=True, validate=ma.validate.Length(max=20))


class MicroTotalsArgs(ma.Schema):
    totals = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True,
                            metadata={"description": "idea id → counted paper ballots"})


class MicroAssignArgs(ma.Schema):
    org_id = ma.fields.Integer(required=True)
    phones = ma.fields.List(ma.fields.String(), load_default=list)


class MicroMilestoneArgs(ma.Schema):
    title = ma.fields.String(required=True, validate=ma.validate.Length(max=120))
    due_dt = UtcDateTime(required=True)
    percent = ma.fields.Integer(required=True)


class MicroNoteArgs(ma.Schema):
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=5000))


class MicroSpendingArgs(ma.Schema):
    amount_fen = ma.fields.Integer(required=True)
    note = ma.fields.String(required=True, validate=ma.validate.Length(max=200))


IdeaResult = ma.Schema.from_dict({"idea": ma.fields.Dict()}, name="MicroIdeaResult")


class MicroRateArgs(ma.Schema):
    rating = ma.fields.String(required=True, validate=ma.validate.OneOf([r.value for r in Rating]))


# -- loading -------------------------------------------------------------------------------------

def _round(round_id, member=True):
    """A round to act on: the caller must belong to its community (another community's is a 404)."""
    found = ops.get_round(api_user(), round_id)
    if member:
        load_community(api_user(), found.community_id)
    voting.settle(found)
    return found


def _idea(idea_id):
    """An idea to act on: for its community's people and for the people carrying it out."""
    idea = ops.get_idea(api_user(), idea_id)
    _round(idea.round_id, member=not ops.is_implementer(api_user(), idea))
    return idea


def _optional_token(view):
    """A public read: no token needed; one that is sent must be valid."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        g.api_user = current_api_user() if request.headers.get("Authorization") else None
        return view(*args, **kwargs)
    return wrapper


# -- rounds --------------------------------------------------------------------------------------

@blp.route("/rounds")
class Rounds(MethodView):
    decorators = [token_required]

    @blp.arguments(MicroListArgs, location="query")
    @blp.response(200, MicroRoundSchema(many=True))
    @_document
    def get(self, args):
        """The rounds of a community (default: the caller's)."""
        community = load_community(api_user(), args.get("community_id") or api_user().community_id)
        return [data_of(r) for r in ops.rounds_of(community)]

    @blp.arguments(MicroRoundArgs)
    @blp.response(201, MicroRoundSchema)
    @_document
    def post(self, args):
        """Staff set up a round: fund, kinds with caps, categories, phase dates, the ballot's rules."""
        community = load_community(api_user(), args.pop("community_id", None) or api_user().community_id)
        missing = [name for name in rules.DATE_FIELDS if name not in args["dates"]]
        if missing:
            raise Refused("dates", N_("请填写每个阶段的开始时间。"), details={m: ["required"] for m in missing})
        dates = rules.Dates(*(_naive_utc(args["dates"][name]) for name in rules.DATE_FIELDS))
        found = ops.create_round(
            api_user(), community, title=args["title"], year=args["year"], fund_fen=args["fund_fen"],
            caps=args.get("caps_fen") or None, categories=args.get("categories"), dates=dates,
            ballot_base=args["ballot_base"], choice_mode=args["choice_mode"], max_choices=args["max_choices"],
            is_changeable=args["is_changeable"], matter_threshold_fen=args["matter_threshold_fen"])
        return data_of(found)


@blp.route("/rounds/<int:round_id>")
class RoundItem(MethodView):
    decorators = [_optional_token]

    @blp.response(200, MicroRoundSchema)
    @_document_public
    def get(self, round_id):
        """A round in public: ideas and screening, shortlist, result with its rule, progress, money."""
        return data_of(_round(round_id, member=False))


@blp.route("/rounds/<int:round_id>/ideas")
class Ideas(MethodView):
    decorators = [token_required]

    @blp.arguments(MicroIdeaArgs)
    @blp.response(201, IdeaResult)
    @_document
    def post(self, args, round_id):
        """A verified resident submits an idea (staff: one gathered on paper or at a visit)."""
        idea = ops.submit_idea(api_user(), _round(round_id), **args)
        return {"idea": idea_data(idea)}


@blp.route("/rounds/<int:round_id>/promote")
class Promote(MethodView):
    decorators = [token_required]

    @blp.arguments(MicroPromoteArgs)
    @blp.response(201, IdeaResult)
    @_document
    def post(self, args, round_id):
        """An accepted proposal becomes an idea of the round (its author or staff)."""
        round_ = _round(round_id)
        proposal = get_proposal(api_user(), args["proposal_id"], community_id=round_.community_id)
        return {"idea": idea_data(ops.promote_proposal(api_user(), round_, proposal, kind=args["kind"],
                                                       cost_fen=args["cost_fen"]))}


@blp.route("/rounds/<int:round_id>/similar")
class Similar(MethodView):
    decorators = [token_required]

    @blp.arguments(MicroSimilarArgs, location="query")
    @blp.response(200, ma.Schema.from_dict({"items": ma.fields.List(ma.fields.Dict())}, name="MicroSimilar"))
    @_document
    def get(self, args, round_id):
        """Ideas of the round that look like the title being written: co-sign instead."""
        found = ops.similar_ideas(_round(round_id), args["q"])
        return {"items": [{"id": i.id, "title": i.title, "cosign_count": i.cosign_count, "score": s}
                          for i, s in found]}


@blp.route("/rounds/<int:round_id>/deliberation")
class Deliberation(MethodView):
    decorators = [token_required]

    @blp.arguments(MicroMeetingArgs)
    @blp.response(200, MicroRoundSchema)
    @_document
    def post(self, args, round_id):
        """Put the screened list on the agenda of a 议事会 or 居民代表会议 meeting; its vote in the
        live room fixes the shortlist."""
        round_ = _round(round_id)
        ops.schedule_deliberation(api_user(), round_, get_meeting(api_user(), args["meeting_id"]))
        return data_of(round_)


@blp.route("/rounds/<int:round_id>/ballot")
class Ballot(MethodView):
    decorators = [token_required]

    @blp.response(200, MicroBallotSchema)
    @_document
    def get(self, round_id):
        """The ballot: the shortlist with estimates, the rule, the caller's own ballot, turnout."""
        round_ = _round(round_id)
        mine = voting.my_ballot(api_user(), round_)
        rule = round_.choice_rule
        return {"rule": {"mode": rule.mode.value, "max_choices": rule.max_choices, "fund_fen": rule.fund_fen,
                         "is_changeable": round_.is_changeable, "ballot_base": round_.ballot_base},
                "shortlist": [{"id": i.id, "title": i.title, "kind": i.kind, "cost_fen": i.cost_for_vote_fen}
                              for i in ops.shortlist(round_)],
                "mine": ({"channel": "paper"} if mine == "paper" else
                         {"channel": "online", "receipt": mine[0], "picks": list(mine[1])} if mine else None),
                "turnout": voting.turnout(round_)}

    @blp.arguments(MicroCastArgs)
    @blp.response(201, MicroReceiptSchema)
    @_document
    def post(self, args, round_id):
        """Cast (or change, where the round allows) the caller's secret ballot; the receipt comes
        once it is committed, and a retry of the same ballot gets the same receipt."""
        round_ = _round(round_id)
        return {"receipt": voting.cast(api_user(), round_.id, args["picks"])}


@blp.route("/rounds/<int:round_id>/paper/voters")
class PaperVoters(MethodView):
    decorators = [token_required]

    @blp.arguments(MicroPhoneArgs)
    @blp.response(201, ma.Schema.from_dict({"paper_voters": ma.fields.Integer()}, name="MicroPaperVoters"))
    @_document
    def post(self, args, round_id):
        """Staff check a resident off as having voted on paper (refused if they voted online)."""
        round_ = _round(round_id)
        voting.record_paper_voter(api_user(), round_, args["phone"])
        return {"paper_voters": voting.paper_voters(round_)}


@blp.route("/rounds/<int:round_id>/paper/totals")
class PaperTotals(MethodView):
    decorators = [token_required]

    @blp.arguments(MicroTotalsArgs)
    @blp.response(200, ma.Schema.from_dict({"totals": ma.fields.Dict()}, name="MicroPaperTotals"))
    @_document
    def put(self, args, round_id):
        """Staff enter the counted paper ballots per project: never more than the paper voters."""
        round_ = _round(round_id)
        try:
            totals = {int(k): v for k, v in args["totals"].items()}
        except ValueError:
            raise Refused("not_on_ballot", N_("所选项目不在本轮的候选名单上。")) from None
        clean = voting.set_paper_totals(api_user(), round_, totals)
        return {"totals": {str(k): v for k, v in clean.items()}}


@blp.route("/rounds/<int:round_id>/receipts")
class Receipts(MethodView):
    decorators = [_optional_token]

    @blp.response(200, ma.Schema.from_dict({"receipts": ma.fields.List(ma.fields.Dict())}, name="MicroReceipts"))
    @_document_public
    def get(self, round_id):
        """After the vote: every online ballot's receipt and its choice."""
        round_ = _round(round_id, member=False)
        return {"receipts": [{"receipt": r, "picks": list(p)} for r, p in voting.receipts(round_)]}


# -- ideas ---------------------------------------------------------------------------------------

def _idea_action(name, run, args_schema=None, doc=""):
    """POST /ideas/{id}/<name>: one operation on an idea, answered with the idea."""
    if args_schema is None:
        def post(self, idea_id):
            idea = _idea(idea_id)
            run(api_user(), idea, {})
            return {"idea": idea_data(idea)}
    else:
        @blp.arguments(args_schema)
        def post(self, args, idea_id):
            idea = _idea(idea_id)
            run(api_user(), idea, args)
            return {"idea": idea_data(idea)}
    post.__doc__ = doc
    post = _document(blp.response(200, IdeaResult)(post))
    action = type(f"Idea{name.title().replace('_', '')}", (MethodView,),
                  {"decorators": [token_required], "post": post})
    blp.route(f"/ideas/<int:idea_id>/{name}")(action)


def _screen(user, idea, a):
    ops.screen(user, idea, feasible=a["decision"] == "feasible", ground=a["ground"], reason=a["reason"],
               estimate_fen=a["estimate_fen"], handler_org_id=a["handler_org_id"],
               merge_into_id=a["merge_into_id"] if a["decision"] == "merged" else None)


def _complete(user, idea, a):
    impl.complete_milestone(user, impl.load_milestone(idea, a["milestone_id"]), note=a["note"])


CompleteArgs = ma.Schema.from_dict({"milestone_id": ma.fields.Integer(required=True),
                                    "note": ma.fields.String(load_default="")}, name="MicroCompleteArgs")

_idea_action("cosign", lambda u, i, a: ops.cosign(u, i), doc="Co-sign an idea (one per resident).")
_idea_action("screen", _screen, MicroScreenArgs, "Staff: feasible (estimate, handler), not (a stated ground), or merged.")
_idea_action("assign", lambda u, i, a: impl.assign(u, i, a["org_id"], a["phones"]), MicroAssignArgs,
             "Staff: the handler organisation and its people carry out a funded project.")
_idea_action("milestones", lambda u, i, a: impl.add_milestone(
    u, i, title=a["title"], due_dt=_naive_utc(a["due_dt"]), percent=a["percent"]), MicroMilestoneArgs,
    "Staff or the handler: plan a milestone with the progress it brings.")
_idea_action("milestone_done", _complete, CompleteArgs, "Staff or the handler: a milestone is done.")
_idea_action("spendings", lambda u, i, a: impl.add_spending(u, i, amount_fen=a["amount_fen"], note=a["note"]),
             MicroSpendingArgs, "Staff or the handler: money spent, against the estimate.")
_idea_action("rate", lambda u, i, a: impl.rate(u, i, a["rating"]), MicroRateArgs,
             "Voters and followers rate a complete project.")
_idea_action("accept", lambda u, i, a: impl.accept(u, i, a["note"]), MicroNoteArgs, "Staff record the acceptance (验收).")
_idea_action("confirm", lambda u, i, a: impl.confirm(u, i), doc="The supervisory committee confirms the acceptance.")
