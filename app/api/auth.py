"""API: tokens and the caller's own account."""
import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.docs import ErrorSchema
from app.api.fields import UtcDateTime
from app.api.security import BEARER, api_user, token_required
from app.auth import operations, throttle

auth_blp = Blueprint("api_auth", __name__, url_prefix="/auth", description="登录与令牌")
me_blp = Blueprint("api_me", __name__, url_prefix="/me", description="当前用户")


def blueprints():
    return [auth_blp, me_blp]


class TokenRequest(ma.Schema):
    phone = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^1\d{10}$"))
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=128))


class MembershipSchema(ma.Schema):
    body_id = ma.fields.Integer()
    body = ma.fields.Function(lambda m: m.body.name)
    preset = ma.fields.Function(lambda m: m.body.preset)
    role = ma.fields.Function(lambda m: m.role.value)
    is_voting = ma.fields.Boolean()


class RoleSchema(ma.Schema):
    kind = ma.fields.Function(lambda r: r.kind.value)
    community_id = ma.fields.Integer(allow_none=True)
    street_id = ma.fields.Integer(allow_none=True)


class UserSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    phone = ma.fields.String()
    state = ma.fields.Function(lambda u: u.state.value)
    community_id = ma.fields.Integer(allow_none=True)
    community = ma.fields.Function(lambda u: u.community.name if u.community else None)
    address = ma.fields.Function(lambda u: u.household.address if u.household else None)
    roles = ma.fields.List(ma.fields.Nested(RoleSchema))
    memberships = ma.fields.List(ma.fields.Nested(MembershipSchema))
    handler_orgs = ma.fields.Function(lambda u: [link.org_id for link in u.handler_links])


class TokenResponse(ma.Schema):
    token = ma.fields.String(required=True)
    token_type = ma.fields.String(required=True)
    expires_at = UtcDateTime(required=True)
    user = ma.fields.Nested(UserSchema)


@auth_blp.route("/token")
class Token(MethodView):
    decorators = [throttle.per_address]

    @auth_blp.arguments(TokenRequest)
    @auth_blp.response(201, TokenResponse)
    @auth_blp.alt_response(401, schema=ErrorSchema)
    @auth_blp.alt_response(429, schema=ErrorSchema, description=(
        "Too many attempts: `login_wait` after too many wrong passwords for this phone number "
        "(even the right one waits; `details.retry_after` and the Retry-After header say how "
        "many seconds), `rate_limited` for too many from one address."))
    def post(self, data):
        """Exchange phone and password for a bearer token."""
        user, token, raw = operations.issue_token(data["phone"], data["password"])
        return {"token": raw, "token_type": "Bearer", "expires_at": token.expires_dt, "user": user}


@me_blp.route("")
class Me(MethodView):
    @me_blp.doc(security=BEARER)
    @me_blp.response(200, UserSchema)
    @token_required
    def get(self):
        """The account the token belongs to, with its roles and memberships."""
        return api_user()
