"""Two languages: the page's language and its switch, the API and /live in the asker's language,
notifications in the reader's. Assertions hold to codes, data attributes and the catalogue."""
import re

import pytest
from flask import g
from flask_babel import force_locale

from app.core.i18n import N_, Message
from app.core.mail import wait_until_sent
from app.core.notify import Notification, notify
from tests.conftest import login

HAN = re.compile(r"[\u3400-\u9fff]")
EN = {"Accept-Language": "en-US,en;q=0.9"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def html_lang(response):
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_html_lang_follows_the_browser(client):
    assert html_lang(client.get("/auth/login", headers=EN)) == "en"
    assert html_lang(client.get("/auth/login", headers=ZH)) == "zh-Hans"
    assert html_lang(client.get("/auth/login")) == "zh-Hans"


def test_the_footer_offers_every_language_in_its_own_name(client):
    page = client.get("/auth/login", headers=EN).get_data(as_text=True)
    switch = re.search(r'<form[^>]*id="language-switch".*?</form>', page, re.S).group(0)
    assert 'data-locale="en"' in switch and 'data-locale="zh_Hans_CN"' in switch
    assert 'lang="zh-Hans"' in switch        # 简体中文 is marked as Chinese on an English page
    assert 'name="csrf_token"' in switch


def test_a_visitor_switches_and_the_cookie_keeps_it(client):
    response = client.post("/language", data={"locale": "en", "next": "/auth/login"}, headers=ZH)
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    assert client.get_cookie("locale").value == "en"
    assert html_lang(client.get("/auth/login", headers=ZH)) == "en"     # the choice beats the browser
    client.post("/language", data={"locale": "zh_Hans_CN"})
    assert html_lang(client.get("/auth/login", headers=EN)) == "zh-Hans"


@pytest.mark.parametrize("data", [{"locale": "fr"}, {"locale": ""}, {}])
def test_a_language_we_do_not_have_is_refused(client, data):
    assert client.post("/language", data=data).status_code == 400


def test_the_switch_goes_nowhere_off_the_site(client):
    response = client.post("/language", data={"locale": "en", "next": "//evil.example/"})
    assert "evil.example" not in response.headers["Location"]


def test_a_signed_in_user_keeps_the_choice_on_the_account(app, client, make, db):
    user = make.user(make.community())
    login(client, user)
    client.post("/language", data={"locale": "en", "next": "/auth/me"}, headers=ZH)
    db.session.refresh(user)
    assert user.locale == "en"
    page = client.get("/auth/me", headers=ZH)
    assert html_lang(page) == "en"
    assert 'id="profile-language-switch"' in page.get_data(as_text=True)
    # Another device, a browser in Chinese: the account's choice follows the user there.
    other = app.test_client()
    login(other, user)
    assert html_lang(other.get("/auth/me", headers=ZH)) == "en"


def test_the_csrf_token_is_required_by_the_switch(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/language", data={"locale": "en"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# -- the API -------------------------------------------------------------------------------------

def test_an_api_refusal_has_the_same_code_in_english_and_chinese(client):
    english = client.get("/api/v1/me", headers=EN)
    chinese = client.get("/api/v1/me", headers=ZH)
    assert english.status_code == chinese.status_code == 401
    en, zh = english.get_json()["error"], chinese.get_json()["error"]
    assert en["code"] == zh["code"] == "missing_token"
    assert HAN.search(zh["message"]) and not HAN.search(en["message"])
    assert "Accept-Language" in english.headers.get("Vary", "")


def test_api_validation_messages_follow_the_language(client):
    english = client.post("/api/v1/auth/token", json={"phone": "12345", "extra": 1}, headers=EN)
    chinese = client.post("/api/v1/auth/token", json={"phone": "12345", "extra": 1}, headers=ZH)
    assert english.status_code == chinese.status_code == 422
    en_details = english.get_json()["error"]["details"]["json"]
    zh_details = chinese.get_json()["error"]["details"]["json"]
    assert set(en_details) == set(zh_details) == {"phone", "password", "extra"}
    assert not any(HAN.search(m) for messages in en_details.values() for m in messages)
    assert all(HAN.search(m) for messages in zh_details.values() for m in messages)


# -- notifications -------------------------------------------------------------------------------

MESSAGE = Message(N_("本户已由 %(name)s 投票，每户只有一票。"), name="王芳")


def test_a_notification_written_in_chinese_is_read_in_english(app, client, make, db):
    user = make.user(make.community())
    with app.test_request_context("/", headers=ZH):
        notify([user], MESSAGE, url="/me")
        db.session.commit()
    stored = Notification.query.filter_by(user_id=user.id).one()
    assert stored.msgid == MESSAGE.msgid and "王芳" in stored.params
    login(client, user)
    client.post("/language", data={"locale": "en"})
    page = client.get("/notifications").get_data(as_text=True)
    assert "王芳 has already voted for your household" in page
    client.post("/language", data={"locale": "zh_Hans_CN"})
    assert "本户已由 王芳 投票" in client.get("/notifications").get_data(as_text=True)


def test_an_old_notification_kept_as_a_sentence_is_shown_as_it_is(app, client, make, db):
    user = make.user(make.community())
    db.session.add(Notification(user_id=user.id, text="旧的通知原文"))
    db.session.commit()
    login(client, user)
    client.post("/language", data={"locale": "en"})
    assert "旧的通知原文" in client.get("/notifications").get_data(as_text=True)


def test_mail_is_written_in_the_recipients_language(app, make, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.invalid")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://yishi.example.cn")
    outbox = app.extensions["mailman"].outbox
    outbox.clear()
    reader = make.user(make.community())
    reader.email, reader.locale = "reader@example.com", "en"
    db.session.commit()
    with app.test_request_context("/", headers=ZH):   # whoever acts reads Chinese
        notify([reader], MESSAGE, url="/me")
        db.session.commit()
    assert wait_until_sent(timeout=10)
    body = [m for m in outbox if m.to == ["reader@example.com"]][-1].body
    assert "has already voted for your household" in body and "王芳" in body


def test_a_lazy_string_or_a_plain_str_may_be_notified(app, make, db):
    from flask_babel import lazy_gettext

    user = make.user(make.community())
    with app.test_request_context("/"):
        notify([user], lazy_gettext("已连接"))
        notify([user], "一句原文")
        db.session.commit()
    rows = Notification.query.filter_by(user_id=user.id).order_by(Notification.id).all()
    assert [r.msgid for r in rows] == ["已连接", None]
    with app.test_request_context("/"), force_locale("en"):
        assert [r.rendered for r in rows] == ["Connected", "一句原文"]


# -- /live -----------------------------------------------------------------------------------------

def live_client(app, client, **kwargs):
    from app.extensions import socketio

    g.pop("_login_user", None)
    return socketio.test_client(app, namespace="/live", flask_test_client=client, **kwargs)


@pytest.mark.parametrize("how", ["header", "lang", "account"])
def test_a_live_refusal_is_acknowledged_in_the_connections_language(app, client, make, db, how):
    user = make.user(make.community())
    if how == "account":
        user.locale = "en"
        db.session.commit()
    login(client, user)
    kwargs = {"headers": EN} if how == "header" else {"query_string": "lang=en"} if how == "lang" else {}
    chinese = None if how == "account" else live_client(app, client, headers=ZH)
    english = live_client(app, client, **kwargs)
    try:
        en = english.emit("join", {}, namespace="/live", callback=True)
        assert en["ok"] is False and en["error"]["code"] == "invalid_payload"
        assert en["error"]["message"] == "Missing or invalid parameter: meeting_id"
        if chinese is not None:
            zh = chinese.emit("join", {}, namespace="/live", callback=True)
            assert zh["error"]["code"] == "invalid_payload" and HAN.search(zh["error"]["message"])
    finally:
        for live in (english, chinese):
            if live is not None and live.is_connected(namespace="/live"):
                live.disconnect(namespace="/live")


def test_the_room_page_gives_its_scripts_their_words_in_its_language(client):
    from app.core import script_texts

    with client.application.test_request_context("/", headers=EN):
        words = script_texts.for_page()
    assert words["conn.connected"] == "Connected"
    assert not any(HAN.search(text) for text in words.values())


def test_the_forms_own_messages_follow_the_language(app):
    from flask_wtf import FlaskForm
    from wtforms import IntegerField
    from wtforms.validators import DataRequired

    class Form(FlaskForm):
        count = IntegerField(validators=[DataRequired()])

    said = {}
    for header in (EN, ZH):
        with app.test_request_context("/", method="POST", data={"count": "abc"}, headers=header):
            form = Form(meta={"csrf": False})
            assert not form.validate()
            said[header["Accept-Language"][:2]] = form.count.errors[0]
    assert not HAN.search(said["en"]) and HAN.search(said["zh"])
