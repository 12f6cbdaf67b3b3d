"""The reader's language: which catalogue a request uses, and how texts and values are shown in it.

The locale of a request is, in this order: the signed-in user's choice (`users.locale`, set in the
footer or on the profile page), the visitor's choice (the `locale` cookie the footer's switch
sets), the `lang` parameter a live page's Socket.IO connection sends (the page's own language),
the best match of `Accept-Language` among the catalogues present, and Simplified Chinese.
Times are shown in Beijing time whatever the language.

The catalogues are the folders of app/translations: a folder with a compiled catalogue is a
language offered everywhere (the switch, `Accept-Language`), with no code to change.

This module also installs the renderer of `app.core.i18n`: a `Message` (a refusal, a rule's
explanation, a notification) is translated and its parameters formatted for the reader when shown.
"""
import datetime as dt
import json
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency, format_decimal, format_percent
from flask import g, has_app_context, has_request_context, request
from flask_babel import force_locale, get_locale, get_translations, refresh
from flask_login import current_user
from markupsafe import Markup, escape

from app.core import i18n, timeutil

DEFAULT = "zh_Hans_CN"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
COOKIE = "locale"
COOKIE_AGE = 3600 * 24 * 365

# -- which languages there are ------------------------------------------------------------------

@lru_cache(maxsize=4)
def _available(folder):
    found = []
    for path in sorted(Path(folder).iterdir()) if Path(folder).is_dir() else ():
        if (path / "LC_MESSAGES").is_dir():
            try:
                Locale.parse(path.name)
            except (ValueError, UnknownLocaleError):
                continue
            found.append(path.name)
    if DEFAULT not in found:
        found.insert(0, DEFAULT)
    else:   # the default first: it wins a tie in Accept-Language and leads the switch
        found.remove(DEFAULT)
        found.insert(0, DEFAULT)
    return tuple(found)


def available():
    """The locales offered ("zh_Hans_CN", "en", ...): the catalogue folders present."""
    return _available(str(TRANSLATIONS))


@lru_cache(maxsize=512)
def normalise(value):
    """One of the available locales for `value` ("en", "en-GB", "zh-CN", "zh_Hans_CN"), or None."""
    if not value or not isinstance(value, str) or len(value) > 35:
        return None
    offered = available()
    if value in offered:
        return value
    try:
        wanted = Locale.parse(value.replace("-", "_"))
    except (ValueError, UnknownLocaleError, TypeError):
        return None
    for code in offered:   # the same language (and script, where the catalogue names one)
        have = Locale.parse(code)
        if have.language == wanted.language and (have.script or _script(wanted)) == _script(wanted):
            return code
    return None


def _script(locale):
    """The script a locale is written in: zh_TW and zh_HK are Traditional, zh and zh_CN Simplified."""
    if locale.script:
        return locale.script
    if locale.language == "zh":
        return "Hant" if locale.territory in {"TW", "HK", "MO"} else "Hans"
    return None


def best_of_accept_language(header):
    """The available locale `Accept-Language` prefers, or None (header as werkzeug parses it)."""
    for value, _quality in header:   # werkzeug keeps them best first
        if value == "*":
            return None
        found = normalise(value)
        if found:
            return found
    return None


def choose(code, user):
    """Keep a reader's choice of language on their account (signed in); the caller sets the
    cookie. Returns the locale, or None when `code` is not one of ours."""
    code = normalise(code)
    if code is not None and user is not None and getattr(user, "is_authenticated", False):
        user.locale = code
    return code


def user_choice():
    """The signed-in user's stored choice, or None."""
    try:
        user = current_user if current_user.is_authenticated else None
    except Exception:  # noqa: BLE001 - no user loader outside the app's requests
        user = None
    return normalise(getattr(user, "locale", None)) if user is not None else None


def select_locale():
    """Flask-Babel's locale selector (see the module's docstring for the order). The API answers
    in the language its request asks for (`Accept-Language`), else the default."""
    if not has_request_context():
        return DEFAULT
    accepted = best_of_accept_language(request.accept_languages)
    if request.path.startswith("/api/"):
        return accepted or DEFAULT
    return (user_choice()
            or normalise(request.cookies.get(COOKIE))
            or (normalise(request.args.get("lang")) if request.path.startswith("/socket.io") else None)
            or accepted
            or DEFAULT)


def current():
    """The locale in use now, as a string ("zh_Hans_CN" outside a request)."""
    if not has_app_context():
        return DEFAULT
    locale = get_locale()
    return str(locale) if locale is not None else DEFAULT


def is_chinese():
    """Whether the reader's language is Chinese (the source language of every text)."""
    return Locale.parse(current()).language == "zh"


def html_lang(code=None):
    """The BCP 47 tag for <html lang>: zh-Hans, zh-Hant, en."""
    return _tag(code or current())


@lru_cache(maxsize=64)
def _tag(code):
    locale = Locale.parse(code)
    script = locale.script or (_script(locale) if locale.language == "zh" else None)
    return "-".join(part for part in (locale.language, script) if part)


@lru_cache(maxsize=64)
def display_name(code):
    """A language's own name, as its speakers look for it in a switch (English, 简体中文)."""
    locale = Locale.parse(code)
    if locale.language == "zh":
        return "简体中文" if _script(locale) == "Hans" else "繁體中文"
    return locale.get_language_name(locale).capitalize()


# -- formatting values for the reader ---------------------------------------------------------

def _babel_locale():
    return Locale.parse(current())


def _is_chinese(locale):
    return locale.language == "zh"


def format_dt(value, date_only=False):
    """A stored time (naive UTC) in Beijing time, written the reader's way: 2026-05-01 14:30 in
    Chinese (as residents read a notice), "May 1, 2026, 14:30" in English."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        local = timeutil.to_local(value)
    else:
        local = value
    locale = _babel_locale()
    if date_only or not isinstance(local, dt.datetime):
        day = local.date() if isinstance(local, dt.datetime) else local
        if _is_chinese(locale):
            return format_date(day, "yyyy-MM-dd", locale=locale)
        return format_date(day, "medium", locale=locale)
    if _is_chinese(locale):
        return format_datetime(local, "yyyy-MM-dd HH:mm", tzinfo=timeutil.LOCAL_TZ, locale=locale)
    # The locale's medium date and a 24-hour time, joined the locale's way ("May 1, 2026, 14:30").
    return str(locale.datetime_formats["medium"]).format(
        format_time(local, "HH:mm", tzinfo=timeutil.LOCAL_TZ, locale=locale),
        format_date(local.date(), "medium", locale=locale))


def localdt(value, fmt=None):
    """The `localdt` filter: a time as format_dt; `fmt` "%Y-%m-%d" (or any without hours) a day."""
    return format_dt(value, date_only=bool(fmt) and "%H" not in fmt)


def number(value, digits=None):
    if value is None:
        return ""
    if digits is not None:
        return format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0", locale=_babel_locale())
    return format_decimal(value, locale=_babel_locale())


def money(fen):
    """An amount kept in fen (exact integers) as yuan for the reader: "1,234.50 元" as residents
    read it on a notice, "CN¥1,234.50" in English."""
    if fen is None:
        return ""
    yuan = Decimal(int(fen)) / 100
    locale = _babel_locale()
    if _is_chinese(locale):
        return format_decimal(yuan, format="#,##0.00", locale=locale) + " 元"
    return format_currency(yuan, "CNY", locale=locale)


def percent(value, digits=0):
    """A share (0.25) as a percentage, written the reader's way."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(value, format=pattern, locale=_babel_locale())


def user_content(value):
    """Text written by people (names, titles, demo data) wrapped so it keeps its own direction and
    the language crawl can tell it from the interface: <bdi data-uc>...</bdi>."""
    if value is None or value == "":
        return ""
    return Markup('<bdi data-uc="">%s</bdi>') % escape(value)


def record(value):
    """Words the system wrote once in Chinese and keeps as they are, the legal record (a matter's
    stored attendance, an event's note, the minutes): shown as Chinese content, like user text."""
    if value is None or value == "":
        return ""
    return Markup('<bdi data-uc="" lang="zh-Hans">%s</bdi>') % escape(value)


def translated(value):
    """The `t` filter: a msgid held in a variable (a state's label, a kind's name) in the reader's
    language, with no %-formatting (a `%` in it stays as it is); None is "". Never for what people
    write: that is content (`|user`)."""
    if value is None:
        return ""
    text = str(value)
    translations = get_translations()
    return translations.gettext(text) if translations is not None else text


def _format_param(value):
    if isinstance(value, dt.datetime):
        return format_dt(value)
    if isinstance(value, dt.date):
        return format_dt(value, date_only=True)
    if isinstance(value, Decimal):
        return format_decimal(value, locale=_babel_locale())
    if isinstance(value, i18n.Message) or _is_lazy(value):
        return str(value)
    return value


def _is_lazy(value):
    return type(value).__name__ == "LazyString"


def translate(msgid, num=None):
    """msgid (or a Plural with `num`) in the current language; the source text outside the app."""
    if not has_app_context():
        if isinstance(msgid, i18n.Plural):
            return msgid[0] if num == 1 else msgid[1]
        return msgid
    found = translations()
    if isinstance(msgid, i18n.Plural):
        return found.ungettext(msgid[0], msgid[1], num if isinstance(num, int) else 1)
    return found.ugettext(msgid)


def render(msgid, params):
    """The renderer of app.core.i18n: translated, and parameters formatted, for the reader now."""
    if not has_app_context():
        return i18n.fill(msgid, params)
    text = translate(msgid, params.get("num"))
    if not params or "%(" not in text:
        return text
    try:
        return text % {key: _format_param(value) for key, value in params.items()}
    except (KeyError, ValueError, TypeError):
        return i18n.fill(msgid, params)   # a broken translation shows the source, never a 500


def is_text(value):
    """A text for people not yet rendered: a Message or a lazy string."""
    return isinstance(value, i18n.Message) or _is_lazy(value)


def in_every_language(value):
    """{html lang tag: text} of a Message or lazy string ({"zh-Hans": ..., "en": ...}): for what
    is told to a whole room at once, whose screens each show their own language."""
    result = {}
    for code in available():
        with force_locale(code):
            result[html_lang(code)] = str(value)
    return result


def plain(data):
    """`data` (an ack, a JSON body) with every text for people rendered for the reader now.

    Through the C JSON encoder, not a walk in Python: a `join` ack holds a whole room's state
    (thousands of members), and most acks hold no text at all (then `data` itself is returned)."""
    rendered = []

    def as_words(value):
        if is_text(value):
            rendered.append(True)
        return str(value)   # anything else JSON cannot hold goes out as /live sends it: as str

    encoded = json.dumps(data, default=as_words, ensure_ascii=False)
    return json.loads(encoded) if rendered else data


def for_room(data):
    """A fact told to a whole room: each text for people `key` is given in the default language
    and, as `key_i18n`, in every language ({tag: text}); a screen shows its page's (room.js)."""
    if isinstance(data, dict):
        result = {}
        for key, value in data.items():
            if is_text(value):
                words = in_every_language(value)
                result[key] = words[html_lang(DEFAULT)]
                result[f"{key}_i18n"] = words
            else:
                result[key] = for_room(value)
        return result
    if isinstance(data, (list, tuple)):
        return [for_room(value) for value in data]
    return data


def script_texts():
    """The words of the page scripts, translated, as the JSON they read (app/core/script_texts.py).
    `<` and `&` are escaped so the JSON cannot end its <script> element."""
    from app.core.script_texts import for_page

    data = json.dumps(for_page(), ensure_ascii=False).replace("<", "\\u003c").replace("&", "\\u0026")
    return Markup('<script type="application/json" id="i18n-messages">%s</script>' % data)


# -- the templates' gettext ----------------------------------------------------------------------

def translations():
    """The Translations of the locale in use now. Flask-Babel's `get_translations()` finds the
    domain, the context, the locale and its name, then its cache, for every text (a board page
    asks ~120 times); here the answer is kept beside Flask-Babel's own locale on `g` and reused
    while that locale object is the one in force (`force_locale` and `refresh` replace it, so a
    change of language is seen at once)."""
    try:
        ctx = g._flask_babel
        locale = ctx.babel_locale
        held, found = ctx.yishi_translations
    except (AttributeError, RuntimeError):   # no locale chosen yet, nothing held, no app context
        return _hold()
    return found if held is locale else _hold()


def _hold():
    found = get_translations()
    if has_app_context():
        ctx = getattr(g, "_flask_babel", None)   # get_translations() made it, with the locale
        locale = getattr(ctx, "babel_locale", None)
        if locale is not None:
            ctx.yishi_translations = (locale, found)
    return found


def install_template_gettext(env):
    """Jinja's gettext family through `translations()` (newstyle: %-formatting of the named
    values and autoescape stay Jinja's own)."""
    env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)
    # `_` straight to the installed gettext (Jinja's own `_` looks `gettext` up in the context
    # and calls it again: two calls a text).
    env.globals["_"] = env.globals["gettext"]


def init_app(app, babel):
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("WTF_I18N_ENABLED", True)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Shanghai")
    i18n.set_renderer(render)
    install_template_gettext(app.jinja_env)
    app.jinja_env.globals["script_texts"] = script_texts
    app.jinja_env.filters.update(localdt=localdt, localdate=lambda v: format_dt(v, date_only=True),
                                 number=number, money=money, percent=percent, user=user_content,
                                 record=record, t=translated)

    @app.before_request
    def choose_afresh():
        # Flask-Babel keeps the locale on `g`, which outlives a request where an app context was
        # pushed around it (tests, CLI): each request chooses again.
        refresh()

    @app.context_processor
    def language():
        code = current()
        return {"html_lang": html_lang(code), "current_locale": code,
                "locales": [(c, display_name(c), html_lang(c)) for c in available()]}

    @app.after_request
    def vary(response):
        # A page's language follows these headers; shared caches must keep one copy per language.
        if request.path.startswith("/api/"):
            response.vary.add("Accept-Language")
        return response

