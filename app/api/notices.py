"""API: the notice board as open data (list, item, statistics: public, no token), and general
notices (居务公开) for community admins (token)."""
from datetime import date, datetime, timezone

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint

from app.api.docs import documented
from app.api.fields import UtcDateTime
from app.api.security import api_user, token_required
from app.community.operations import load_community
from app.core.i18n import N_, Message
from app.core.refusal import Refused
from app.core.timeutil import utcnow
from app.notice import caching, index, operations, present, rules, snapshots, sources, stats
from app.notice.rules import GENERAL_CATEGORIES, PostingKind

blp = Blueprint("api_notices", __name__, url_prefix="/notices",
                description="公开栏：决议公开、实施结果公开、居民提案、会议公告、居务公开（公开数据，无需令牌）")


def blueprints():
    return [blp]


@blp.after_request
def _conditional(response):
    """Public reads answer conditional GETs like the board's pages (ETag of the body, 304)."""
    if (request.method == "GET" and response.status_code == 200
            and not request.headers.get("Authorization")):
        response.set_etag(caching._digest("v1", response.get_data()))
        response.headers["Cache-Control"] = caching.CACHE_CONTROL
        return response.make_conditional(request)
    return response


# -- schemas -------------------------------------------------------------------------------

KINDS = [k.value for k in PostingKind]


class PostingSchema(ma.Schema):
    kind = ma.fields.String(metadata={"description": " | ".join(KINDS)})
    kind_label = ma.fields.String()
    source_id = ma.fields.Integer(metadata={"description": "the id in its own area (proposal id, meeting id…)"})
    community_id = ma.fields.Integer()
    community = ma.fields.String()
    title = ma.fields.String()
    category = ma.fields.String()
    status = ma.fields.String(metadata={"description": "status in words, as of now"})
    summary = ma.fields.String()
    year = ma.fields.Integer()
    published_dt = UtcDateTime()
    updated_dt = UtcDateTime()
    url = ma.fields.String(metadata={"description": "the item's stable address on the board"})


class PostingPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PostingSchema))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    pages = ma.fields.Integer()


class PostingDetailSchema(PostingSchema):
    detail = ma.fields.Dict(metadata={"description": "the item's content; keys depend on kind"})
    print_url = ma.fields.String()


class ListArgs(ma.Schema):
    community_id = ma.fields.Integer(validate=ma.validate.Range(min=1))
    kind = ma.fields.String(validate=ma.validate.OneOf(KINDS))
    category = ma.fields.String(validate=ma.validate.Length(max=64))
    year = ma.fields.Integer(validate=ma.validate.Range(min=2000, max=2100))
    q = ma.fields.String(validate=ma.validate.Length(max=100),
                         metadata={"description": "search; Chinese matches on two-character words"})
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


class StatsArgs(ma.Schema):
    year = ma.fields.Integer(validate=ma.validate.Range(min=2000, max=2100),
                             metadata={"description": "default: this year (Beijing time)"})
    community_id = ma.fields.Integer(validate=ma.validate.Range(min=1),
                                     metadata={"description": "default: every community and the total"})


class FiguresSchema(ma.Schema):
    community_id = ma.fields.Raw(allow_none=True)
    community = ma.fields.String()
    year = ma.fields.Integer()
    received = ma.fields.Integer(metadata={"description": "proposals published in the year"})
    accepted = ma.fields.Integer()
    answered = ma.fields.Integer()
    answered_on_time = ma.fields.Integer()
    rated = ma.fields.Integer()
    satisfied = ma.fields.Integer()
    basically_satisfied = ma.fields.Integer()
    unsatisfied = ma.fields.Integer()
    matters_decided = ma.fields.Integer(allow_none=True)
    meetings_held = ma.fields.Integer()
    attendance_expected = ma.fields.Integer()
    attendance_present = ma.fields.Integer()
    acceptance_rate = ma.fields.Float(allow_none=True, metadata={"description": "percent"})
    on_time_rate = ma.fields.Float(allow_none=True, metadata={"description": "percent"})
    satisfaction_rate = ma.fields.Float(allow_none=True, metadata={"description": "percent"})
    attendance_rate = ma.fields.Float(allow_none=True, metadata={"description": "percent"})


class StatsSchema(ma.Schema):
    year = ma.fields.Integer()
    rows = ma.fields.List(ma.fields.Nested(FiguresSchema))
    total = ma.fields.Nested(FiguresSchema)
    months = ma.fields.Dict(metadata={"description": "received / answered: 12 counts each"})
    computed_at = UtcDateTime(allow_none=True, metadata={
        "description": "when these figures were counted (they are recounted every few minutes, see "
                       "NOTICE_STATS_MAX_AGE); null when counted for this answer"})


class NoticeSchema(ma.Schema):
    id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    title = ma.fields.String()
    category = ma.fields.String()
    body = ma.fields.String(metadata={"description": "Markdown"})
    state = ma.fields.String(metadata={"description": "draft | published | withdrawn"})
    created_dt = UtcDateTime()
    updated_dt = UtcDateTime()
    published_dt = UtcDateTime(allow_none=True)
    withdrawn_dt = UtcDateTime(allow_none=True)
    withdraw_reason = ma.fields.String(allow_none=True)
    url = ma.fields.Function(lambda n: f"/notice/general/{n.id}" if n.is_public else None,
                             metadata={"description": "on the board, once published"})


class NoticeArgs(ma.Schema):
    title = ma.fields.String(required=True, validate=ma.validate.Length(max=120))
    category = ma.fields.String(required=True, validate=ma.validate.OneOf(GENERAL_CATEGORIES))
    body = ma.fields.String(required=True, validate=ma.validate.Length(max=20000))


class CreateNoticeArgs(NoticeArgs):
    community_id = ma.fields.Integer(metadata={"description": "default: the caller's community"})
    publish = ma.fields.Boolean(load_default=False, metadata={"description": "publish at once"})


class ManageListArgs(ma.Schema):
    community_id = ma.fields.Integer(metadata={"description": "default: the caller's community"})


class WithdrawArgs(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))


_document = documented(blp)
_public = documented(blp, security=[], statuses=(404, 422))


# -- helpers -------------------------------------------------------------------------------

def _jsonable(value):
    """Details as JSON: datetimes as ISO 8601 in UTC, like every other date in the API."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc).isoformat() if value.tzinfo is None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Message):     # words kept as a msgid: in the request's language
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _filters(args):
    return index.Filters(community_id=args.get("community_id"), kind=args.get("kind"),
                         category=args.get("category"), year=args.get("year"),
                         q=(args.get("q") or "").strip())


def _community(community_id):
    user = api_user()
    return load_community(user, community_id or user.community_id, admin=True)


# -- the board, public ---------------------------------------------------------------------

@blp.route("")
class Notices(MethodView):

    @blp.arguments(ListArgs, location="query")
    @blp.response(200, PostingPageSchema)
    @_public
    def get(self, args):
        """Everything on the board, newest first: filters, Chinese search, pagination."""
        page = index.find(_filters(args), page=args["page"], per_page=args["per_page"])
        return {"items": present.entries_of(page.items, utcnow()), "total": page.total,
                "page": page.page, "pages": page.pages}


@blp.route("/stats")
class Stats(MethodView):

    @blp.arguments(StatsArgs, location="query")
    @blp.response(200, StatsSchema)
    @_public
    def get(self, args):
        """Statistics per community and year (counts, and rates in percent), as counted at
        `computed_at`."""
        now = utcnow()
        year = args.get("year") or rules.local_year(now)
        names = present.community_names()
        community_id = args.get("community_id")
        if community_id is not None and community_id not in names:
            raise Refused("not_found", N_("找不到该社区。"))
        snapshot = snapshots.current(year)
        overview = snapshot.overview(community_id, names.items())
        rows = present.stats_rows(overview)
        if len(overview.rows) > 1:
            rows = rows[:-1]
        total = dict(stats.figures_dict(overview.total), community_id=None,
                     community=names.get(community_id) or _("全街道合计"), year=year)
        return {"year": year, "rows": rows, "total": total,
                "months": {"received": overview.months_received,
                           "answered": overview.months_answered},
                "computed_at": snapshot.computed_dt}


@blp.route("/<kind>/<int:source_id>")
class NoticeItem(MethodView):

    @blp.response(200, PostingDetailSchema)
    @_public
    def get(self, kind, source_id):
        """One item at its stable address, with its content (replies, trail, results…)."""
        source = sources.get(kind)
        record = source.load_public(source_id) if source is not None else None
        if record is None:
            raise Refused("not_found", N_("公开栏上没有这一条。"))
        now = utcnow()
        entry = source.entry(record, now)
        names = index.communities()
        data = {
            "kind": source.kind.value, "kind_label": source.kind.label, "source_id": record.id,
            "community_id": entry.community_id, "community": dict(names).get(entry.community_id, ""),
            "title": entry.title, "category": entry.category, "status": entry.status.at(now),
            "summary": entry.summary, "year": rules.local_year(entry.published_dt),
            "published_dt": entry.published_dt, "updated_dt": entry.updated_dt,
            "url": present.item_url(source.kind, record.id, external=True),
            "print_url": present.item_url(source.kind, record.id, external=True) + "/print",
            "detail": _jsonable(source.detail(record, now)),
        }
        return data


# -- general notices, for community admins --------------------------------------------------

@blp.route("/manage")
class ManageNotices(MethodView):
    decorators = [token_required]

    @blp.arguments(ManageListArgs, location="query")
    @blp.response(200, NoticeSchema(many=True))
    @_document
    def get(self, args):
        """The community's general notices, drafts and withdrawn ones included (admins)."""
        return operations.notices_of(_community(args.get("community_id")))

    @blp.arguments(CreateNoticeArgs)
    @blp.response(201, NoticeSchema)
    @_document
    def post(self, args):
        """Write a general notice (居务公开); `publish: true` puts it on the board at once."""
        community = _community(args.get("community_id"))
        notice = operations.create(api_user(), community, title=args["title"],
                                   category=args["category"], body=args["body"],
                                   publish_now=args["publish"])
        return notice


@blp.route("/manage/<int:notice_id>")
class ManageNotice(MethodView):
    decorators = [token_required]

    @blp.response(200, NoticeSchema)
    @_document
    def get(self, notice_id):
        """One general notice in any state (admins of its community)."""
        return operations.load(notice_id, api_user())

    @blp.arguments(NoticeArgs)
    @blp.response(200, NoticeSchema)
    @_document
    def put(self, args, notice_id):
        """Correct a notice; a published one says it was updated."""
        notice = operations.update(api_user(), operations.load(notice_id, api_user()), **args)
        return notice


@blp.route("/manage/<int:notice_id>/publish")
class PublishNotice(MethodView):
    decorators = [token_required]

    @blp.response(200, NoticeSchema)
    @_document
    def post(self, notice_id):
        """Publish a draft to the board."""
        notice = operations.publish(api_user(), operations.load(notice_id, api_user()))
        return notice


@blp.route("/manage/<int:notice_id>/withdraw")
class WithdrawNotice(MethodView):
    decorators = [token_required]

    @blp.arguments(WithdrawArgs)
    @blp.response(200, NoticeSchema)
    @_document
    def post(self, args, notice_id):
        """Take a published notice off the board, with a reason."""
        notice = operations.withdraw(api_user(), operations.load(notice_id, api_user()),
                                     args["reason"])
        return notice
