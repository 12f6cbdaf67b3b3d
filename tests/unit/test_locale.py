"""The reader's language: how a request's locale is chosen, and how texts and values are shown."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from flask_babel import force_locale

from app.core import i18n, locale
from app.core.i18n import N_, NP_, Message
from app.core.refusal import Refused


def test_the_languages_are_the_catalogue_folders_with_the_default_first():
    assert locale.available()[0] == "zh_Hans_CN"
    assert "en" in locale.available()


@pytest.mark.parametrize("asked, chosen", [
    ("en", "en"), ("en-GB", "en"), ("en_US", "en"), ("zh-CN", "zh_Hans_CN"), ("zh", "zh_Hans_CN"),
    ("zh-Hans", "zh_Hans_CN"), ("zh_Hans_CN", "zh_Hans_CN"), ("zh-TW", None), ("fr", None),
    ("", None), (None, None), ("x" * 50, None), ("../../etc", None),
])
def test_a_language_tag_is_matched_to_a_catalogue(asked, chosen):
    assert locale.normalise(asked) == chosen


@pytest.mark.parametrize("header, chosen", [
    ("en-US,en;q=0.9", "en"),
    ("fr-FR,fr;q=0.9,en;q=0.5", "en"),           # the best language we have
    ("fr-FR,de;q=0.8", "zh_Hans_CN"),            # none we have: the default
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh_Hans_CN"),
    ("en;q=0.5,zh-CN;q=0.9", "zh_Hans_CN"),      # by quality, not by order
    ("", "zh_Hans_CN"),
])
def test_without_a_choice_accept_language_decides(app, header, chosen):
    with app.test_request_context("/", headers={"Accept-Language": header}):
        assert locale.select_locale() == chosen


class _User:
    is_authenticated = True

    def __init__(self, code):
        self.locale = code


@pytest.mark.parametrize("user, cookie, header, chosen", [
    ("en", None, "zh-CN", "en"),                 # the account's choice first
    ("zh_Hans_CN", "en", "en", "zh_Hans_CN"),
    (None, "en", "zh-CN", "en"),                 # then the visitor's (cookie)
    (None, None, "en", "en"),                    # then the browser's
    (None, None, None, "zh_Hans_CN"),            # then the default
    ("klingon", "nonsense", "en", "en"),         # what is not a catalogue counts as no choice
])
def test_user_then_cookie_then_accept_language_then_default(app, monkeypatch, user, cookie, header, chosen):
    headers = {"Accept-Language": header} if header else {}
    if cookie:
        headers["Cookie"] = f"locale={cookie}"
    with app.test_request_context("/", headers=headers):
        monkeypatch.setattr(locale, "user_choice",
                            lambda: locale.normalise(user) if user else None)
        assert locale.select_locale() == chosen


def test_the_api_answers_in_the_language_the_request_asks_for(app, monkeypatch):
    monkeypatch.setattr(locale, "user_choice", lambda: "zh_Hans_CN")
    with app.test_request_context("/api/v1/notices", headers={"Accept-Language": "en",
                                                              "Cookie": "locale=zh_Hans_CN"}):
        assert locale.select_locale() == "en"
    with app.test_request_context("/api/v1/notices"):
        assert locale.select_locale() == "zh_Hans_CN"



@pytest.mark.parametrize("code, tag", [("zh_Hans_CN", "zh-Hans"), ("en", "en"), ("zh_Hant_TW", "zh-Hant"),
                                       ("zh_TW", "zh-Hant")])
def test_html_lang(code, tag):
    assert locale.html_lang(code) == tag


# -- the renderer ----------------------------------------------------------------------------

def test_outside_the_app_a_message_is_its_source_text_filled_in():
    assert str(Message(N_("会议最早可于 %(earliest)s 开始。"), earliest="明天")) == "会议最早可于 明天 开始。"


def test_the_renderer_translates_and_fills_named_placeholders(app):
    message = Message(N_("最多选 %(num)s 项"), num=3)
    with app.test_request_context("/"):
        with force_locale("en"):
            assert str(message) == "Choose up to 3"
        with force_locale("zh_Hans_CN"):
            assert str(message) == "最多选 3 项"


def test_a_text_without_translation_shows_its_source(app):
    with app.test_request_context("/"), force_locale("en"):
        assert str(Message("一段没有译文的话 %(n)s", n=1)) == "一段没有译文的话 1"


def test_a_broken_translation_shows_the_source_never_an_error(app, monkeypatch):
    monkeypatch.setattr(locale, "translate", lambda msgid, num=None: "%(missing)s broken")
    with app.test_request_context("/"), force_locale("en"):
        assert str(Message("原文 %(n)s", n=2)) == "原文 2"


def test_plural_forms_follow_num(app, monkeypatch):
    class Plurals:
        def ungettext(self, singular, plural, n):
            return "%(num)d person missing" if n == 1 else "%(num)d people missing"

        def ugettext(self, msgid):
            return msgid

    message = NP_("还差 %(num)d 人", "还差 %(num)d 人")
    with app.test_request_context("/"), force_locale("en"):
        monkeypatch.setattr(locale, "get_translations", lambda: Plurals())
        assert str(Message(message, num=1)) == "1 person missing"
        assert str(Message(message, num=3)) == "3 people missing"
    assert str(Message(message, num=3)) == "还差 3 人"    # outside the app: the source


def test_times_are_shown_in_beijing_time_for_the_reader(app):
    noon_utc = datetime(2026, 5, 1, 6, 30)          # stored naive UTC: 14:30 in Beijing
    message = Message(N_("会议最早可于 %(earliest)s 开始。"), earliest=noon_utc)
    with app.test_request_context("/"):
        with force_locale("zh_Hans_CN"):
            assert "2026-05-01 14:30" in str(message)
        with force_locale("en"):
            text = str(message)
            assert "May 1, 2026" in text and "14:30" in text


def test_dates_decimals_and_nested_messages_are_formatted(app):
    with app.test_request_context("/"), force_locale("en"):
        assert locale.render("%(d)s", {"d": date(2026, 5, 1)}) == "May 1, 2026"
        assert locale.render("%(x)s", {"x": Decimal("1234.5")}) == "1,234.5"
        inner = Message(N_("未通过"))
        assert locale.render("%(r)s", {"r": inner}) == "Not passed"


def test_money_and_numbers_for_the_locale(app):
    with app.test_request_context("/"):
        with force_locale("en"):
            assert locale.money(123450) == "CN¥1,234.50"
            assert locale.number(12345) == "12,345"
            assert locale.percent(0.25) == "25%"
        with force_locale("zh_Hans_CN"):
            assert locale.money(123450) == "1,234.50 元"
            assert locale.localdt(datetime(2026, 5, 1, 6, 30), "%Y-%m-%d") == "2026-05-01"


def test_a_refusal_keeps_its_code_and_says_it_in_each_language(app):
    refusal = Refused("missing_token", N_("访问令牌无效或已过期。"))
    with app.test_request_context("/"):
        with force_locale("en"):
            assert refusal.to_dict() == {"code": "missing_token",
                                         "message": "The access token is invalid or has expired."}
        with force_locale("zh_Hans_CN"):
            assert refusal.to_dict()["message"] == "访问令牌无效或已过期。"


def test_in_every_language(app):
    with app.test_request_context("/"):
        texts = locale.in_every_language(Message(N_("未通过")))
    assert texts["en"] == "Not passed" and texts["zh-Hans"] == "未通过"


def test_the_renderer_is_installed_by_the_app(app):
    assert i18n._renderer is locale.render


def test_a_fact_for_the_whole_room_carries_its_texts_in_every_language(app):
    fact = {"meeting_id": 1, "quorum": {"present": 3, "text": Message(N_("未通过"))},
            "votes": [{"label": Message(N_("通过"))}], "version": 7}
    with app.app_context():
        told = locale.for_room(fact)
    assert told["quorum"]["text"] == "未通过"
    assert told["quorum"]["text_i18n"] == {"zh-Hans": "未通过", "en": "Not passed"}
    assert told["votes"][0]["label_i18n"]["en"] == "Passed"
    assert told["version"] == 7 and told["meeting_id"] == 1


def test_an_ack_is_rendered_for_its_reader(app):
    with app.test_request_context("/"), force_locale("en"):
        assert locale.plain({"ok": True, "state": {"text": Message(N_("未通过")), "n": [1]}}) == {
            "ok": True, "state": {"text": "Not passed", "n": [1]}}


def test_a_stray_text_in_a_live_packet_is_sent_as_words():
    from app.extensions import JsonPacket

    assert JsonPacket.json.loads(JsonPacket.json.dumps({"t": Message(N_("未通过"))})) == {"t": "未通过"}
