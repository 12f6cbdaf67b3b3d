"""How an endpoint's errors and security appear in the OpenAPI document: written once."""
import marshmallow as ma

from app.api.security import BEARER


class ErrorBody(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "machine-readable code"})
    message = ma.fields.String(required=True, metadata={"description": "message for people (Chinese)"})
    details = ma.fields.Raw(metadata={"description": "field errors, when there are any"})


class ErrorSchema(ma.Schema):
    """Every API error: {"error": {"code": ..., "message": ...}}."""

    error = ma.fields.Nested(ErrorBody, required=True)


ERRORS = {
    400: "bad input",
    401: "no token",
    403: "not allowed",
    404: "not found",
    409: "wrong state or already done",
    413: "file too large",
    422: "missing or invalid input",
}
COMMON = (400, 401, 403, 404, 409, 422)


def documented(blp, security=BEARER, statuses=COMMON):
    """A decorator for `blp`'s views: the JSON error responses, and the security when given
    (`[]` for a public read, `[{}] + BEARER` where a token is optional)."""

    def decorate(view):
        for status in statuses:
            view = blp.alt_response(status, schema=ErrorSchema, description=ERRORS[status])(view)
        return blp.doc(security=security)(view) if security is not None else view

    return decorate
