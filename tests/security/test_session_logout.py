"""Logging out ends the session everywhere: a copied cookie is worth nothing afterwards.

Sessions are signed cookies, so the server cannot delete a copy. Every session names the user's
session epoch ("<id>:<epoch>"); logging out, changing the password and being rejected by an
admin raise the epoch, and a cookie with an older one loads nobody: not on a page, not as a
remember-me cookie, not on /live.
"""
from flask import g
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie

from tests.conftest import PASSWORD, login

NEW_PASSWORD = "another-Secret-42"


class Browser(FlaskClient):
    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def browser(app, cookie=None, name=None):
    client = Browser(app, app.response_class, use_cookies=True)
    if cookie is not None:
        client.set_cookie(name or app.config["SESSION_COOKIE_NAME"], cookie)
    return client


def session_cookie(client, app):
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def is_login_redirect(response):
    return response.status_code == 302 and "/auth/login" in response.headers["Location"]


def live_client(app, client):
    from app.extensions import socketio

    g.pop("_login_user", None)
    return socketio.test_client(app, namespace="/live", flask_test_client=client)


def test_logout_signs_out_every_copy_of_the_cookie(app, make):
    user = make.user(make.community())
    phone, laptop = browser(app), browser(app)
    login(phone, user)
    login(laptop, user)
    copy = browser(app, session_cookie(phone, app))   # e.g. taken from a shared computer
    assert copy.get("/auth/me").status_code == 200

    response = phone.post("/auth/logout", follow_redirects=True)
    assert "已退出登录，所有设备上的登录都已失效" in response.get_data(as_text=True)
    assert is_login_redirect(copy.get("/auth/me"))
    assert is_login_redirect(laptop.get("/auth/me"))   # the other device too
    assert is_login_redirect(phone.get("/auth/me"))

    login(phone, user)   # logging in again works, with a fresh session
    assert phone.get("/auth/me").status_code == 200
    assert is_login_redirect(copy.get("/auth/me"))


def test_a_remember_me_cookie_from_before_logout_loads_nobody(app, make):
    user = make.user(make.community())
    phone = browser(app)
    login(phone, user)
    remember = encode_cookie(user.get_id())   # what Flask-Login's "remember me" would store
    name = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    assert browser(app, remember, name).get("/auth/me").status_code == 200

    phone.post("/auth/logout")
    assert is_login_redirect(browser(app, remember, name).get("/auth/me"))


def test_a_session_without_an_epoch_loads_nobody(app, make):
    """Cookies issued before epochs existed hold the bare id: everyone logs in once more."""
    user = make.user(make.community())
    old = browser(app)
    with old.session_transaction() as session:
        session["_user_id"] = str(user.id)
    assert is_login_redirect(old.get("/auth/me"))


def test_password_change_signs_out_other_devices_but_not_this_one(app, make):
    user = make.user(make.community())
    phone, laptop = browser(app), browser(app)
    login(phone, user)
    login(laptop, user)
    before = session_cookie(laptop, app)

    response = laptop.post("/auth/password", data={
        "old_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert "其他设备上的登录都已失效" in laptop.get("/auth/me").get_data(as_text=True)
    assert laptop.get("/auth/me").status_code == 200
    assert is_login_redirect(phone.get("/auth/me"))
    assert is_login_redirect(browser(app, before).get("/auth/me"))   # nor the laptop's old cookie
    login(phone, user, NEW_PASSWORD)
    assert phone.get("/auth/me").status_code == 200


def test_rejection_signs_the_applicant_out(app, make):
    community = make.community()
    admin = make.user(community, name="管理员", roles=["admin"], room="108")
    applicant = make.user(community, name="申请人", verified=False, room="102")
    admin_browser, applicant_browser = browser(app), browser(app)
    login(admin_browser, admin)
    login(applicant_browser, applicant)
    assert applicant_browser.get("/auth/me").status_code == 200

    response = admin_browser.post(
        f"/c/{community.id}/admin/residents/{applicant.id}/reject", data={"reason": "查无此户"})
    assert response.status_code == 302
    assert is_login_redirect(applicant_browser.get("/auth/me"))
    assert admin_browser.get("/auth/me").status_code == 200


def test_a_stale_cookie_cannot_connect_to_live(app, make):
    user = make.user(make.community())
    phone = browser(app)
    login(phone, user)
    copy = browser(app, session_cookie(phone, app))
    socket = live_client(app, copy)
    assert socket.is_connected("/live")   # the copy works while the session does
    socket.disconnect(namespace="/live")

    phone.post("/auth/logout")
    assert not live_client(app, copy).is_connected("/live")


def test_an_open_socket_is_refused_once_its_user_has_logged_out(app, make):
    user = make.user(make.community())
    phone = browser(app)
    login(phone, user)
    socket = live_client(app, phone)
    ack = socket.emit("join", {"meeting_id": 999999}, namespace="/live", callback=True)
    assert ack["error"]["code"] == "not_found"   # signed in: the meeting just does not exist

    cast = {"vote_id": 999999, "choice": "yes", "nonce": "n-1"}
    ack = socket.emit("cast", cast, namespace="/live", callback=True)
    assert ack["error"]["code"] == "not_found"

    other = browser(app, session_cookie(phone, app))
    other.post("/auth/logout")                   # "log out" on another device ends every session
    ack = socket.emit("join", {"meeting_id": 999999}, namespace="/live", callback=True)
    assert ack["error"]["code"] == "unauthorized"
    ack = socket.emit("cast", cast, namespace="/live", callback=True)   # the vote's fast path too
    assert ack["error"]["code"] == "unauthorized"


def test_logout_is_in_the_audit_log(app, make, db):
    from app.core.audit import AuditEvent

    user = make.user(make.community())
    phone = browser(app)
    login(phone, user)
    phone.post("/auth/logout")
    event = AuditEvent.query.filter_by(action="user.logged_out").one()
    assert (event.actor_id, event.object_id) == (user.id, user.id)
