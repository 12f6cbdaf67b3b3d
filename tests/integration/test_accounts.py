"""Sign-up, verification, login, activation, password change — through the pages."""
from app.auth.models import User, UserState
from app.core.audit import AuditEvent
from app.core.notify import Notification
from tests.conftest import PASSWORD, login


def sign_up(client, community, phone="13812345678", **extra):
    data = {"phone": phone, "name": "新居民", "password": "secret-pass", "confirm": "secret-pass",
            "community_id": community.id, "building": "3", "unit": "2", "room": "501", **extra}
    return client.post("/auth/register", data=data)


def test_sign_up_verify_login(client, make, db):
    community = make.community()
    admin = make.user(community, name="管理员", roles=["admin"])

    response = sign_up(client, community)
    assert response.status_code == 302
    user = User.query.filter_by(phone="13812345678").one()
    assert user.state is UserState.PENDING
    assert user.household.address == "3栋2单元501室"
    page = client.get("/auth/me").get_data(as_text=True)
    assert "待审核" in page
    # The admin hears of the new resident.
    assert Notification.query.filter_by(user_id=admin.id).count() == 1
    client.post("/auth/logout")

    login(client, admin)
    pending = client.get(f"/c/{community.id}/admin/residents?state=pending").get_data(as_text=True)
    assert "新居民" in pending
    assert client.post(f"/c/{community.id}/admin/residents/{user.id}/verify").status_code == 302
    client.post("/auth/logout")

    db.session.expire_all()
    assert user.state is UserState.VERIFIED
    note = Notification.query.filter_by(user_id=user.id).one()
    assert "通过" in note.text
    response = client.post("/auth/login", data={"phone": user.phone, "password": "secret-pass"})
    assert response.status_code == 302
    assert "已认证" in client.get("/auth/me").get_data(as_text=True)
    actions = [e.action for e in AuditEvent.query.order_by(AuditEvent.id)]
    assert actions == ["user.registered", "user.logged_out", "user.verified", "user.logged_out"]


def test_reject_needs_a_reason_and_tells_the_resident(client, make, db):
    community = make.community()
    admin = make.user(community, roles=["admin"])
    sign_up(client, community)
    client.post("/auth/logout")
    user = User.query.filter_by(phone="13812345678").one()
    login(client, admin)
    client.post(f"/c/{community.id}/admin/residents/{user.id}/reject", data={"reason": ""})
    db.session.expire_all()
    assert user.state is UserState.PENDING
    client.post(f"/c/{community.id}/admin/residents/{user.id}/reject", data={"reason": "查无此户"})
    db.session.expire_all()
    assert user.state is UserState.REJECTED and user.rejection_reason == "查无此户"
    assert "查无此户" in Notification.query.filter_by(user_id=user.id).one().text


def test_sign_up_errors_are_shown_and_nothing_is_lost(client, make):
    community = make.community()
    response = sign_up(client, community, phone="12345", confirm="other")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请输入 11 位手机号码" in page and "两次输入的密码不一致" in page
    assert 'value="新居民"' in page  # what was typed is still there
    assert User.query.count() == 0


def test_phone_taken(client, make):
    community = make.community()
    existing = make.user(community)
    response = sign_up(client, community, phone=existing.phone)
    assert "该手机号已注册" in response.get_data(as_text=True)
    assert User.query.count() == 1


def test_wrong_password_is_a_clear_401(client, make):
    user = make.user(make.community())
    response = client.post("/auth/login", data={"phone": user.phone, "password": "wrong-one"})
    assert response.status_code == 401
    assert "手机号或密码不正确" in response.get_data(as_text=True)


def test_login_is_throttled_per_account(client, make):
    """Five wrong passwords make the account wait (tests/security/test_login_throttle.py has the rest)."""
    user = make.user(make.community())
    codes = [client.post("/auth/login", data={"phone": user.phone, "password": "nope-nope"}).status_code
             for _ in range(7)]
    assert codes == [401] * 4 + [429] * 3


def test_change_password(client, make):
    user = make.user(make.community())
    login(client, user)
    bad = client.post("/auth/password", data={"old_password": "wrong", "password": "new-password",
                                              "confirm": "new-password"})
    assert bad.status_code == 422 and "当前密码不正确" in bad.get_data(as_text=True)
    ok = client.post("/auth/password", data={"old_password": PASSWORD, "password": "new-password",
                                             "confirm": "new-password"})
    assert ok.status_code == 302
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"phone": user.phone, "password": PASSWORD}).status_code == 401
    assert client.post("/auth/login", data={"phone": user.phone, "password": "new-password"}).status_code == 302


def test_large_type_is_remembered_on_the_account(client, make, db):
    user = make.user(make.community())
    login(client, user)
    assert 'class="large-type' not in client.get("/").get_data(as_text=True)
    client.post("/auth/large-type", data={"on": "1", "next": "/"})
    db.session.expire_all()
    assert user.is_large_type
    client.post("/auth/logout")
    client.delete_cookie("large_type")
    login(client, user)
    assert 'class="large-type' in client.get("/").get_data(as_text=True)


def test_large_type_for_visitors_uses_a_cookie(client, db):
    client.post("/auth/large-type", data={"on": "1", "next": "https://evil.example/"})
    assert 'class="large-type' in client.get("/").get_data(as_text=True)


def test_email_for_notifications(client, make, db):
    user = make.user(make.community())
    login(client, user)
    bad = client.post("/auth/me", data={"email": "not-an-address"})
    assert bad.status_code == 422 and "邮箱格式不正确" in bad.get_data(as_text=True)
    assert client.post("/auth/me", data={"email": "zhang@example.org"}).status_code == 302
    db.session.expire_all()
    assert user.email == "zhang@example.org"
    client.post("/auth/me", data={"email": ""})
    db.session.expire_all()
    assert user.email is None


def test_the_residents_list_is_newest_first_page_by_page_and_filtered(client, make, db):
    """The admin's list of residents: 50 a page, newest first, a total; one state or a name; another
    community's residents never."""
    import re

    community, other = make.community(), make.community("别的社区")
    admin = make.user(community, name="管理员", roles=["admin"])
    made = [make.user(community, name=f"居民{i:03d}", room=str(100 + i), verified=i % 4 != 0, password=None)
            for i in range(60)]
    make.user(other, name="外社区居民", room="900")
    login(client, admin)

    def names(url):
        page = client.get(url).get_data(as_text=True)
        return re.findall(r"居民\d{3}|外社区居民", page), re.search(r'data-total="(\d+)"', page).group(1)

    first, total = names(f"/c/{community.id}/admin/residents")
    second, _ = names(f"/c/{community.id}/admin/residents?page=2")
    assert total == "61"   # the 60 and the admin
    assert first == [f"居民{i:03d}" for i in range(59, 9, -1)]
    assert second == [f"居民{i:03d}" for i in range(9, -1, -1)]
    pending, count = names(f"/c/{community.id}/admin/residents?state=pending")
    assert count == "15" and pending == [u.name for u in reversed(made) if u.state is UserState.PENDING]
    assert names(f"/c/{community.id}/admin/residents?q=居民05")[0] == [f"居民{i:03d}" for i in range(59, 49, -1)]
    assert names(f"/c/{community.id}/admin/residents?page=9")[0] == []
