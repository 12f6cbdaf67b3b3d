"""Absolute addresses for what leaves the screen (printed notices, QR codes, the feed):
PUBLIC_BASE_URL when set, else the address the request came to — behind a trusted proxy the one
the client asked for (X-Forwarded-Host/-Proto), never the proxy's 127.0.0.1."""
import pytest
import qrcode

from app.notice import operations as notices
from tests.conftest import PASSWORD, login
from tests.integration.live_helpers import Meeting


@pytest.fixture()
def notice(make, db):
    community = make.community()
    admin = make.user(community, roles=["admin"])
    posted = notices.create(admin, community, title="电梯维修公告", category="居务公开",
                            body="下周一起维修，请居民提前安排出行。", publish_now=True)
    db.session.commit()
    return posted


@pytest.fixture()
def proxied(database_url, db):
    """The app as it runs behind nginx (TRUSTED_PROXIES=1)."""
    from app import create_app
    from app.extensions import limiter

    application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                              "TRUSTED_PROXIES": 1})
    yield application
    limiter.reset()


@pytest.fixture()
def configured(app, db):
    saved = app.config["PUBLIC_BASE_URL"]
    yield app.config
    app.config["PUBLIC_BASE_URL"] = saved


def print_sheet(client, notice, **kwargs):
    response = client.get(f"/notice/general/{notice.id}/print", **kwargs)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_print_sheet_names_the_host_the_request_came_to(client, notice):
    page = print_sheet(client, notice, headers={"Host": "192.168.1.20:8000"})
    assert f"http://192.168.1.20:8000/notice/general/{notice.id}" in page
    assert "127.0.0.1" not in page and "localhost" not in page


def test_a_forwarded_host_counts_only_behind_a_trusted_proxy(client, proxied, notice):
    forwarded = {"Host": "127.0.0.1:8001", "X-Forwarded-Host": "yishi.example.org",
                 "X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.4"}
    page = print_sheet(proxied.test_client(), notice, headers=forwarded)
    assert f"https://yishi.example.org/notice/general/{notice.id}" in page
    # Without a trusted proxy the headers are the client's word: ignored.
    page = print_sheet(client, notice, headers=forwarded)
    assert f"http://127.0.0.1:8001/notice/general/{notice.id}" in page and "yishi.example.org" not in page


def test_public_base_url_wins_when_set(client, notice, configured):
    configured["PUBLIC_BASE_URL"] = "https://yishi.example.cn/"
    page = print_sheet(client, notice, headers={"Host": "192.168.1.20:8000"})
    assert f"https://yishi.example.cn/notice/general/{notice.id}" in page and "192.168.1.20" not in page


def test_the_feed_links_to_the_host_the_request_came_to(client, notice):
    feed = client.get("/notice/feed.atom", headers={"Host": "hall.local"}).get_data(as_text=True)
    assert f"http://hall.local/notice/general/{notice.id}" in feed
    assert 'href="http://hall.local/notice/' in feed


@pytest.fixture()
def encoded(monkeypatch):
    """What the QR codes drawn during the test encode."""
    seen = []
    make = qrcode.make

    def spy(data, **kwargs):
        seen.append(data)
        return make(data, **kwargs)

    monkeypatch.setattr(qrcode, "make", spy)
    return seen


def test_the_meeting_qr_code_points_at_the_forwarded_host(proxied, make, db, encoded):
    room = Meeting(make, db)
    client = proxied.test_client()
    login(client, room.secretary)
    headers = {"X-Forwarded-Host": "yishi.example.org", "X-Forwarded-Proto": "https",
               "X-Forwarded-For": "198.51.100.4"}
    assert client.get(f"/meetings/{room.id}/qr.svg", headers=headers).status_code == 200
    assert encoded[-1].startswith(f"https://yishi.example.org/meetings/{room.id}/checkin?t=")


def test_the_projector_qr_code_points_at_the_host_the_request_came_to(client, make, db, encoded):
    """A laptop in the hall opened http://10.0.0.5:8000/: the phones must reach that, not localhost."""
    room = Meeting(make, db)
    hall = "http://10.0.0.5:8000"
    client.post("/auth/login", base_url=hall, data={"phone": room.secretary.phone, "password": PASSWORD})
    assert client.get(f"/meetings/{room.id}/projector", base_url=hall).status_code == 200
    assert encoded[-1].startswith(f"{hall}/meetings/{room.id}/checkin?t=")


def test_the_meeting_qr_code_uses_public_base_url_when_set(client, make, db, encoded, configured):
    configured["PUBLIC_BASE_URL"] = "https://yishi.example.cn"
    room = Meeting(make, db)
    login(client, room.secretary)
    client.get(f"/meetings/{room.id}/qr.svg", headers={"Host": "10.0.0.5:8000"})
    assert encoded[-1].startswith(f"https://yishi.example.cn/meetings/{room.id}/checkin?t=")
