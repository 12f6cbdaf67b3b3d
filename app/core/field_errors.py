"""The field errors of API input (marshmallow and webargs) in the reader's language, like every
other message.

marshmallow and webargs speak English and have no catalogue to switch; their messages are few and
fixed, so they are mapped here, where the error body is made, to our own msgids (the source
language is Chinese): exact messages from a table, messages with values (lengths, ranges, choices)
by pattern, with the values as parameters. They are rendered at once, in the language of the
request (`app.core.i18n.render`). A message not known here (one of our own validators, already
translated) passes unchanged.
"""
import re

from app.core.i18n import N_, render

EXACT = {
    "Missing data for required field.": N_("必填项，不能缺少。"),
    "Field may not be null.": N_("不能为空值。"),
    "Invalid value.": N_("值无效。"),
    "Invalid input.": N_("值无效。"),
    "Invalid type.": N_("类型不正确。"),
    "Invalid input type.": N_("提交的数据类型不正确。"),
    "Unknown field.": N_("不认识的字段。"),
    "Invalid JSON body.": N_("请求内容不是有效的 JSON。"),
    "Not a valid boolean.": N_("应为 true 或 false。"),
    "Not a valid integer.": N_("应为整数。"),
    "Not a valid number.": N_("应为数字。"),
    "Number too large.": N_("数字太大。"),
    "Special numeric values (nan or infinity) are not permitted.": N_("不允许 NaN 或无穷大。"),
    "Not a valid string.": N_("应为文字。"),
    "Not a valid utf-8 string.": N_("不是有效的 UTF-8 文字。"),
    "Not a valid list.": N_("应为列表。"),
    "Not a valid tuple.": N_("应为列表。"),
    "Not a valid mapping type.": N_("应为对象（键值对）。"),
    "Not a valid date.": N_("不是有效的日期。"),
    "Not a valid datetime.": N_("不是有效的日期时间。"),
    "Not a valid time.": N_("不是有效的时间。"),
    "Not a valid aware datetime.": N_("日期时间须带时区。"),
    "Not a valid naive datetime.": N_("日期时间不应带时区。"),
    "Not a valid period of time.": N_("不是有效的时长。"),
    "Not a valid email address.": N_("邮箱格式不正确。"),
    "Not a valid URL.": N_("不是有效的网址。"),
    "Not a valid UUID.": N_("不是有效的 UUID。"),
    "String does not match expected pattern.": N_("格式不正确。"),
}

_BOUNDS = {
    "greater than or equal to": N_("不能小于 %(value)s"),
    "greater than": N_("应大于 %(value)s"),
    "less than or equal to": N_("不能大于 %(value)s"),
    "less than": N_("应小于 %(value)s"),
}
_BOUND = r"(greater than or equal to|greater than|less than or equal to|less than) (.+?)"


def _range(match):
    parts = [render(_BOUNDS[match.group(1)], {"value": match.group(2)})]
    if match.group(3):
        parts.append(render(_BOUNDS[match.group(3)], {"value": match.group(4)}))
    return render(N_("，")).join(parts) + render(N_("。"))


PATTERNS = [
    (re.compile(r"Must be one of: (.*)\.$", re.DOTALL), lambda m: render(N_("只能是以下之一：%(choices)s。"), {"choices": m.group(1)})),
    (re.compile(r"Shorter than minimum length (\d+)\.$"), lambda m: render(N_("长度不能少于 %(min)s。"), {"min": m.group(1)})),
    (re.compile(r"Longer than maximum length (\d+)\.$"), lambda m: render(N_("长度不能超过 %(max)s。"), {"max": m.group(1)})),
    (re.compile(r"Length must be between (\d+) and (\d+)\.$"),
     lambda m: render(N_("长度应在 %(min)s 到 %(max)s 之间。"), {"min": m.group(1), "max": m.group(2)})),
    (re.compile(r"Length must be (\d+)\.$"), lambda m: render(N_("长度应为 %(length)s。"), {"length": m.group(1)})),
    (re.compile(rf"Must be {_BOUND}(?: and {_BOUND})?\.$"), _range),
    (re.compile(r"Must be equal to (.*)\.$", re.DOTALL), lambda m: render(N_("应等于 %(value)s。"), {"value": m.group(1)})),
    (re.compile(r"One or more of the choices you made was not in: (.*)\.$", re.DOTALL),
     lambda m: render(N_("有选项不在允许的范围内：%(choices)s。"), {"choices": m.group(1)})),
    (re.compile(r"One or more of the choices you made was in: (.*)\.$", re.DOTALL),
     lambda m: render(N_("有选项不被允许：%(choices)s。"), {"choices": m.group(1)})),
]


def in_chinese(messages):
    """The same structure (dicts by location and field, lists of messages), in the reader's
    language (Chinese, the source language, when no catalogue is installed)."""
    if isinstance(messages, dict):
        return {key: in_chinese(value) for key, value in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [in_chinese(value) for value in messages]
    if isinstance(messages, str):
        return _message(messages)
    return messages


def _message(text):
    if text in EXACT:
        return render(EXACT[text])
    for pattern, chinese in PATTERNS:
        match = pattern.match(text)
        if match:
            return chinese(match)
    return text
