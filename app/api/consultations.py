"""API: consultations (民意征集)."""
from datetime import timezone

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.fields import UtcDateTime
from app.api.security import BEARER, api_user, token_required
from app.api.docs import ErrorSchema
from app.community.operations import load_community
from app.votes import consultations as polls

blp = Blueprint("api_consultations", __name__, url_prefix="/consultations",
                description="民意征集")


def blueprints():
    return [blp]


class ConsultationSchema(ma.Schema):
    id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    title = ma.fields.String()
    description = ma.fields.String()
    options = ma.fields.Function(lambda c: c.options.to_dict())
    start_dt = UtcDateTime()
    end_dt = UtcDateTime()
    phase = ma.fields.Function(lambda c: c.phase())


class ResultSchema(ma.Schema):
    counts = ma.fields.Function(lambda r: [{"label": label, "count": n} for label, n in r.counts])
    answered = ma.fields.Integer()
    blank = ma.fields.Integer()
    eligible = ma.fields.Integer()


class ConsultationDetailSchema(ConsultationSchema):
    result = ma.fields.Nested(ResultSchema, allow_none=True)
    my_choice = ma.fields.Raw(allow_none=True)


class ListArgs(ma.Schema):
    community_id = ma.fields.Integer(required=True)


class CreateSchema(ma.Schema):
    community_id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    description = ma.fields.String(load_default="")
    options = ma.fields.List(ma.fields.String(), load_default=list,
                             metadata={"description": "空列表表示赞成/反对/弃权"})
    up_to = ma.fields.Integer(load_default=1)
    start_dt = ma.fields.AwareDateTime(required=True)
    end_dt = ma.fields.AwareDateTime(required=True)


class RespondSchema(ma.Schema):
    choice = ma.fields.Raw(required=True, metadata={
        "description": "\"yes\"/\"no\"/\"abstain\"，或选项序号的列表"})


class ResponseSchema(ma.Schema):
    consultation_id = ma.fields.Integer()
    choice = ma.fields.String()
    created = ma.fields.Boolean()


def _naive_utc(dt):
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


def _load(consultation_id):
    return polls.get_consultation(api_user(), consultation_id)


@blp.route("")
class Consultations(MethodView):
    # Outermost, so a request without a token hears 401 before its body is judged.
    decorators = [token_required]

    @blp.doc(security=BEARER)
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, ConsultationSchema(many=True))
    def get(self, args):
        """Consultations of a community, newest end first."""
        community = load_community(api_user(), args["community_id"])
        return polls.consultations_of(community)

    @blp.doc(security=BEARER)
    @blp.arguments(CreateSchema)
    @blp.response(201, ConsultationSchema)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(422, schema=ErrorSchema)
    def post(self, data):
        """Staff open a consultation (times with a time zone)."""
        community = load_community(api_user(), data["community_id"], staff=True)
        item = polls.create_consultation(
            api_user(), community, title=data["title"], description=data["description"],
            labels=data["options"], up_to=data["up_to"], start_dt=_naive_utc(data["start_dt"]),
            end_dt=_naive_utc(data["end_dt"]))
        return item


@blp.route("/<int:consultation_id>")
class ConsultationItem(MethodView):
    decorators = [token_required]

    @blp.doc(security=BEARER)
    @blp.response(200, ConsultationDetailSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, consultation_id):
        """One consultation; the result once it has ended (or for staff)."""
        item = _load(consultation_id)
        answer = polls.answer_of(api_user(), item)
        item.result = polls.result(item) if polls.can_see_result(api_user(), item) else None
        item.my_choice = answer.choice if answer else None
        return item


@blp.route("/<int:consultation_id>/responses")
class Responses(MethodView):
    decorators = [token_required]

    @blp.doc(security=BEARER)
    @blp.arguments(RespondSchema)
    @blp.response(201, ResponseSchema)
    @blp.alt_response(409, schema=ErrorSchema)
    @blp.alt_response(403, schema=ErrorSchema)
    def post(self, data, consultation_id):
        """Answer once; the same answer again returns 201 with created=false."""
        item = _load(consultation_id)
        response, created = polls.respond(api_user(), item, data["choice"])
        return {"consultation_id": item.id, "choice": response.choice, "created": created}
