"""Session fixation: whatever session a visitor carried before logging in is not the one after.

Sessions are signed cookies. An attacker who plants a session cookie in a victim's browser (or
keeps a copy of the one a shared computer had before the victim logged in) must not end up
holding the victim's login: logging in issues a new cookie, clears what was in the old session,
and the old cookie stays anonymous.
"""
from flask import g
from flask.testing import FlaskClient

from tests.conftest import PASSWORD


class Browser(FlaskClient):
    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def session_cookie(client, app):
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return cookie.value if cookie else None


def decoded(app, value):
    return app.session_interface.get_signing_serializer(app).loads(value)


def test_login_issues_a_new_session_and_drops_what_was_planted(app, make):
    user = make.user(make.community())
    victim = Browser(app, app.response_class, use_cookies=True)
    with victim.session_transaction() as session:
        session["planted_by_attacker"] = "x"   # e.g. through a shared computer or a sub-domain
        session["_user_id"] = "999999"         # even a claimed identity is dropped
    victim.get("/auth/login")
    before = session_cookie(victim, app)

    response = victim.post("/auth/login", data={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 302
    after = session_cookie(victim, app)
    assert after and after != before
    data = decoded(app, after)
    assert "planted_by_attacker" not in data
    assert data["_user_id"] == user.get_id()   # "<id>:<session epoch>"


def test_the_cookie_from_before_login_stays_anonymous(app, make):
    user = make.user(make.community())
    victim = Browser(app, app.response_class, use_cookies=True)
    victim.get("/auth/login")
    fixed = session_cookie(victim, app)      # the attacker keeps this copy
    assert victim.post("/auth/login", data={"phone": user.phone, "password": PASSWORD}).status_code == 302
    assert victim.get("/auth/me").status_code == 200

    attacker = Browser(app, app.response_class, use_cookies=True)
    attacker.set_cookie(app.config["SESSION_COOKIE_NAME"], fixed)
    response = attacker.get("/auth/me")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_switching_accounts_leaves_nothing_of_the_first(app, make):
    community = make.community()
    first, second = make.user(community, name="甲"), make.user(community, name="乙", room="202")
    browser = Browser(app, app.response_class, use_cookies=True)
    browser.post("/auth/login", data={"phone": first.phone, "password": PASSWORD})
    with browser.session_transaction() as session:
        session["left_by_first"] = "secret"
    browser.post("/auth/logout")
    browser.post("/auth/login", data={"phone": second.phone, "password": PASSWORD})
    data = decoded(app, session_cookie(browser, app))
    assert data["_user_id"] == second.get_id() and "left_by_first" not in data


def test_session_cookie_flags(app, make):
    user = make.user(make.community())
    browser = Browser(app, app.response_class, use_cookies=True)
    response = browser.post("/auth/login", data={"phone": user.phone, "password": PASSWORD})
    header = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith(app.config["SESSION_COOKIE_NAME"] + "="))
    assert "HttpOnly" in header and "SameSite=Lax" in header
