"""CSRF: a form posted without the session's token is refused and changes nothing.

The shared test app turns CSRF off for convenience; these tests build an app of their own with
WTF_CSRF_ENABLED on, as production runs.
"""
import re

import pytest
from flask import g
from flask.testing import FlaskClient

from tests.conftest import PASSWORD

TOKEN = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*name="csrf_token"')


def find_token(html):
    match = TOKEN.search(html)
    assert match, "no csrf_token field on the page"
    return match.group(1) or match.group(2)


class Browser(FlaskClient):
    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)

    def token(self, path="/auth/login"):
        return find_token(self.get(path).get_data(as_text=True))

    def log_in(self, user):
        response = self.post("/auth/login", data={"phone": user.phone, "password": PASSWORD,
                                                  "csrf_token": self.token()})
        assert response.status_code == 302
        return self


@pytest.fixture()
def csrf_app(database_url, db):
    from app import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "WTF_CSRF_ENABLED": True, "SERVER_NAME": None})
    app.test_client_class = Browser
    return app


def logged_in(client):
    return client.get("/auth/me").status_code == 200


def test_login_without_the_token_is_refused(csrf_app, make):
    user = make.user(make.community())
    browser = csrf_app.test_client()
    response = browser.post("/auth/login", data={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 400
    assert "请求有误：页面已过期或来源不明，请刷新页面后重新提交。" in response.get_data(as_text=True)
    assert not logged_in(browser)
    # The same post with the form's token goes through: the token was the only difference.
    assert browser.log_in(user) and logged_in(browser)


def test_a_token_from_another_session_is_refused(csrf_app, make):
    user = make.user(make.community())
    attacker = csrf_app.test_client()
    planted = attacker.token()   # the attacker's own, valid in the attacker's session only
    victim = csrf_app.test_client()
    response = victim.post("/auth/login", data={"phone": user.phone, "password": PASSWORD,
                                                "csrf_token": planted})
    assert response.status_code == 400 and not logged_in(victim)


def test_state_changing_forms_refuse_a_post_without_the_token(csrf_app, make, db):
    from app.auth.models import User, UserState

    community = make.community()
    admin = make.user(community, name="管理员", roles=["admin"])
    pending = make.user(community, name="待审", verified=False, room="202")
    browser = csrf_app.test_client().log_in(admin)

    forged = [
        (f"/c/{community.id}/admin/residents/{pending.id}/verify", {}),
        ("/auth/large-type", {"on": "1"}),
        (f"/c/{community.id}/proposals/new",
         {"title": "伪造的提案标题", "category": "其他", "problem": "这是一个跨站伪造的请求内容。",
          "suggestion": "不应被接受。"}),
        ("/auth/logout", {}),
    ]
    for path, data in forged:
        response = browser.post(path, data=data)
        assert response.status_code == 400, path
    db.session.expire_all()
    assert db.session.get(User, pending.id).state is UserState.PENDING
    assert not db.session.get(User, admin.id).is_large_type
    from app.proposals.models import Proposal

    assert Proposal.query.count() == 0
    assert logged_in(browser)   # the forged logout did not log the admin out

    # With the page's token the admin's real click works.
    token = browser.token(f"/c/{community.id}/admin/residents")
    response = browser.post(f"/c/{community.id}/admin/residents/{pending.id}/verify",
                            data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, pending.id).state is UserState.VERIFIED


def test_the_api_ignores_the_session_cookie(csrf_app, make):
    """The API is exempt from CSRF because it reads bearer tokens only: a cookie opens nothing."""
    community = make.community()
    user = make.user(community)
    browser = csrf_app.test_client().log_in(user)
    response = browser.post("/api/v1/proposals", json={"community_id": community.id, "title": "跨站"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "missing_token"
    assert browser.get("/api/v1/me").status_code == 401


@pytest.mark.live
def test_the_live_socket_refuses_another_origin(live_server, make):
    """A page on another site cannot open /live with the visitor's session cookie (CSWSH)."""
    import requests
    import socketio

    user = make.user(make.community())
    session = requests.Session()
    form = session.get(live_server.url + "/auth/login", timeout=10).text
    session.post(live_server.url + "/auth/login", timeout=10, data={
        "phone": user.phone, "password": PASSWORD, "csrf_token": find_token(form)})
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)

    def connect(origin):
        client = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin})
        client.connect(live_server.url, namespaces=["/live"], transports=["websocket"],
                       headers={"Cookie": cookie}, wait_timeout=10)
        connected = client.connected
        client.disconnect()
        return connected

    assert connect(live_server.url)   # the site itself: admitted with the session
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect("http://evil.example")


def test_the_boards_kept_token_is_the_sessions_own(csrf_app, make, monkeypatch):
    """Each process signs a session's CSRF secret once and hands the same token out again (the
    board's frame asks on every request): that token works in its own session only."""
    from itsdangerous.timed import TimestampSigner

    make.community()
    visitor, other = csrf_app.test_client(), csrf_app.test_client()
    first = find_token(visitor.get("/notice/").get_data(as_text=True))
    # A minute later a new signature would differ (it carries the time): the kept one does not.
    signed_at = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: signed_at(self) + 60)
    again = find_token(visitor.get("/notice/").get_data(as_text=True))
    assert again == first
    theirs = find_token(other.get("/notice/").get_data(as_text=True))
    assert theirs != first
    refused = visitor.post("/auth/large-type", data={"on": "1", "next": "/notice/", "csrf_token": theirs})
    assert refused.status_code == 400
    taken = visitor.post("/auth/large-type", data={"on": "1", "next": "/notice/", "csrf_token": again})
    assert taken.status_code in (302, 303) and visitor.get_cookie("large_type").value == "1"
