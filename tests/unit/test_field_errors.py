"""API field errors in Chinese (app/core/field_errors.py): every message marshmallow can give for
the fields and validators the API uses comes out translated."""
import re

import marshmallow as ma
import pytest

from app.core.field_errors import EXACT, in_chinese

ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


def errors_of(field, value):
    class One(ma.Schema):
        x = field

    try:
        One().load({} if value is ma.missing else {"x": value})
    except ma.ValidationError as error:
        return error.messages["x"]
    raise AssertionError("no error")


def strings(messages):
    """The messages themselves, without the keys (field names, `_schema`)."""
    if isinstance(messages, dict):
        return [s for value in messages.values() for s in strings(value)]
    if isinstance(messages, list):
        return [s for value in messages for s in strings(value)]
    return [messages]


V = ma.validate
CASES = [
    (ma.fields.String(required=True), ma.missing),
    (ma.fields.String(allow_none=False), None),
    (ma.fields.String(), 5),
    (ma.fields.Integer(), "five"),
    (ma.fields.Integer(strict=True), 5.5),
    (ma.fields.Float(allow_nan=False), "nan"),
    (ma.fields.Boolean(), "perhaps"),
    (ma.fields.List(ma.fields.Integer()), "not-a-list"),
    (ma.fields.Dict(), "not-a-dict"),
    (ma.fields.Nested(ma.Schema.from_dict({"a": ma.fields.Integer()})), 5),
    (ma.fields.DateTime(), "yesterday"),
    (ma.fields.AwareDateTime(), "2026-01-01T10:00:00"),
    (ma.fields.Date(), "2026-13-45"),
    (ma.fields.Email(), "nobody"),
    (ma.fields.Url(), "not a url"),
    (ma.fields.String(validate=V.Length(min=2)), "a"),
    (ma.fields.String(validate=V.Length(max=3)), "abcd"),
    (ma.fields.String(validate=V.Length(min=1, max=3)), ""),
    (ma.fields.String(validate=V.Length(equal=4)), "abc"),
    (ma.fields.Integer(validate=V.Range(min=1)), 0),
    (ma.fields.Integer(validate=V.Range(max=100)), 101),
    (ma.fields.Integer(validate=V.Range(min=1, max=100)), 1000),
    (ma.fields.Integer(validate=V.Range(min=0, min_inclusive=False)), 0),
    (ma.fields.Integer(validate=V.Range(max=10, max_inclusive=False)), 10),
    (ma.fields.String(validate=V.OneOf(["open", "closed"])), "other"),
    (ma.fields.String(validate=V.Regexp(r"^1\d{10}$")), "12345"),
    (ma.fields.String(validate=V.Equal("yes")), "no"),
    (ma.fields.List(ma.fields.String(), validate=V.ContainsOnly(["a", "b"])), ["c"]),
    (ma.fields.String(validate=V.NoneOf(["root"])), "root"),
]


@pytest.mark.parametrize("field, value", CASES)
def test_every_message_the_api_can_give_is_translated(field, value):
    english = errors_of(field, value)
    chinese = in_chinese(english)
    assert chinese != english
    text = " ".join(strings(chinese))
    for allowed in ("true", "false", "JSON", "NaN", "UTF"):
        text = text.replace(allowed, "")
    words = ENGLISH_WORD.findall(text)
    assert not [w for w in words if w not in {"open", "closed", "yes", "root"}], chinese


def test_an_unknown_field_in_nested_errors_keeps_the_shape():
    class Body(ma.Schema):
        n = ma.fields.Integer(validate=V.Range(min=1, max=100))

    try:
        Body().load({"n": 0, "extra": 1})
    except ma.ValidationError as error:
        messages = {"json": error.messages}
    assert in_chinese(messages) == {"json": {"n": ["不能小于 1，不能大于 100。"], "extra": ["不认识的字段。"]}}


def test_a_message_of_our_own_passes_unchanged():
    assert in_chinese({"json": {"x": ["请选择所在社区。"]}}) == {"json": {"x": ["请选择所在社区。"]}}


def test_the_table_has_no_english_on_the_chinese_side():
    assert not [v for v in EXACT.values() if ENGLISH_WORD.search(v.replace("JSON", "").replace("UTF", "")
                                                                  .replace("UUID", "").replace("true", "")
                                                                  .replace("false", "").replace("NaN", ""))]
