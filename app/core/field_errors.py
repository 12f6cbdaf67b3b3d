"""The field errors of API input (marshmallow and webargs) in Chinese, like every other message.

marshmallow and webargs speak English and have no catalogue to switch; their messages are few and
fixed, so they are translated here, where the error body is made: exact messages from a table,
messages with values (lengths, ranges, choices) by pattern. A message not known here (one of our
own validators, already Chinese) passes unchanged.
"""
import re

EXACT = {
    "Missing data for required field.": "必填项，不能缺少。",
    "Field may not be null.": "不能为空值。",
    "Invalid value.": "值无效。",
    "Invalid input.": "值无效。",
    "Invalid type.": "类型不正确。",
    "Invalid input type.": "提交的数据类型不正确。",
    "Unknown field.": "不认识的字段。",
    "Invalid JSON body.": "请求内容不是有效的 JSON。",
    "Not a valid boolean.": "应为 true 或 false。",
    "Not a valid integer.": "应为整数。",
    "Not a valid number.": "应为数字。",
    "Number too large.": "数字太大。",
    "Special numeric values (nan or infinity) are not permitted.": "不允许 NaN 或无穷大。",
    "Not a valid string.": "应为文字。",
    "Not a valid utf-8 string.": "不是有效的 UTF-8 文字。",
    "Not a valid list.": "应为列表。",
    "Not a valid tuple.": "应为列表。",
    "Not a valid mapping type.": "应为对象（键值对）。",
    "Not a valid date.": "不是有效的日期。",
    "Not a valid datetime.": "不是有效的日期时间。",
    "Not a valid time.": "不是有效的时间。",
    "Not a valid aware datetime.": "日期时间须带时区。",
    "Not a valid naive datetime.": "日期时间不应带时区。",
    "Not a valid period of time.": "不是有效的时长。",
    "Not a valid email address.": "邮箱格式不正确。",
    "Not a valid URL.": "不是有效的网址。",
    "Not a valid UUID.": "不是有效的 UUID。",
    "String does not match expected pattern.": "格式不正确。",
}

_BOUNDS = {
    "greater than or equal to": "不能小于 {}",
    "greater than": "应大于 {}",
    "less than or equal to": "不能大于 {}",
    "less than": "应小于 {}",
}
_BOUND = r"(greater than or equal to|greater than|less than or equal to|less than) (.+?)"


def _range(match):
    parts = [_BOUNDS[match.group(1)].format(match.group(2))]
    if match.group(3):
        parts.append(_BOUNDS[match.group(3)].format(match.group(4)))
    return "，".join(parts) + "。"


PATTERNS = [
    (re.compile(r"Must be one of: (.*)\.$", re.DOTALL), lambda m: f"只能是以下之一：{m.group(1)}。"),
    (re.compile(r"Shorter than minimum length (\d+)\.$"), lambda m: f"长度不能少于 {m.group(1)}。"),
    (re.compile(r"Longer than maximum length (\d+)\.$"), lambda m: f"长度不能超过 {m.group(1)}。"),
    (re.compile(r"Length must be between (\d+) and (\d+)\.$"),
     lambda m: f"长度应在 {m.group(1)} 到 {m.group(2)} 之间。"),
    (re.compile(r"Length must be (\d+)\.$"), lambda m: f"长度应为 {m.group(1)}。"),
    (re.compile(rf"Must be {_BOUND}(?: and {_BOUND})?\.$"), _range),
    (re.compile(r"Must be equal to (.*)\.$", re.DOTALL), lambda m: f"应等于 {m.group(1)}。"),
    (re.compile(r"One or more of the choices you made was not in: (.*)\.$", re.DOTALL),
     lambda m: f"有选项不在允许的范围内：{m.group(1)}。"),
    (re.compile(r"One or more of the choices you made was in: (.*)\.$", re.DOTALL),
     lambda m: f"有选项不被允许：{m.group(1)}。"),
]


def in_chinese(messages):
    """The same structure (dicts by location and field, lists of messages), in Chinese."""
    if isinstance(messages, dict):
        return {key: in_chinese(value) for key, value in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [in_chinese(value) for value in messages]
    if isinstance(messages, str):
        return _message(messages)
    return messages


def _message(text):
    if text in EXACT:
        return EXACT[text]
    for pattern, chinese in PATTERNS:
        match = pattern.match(text)
        if match:
            return chinese(match)
    return text
