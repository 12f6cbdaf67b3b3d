"""The frame every page shares: Chinese, health, errors without tracebacks, security headers."""
import pytest

from app.core.audit import AuditEvent, record
from app.core.refusal import Refused


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_home_is_chinese_and_mobile_ready(client, make):
    make.community("阳光社区")
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    assert 'name="viewport"' in page
    assert "阳光社区" in page and "登录" in page


def test_security_headers(client, db):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.get_data(as_text=True)  # nothing inline the CSP would block


def test_not_found_is_a_chinese_page(client, db):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "找不到该页面或记录" in response.get_data(as_text=True)


@pytest.fixture()
def own_app(database_url, db):
    """An app of its own, so a test may add routes after the shared one served requests."""
    from app import create_app

    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                       "PROPAGATE_EXCEPTIONS": False})


def test_unexpected_error_shows_no_traceback(own_app):
    @own_app.route("/_boom")
    def boom():
        raise RuntimeError("secret internals")

    response = own_app.test_client().get("/_boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "系统出现问题" in page and "secret internals" not in page and "Traceback" not in page


def test_domain_errors_render_as_pages(own_app):
    @own_app.route("/_refuse")
    def refuse():
        raise Refused("wrong_state", "不可以这样做。")   # the status comes from the code

    response = own_app.test_client().get("/_refuse")
    assert response.status_code == 409 and "不可以这样做" in response.get_data(as_text=True)


def test_csrf_is_required_on_forms(app, make):
    community = make.community()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        response = client.post("/auth/register", data={"phone": "13800000000", "name": "x",
                                                       "community_id": community.id})
        assert response.status_code == 400
        assert "CSRF" in response.get_data(as_text=True) or "请求有误" in response.get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_audit_log_is_append_only(db):
    event = record("test.happened", reason="为什么")
    db.session.commit()
    event.reason = "改过"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(AuditEvent.query.one())
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    assert AuditEvent.query.one().reason == "为什么"


def test_audit_export(client, make, auth):
    community = make.community()
    admin = make.user(community, roles=["admin"])
    record("something.changed", actor=admin, community_id=community.id, reason="因为")
    from app.extensions import db

    db.session.commit()
    auth(client, admin)
    response = client.get(f"/c/{community.id}/admin/audit.csv")
    assert response.mimetype == "text/csv"
    assert "something.changed" in response.get_data(as_text=True)


def test_notifications_are_listed_newest_first(client, make, db):
    from datetime import timedelta

    from app.core.notify import Notification
    from app.core.timeutil import utcnow
    from tests.conftest import login

    user = make.user(make.community())
    now = utcnow()
    # Written out of time order, as the demo writes its past after its present.
    for text, days in (("今天", 0), ("十天前", 10), ("三天前", 3)):
        db.session.add(Notification(user_id=user.id, text=text, created_dt=now - timedelta(days=days)))
    db.session.commit()
    login(client, user)
    page = client.get("/notifications").get_data(as_text=True)
    assert page.index("今天") < page.index("三天前") < page.index("十天前")


def test_the_favicon_is_served_and_cacheable(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon" and response.data[:4] == b"\x00\x00\x01\x00"
    assert "max-age=604800" in response.headers["Cache-Control"]
    assert client.get("/static/favicon.svg").status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg"' in home
