"""Words for people, apart from the code that decides what to say. Pure (no Flask, no Babel).

Rule modules cannot import Flask-Babel, yet their refusals and explanations must reach each person in
their own language. So they mark their texts with `N_` (or `NP_` where English needs a plural) and
carry the numbers, names and times as named parameters in a `Message`; the text is translated and
the parameters formatted only when it is shown (a page, an API answer, a `/live` ack, an e-mail), in
that reader's language. `app.core.locale` installs the renderer that does this with Flask-Babel;
without it (a pure unit test, a CLI before the app) the Chinese source text is filled in as it is.

    raise Refused("too_early", N_("会议最早可于 %(earliest)s 开始。"), earliest=start)
    Message(NP_("还差 %(num)d 人", "还差 %(num)d 人"), num=3)

The msgid is the Simplified Chinese text (the source language); placeholders are always named
(`%(name)s`, `%(num)d`) so that a translation may reorder them. Never build the text with an
f-string: the catalogue could not find it.
"""


def N_(msgid):
    """Mark a text for the catalogue; it is translated later, when shown."""
    return msgid


class Plural(tuple):
    """A text whose English (or another language's) form depends on the parameter `num`."""

    def __new__(cls, singular, plural):
        return super().__new__(cls, (singular, plural))


def NP_(singular, plural):
    """Mark a text with plural forms; the parameter `num` chooses the form."""
    return Plural(singular, plural)


def fill(msgid, params):
    """The source text with its parameters, as it is without a catalogue."""
    if isinstance(msgid, Plural):
        msgid = msgid[0] if params.get("num", 1) == 1 else msgid[1]
    if not params or "%(" not in msgid:
        return msgid
    try:
        return msgid % {key: str(value) if isinstance(value, Message) else value for key, value in params.items()}
    except (KeyError, ValueError, TypeError):
        return msgid


_renderer = fill


def set_renderer(renderer):
    """Install the function that translates and formats (msgid, params) -> str (app.core.locale);
    returns the one it replaces (so a test can put it back)."""
    global _renderer
    previous, _renderer = _renderer, renderer or fill
    return previous


def render(msgid, params=None):
    return _renderer(msgid, params or {})


class Message:
    """A text for people that is translated when shown: a msgid (or Plural) and its parameters."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid, **params):
        self.msgid = msgid
        self.params = params

    def __str__(self):
        return render(self.msgid, self.params)

    def __eq__(self, other):
        if isinstance(other, Message):
            return self.msgid == other.msgid and self.params == other.params
        if isinstance(other, str):
            return str(self) == other
        return NotImplemented

    def __hash__(self):
        return hash(self.msgid)

    def __contains__(self, text):
        return text in str(self)

    def __add__(self, other):
        return str(self) + str(other)

    def __radd__(self, other):
        return str(other) + str(self)

    def __repr__(self):
        return f"Message({self.msgid!r}, **{self.params!r})"


def text(value):
    """A Message, lazy string or plain str as the str to show now."""
    return value if value is None or isinstance(value, str) else str(value)
