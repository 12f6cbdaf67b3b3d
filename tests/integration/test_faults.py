"""Faults a running site meets: the database goes away, Redis restarts in the middle of a meeting.

- Database: a live server reaches PostgreSQL through a small TCP proxy that the test cuts (every
  connection dropped, new ones refused) and mends. While cut, pages answer 503 with a Chinese
  message and the API answers the JSON error; once mended, the same process serves again.
- Redis: a private redis-server on a free port (never the system one) carries the Socket.IO
  message queue of two server processes. It is killed and started again during a meeting; events
  emitted afterwards reach clients of both processes, and a client that reconnects gets the whole
  room, including what happened while Redis was down, in its join ack.
"""
import os
import re
import socket
import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import PASSWORD, Factory, LiveServer, reset_schema
from tests.integration.live_helpers import Clients, Meeting, token

pytestmark = pytest.mark.live


# -- the database goes away ------------------------------------------------------------------

class CuttableProxy:
    """A TCP proxy whose connections can all be cut at once, and new ones refused, until mended."""

    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, upstream_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.is_cut = False
        self.closed = False
        self.sockets = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.is_cut:
                client.close()   # the database "is not there": the driver sees the door shut
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, upstream}
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._close(src)
            self._close(dst)

    def _close(self, sock):
        with self.lock:
            self.sockets.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def cut(self):
        self.is_cut = True
        with self.lock:
            open_sockets = list(self.sockets)
        for sock in open_sockets:
            self._close(sock)

    def mend(self):
        self.is_cut = False

    def close(self):
        self.closed = True
        self.cut()
        self.listener.close()


def postgres_server_url():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("postgres"):
        pytest.skip("TEST_DATABASE_URL names no PostgreSQL server: the database-loss test needs one "
                    "(e.g. TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test)")
    from app import normalise_database_url

    engine = create_engine(normalise_database_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        engine.dispose()
        pytest.skip(f"PostgreSQL at {url} is not reachable: {exc}")
    return engine


@pytest.fixture(scope="module")
def scratch_postgres():
    """A database of this module's own on the test server (the shared one is left alone)."""
    admin = postgres_server_url()
    name = f"yishi_faults_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin.url.set(database=name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def cut_world(scratch_postgres, tmp_path_factory):
    """Schema and a staff member in the scratch database, a proxy to it, a server behind the proxy."""
    from app import create_app
    from app.extensions import db

    direct = scratch_postgres.render_as_string(hide_password=False)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": direct,
                      "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")), "SERVER_NAME": None})
    reset_schema(app)
    with app.app_context():
        make = Factory(db)
        community = make.community("断线社区")
        staff = make.user(community, name="值班员", roles=["staff"])
        phone, raw = staff.phone, token(db, staff)
        community_id = community.id
        db.session.remove()
        db.engine.dispose()
    proxy = CuttableProxy(scratch_postgres.host or "127.0.0.1", scratch_postgres.port or 5432)
    through_proxy = scratch_postgres.set(host="127.0.0.1", port=proxy.port)
    server = LiveServer(through_proxy.render_as_string(hide_password=False)).start()
    yield server, proxy, phone, raw, community_id
    server.stop()
    proxy.close()


def logged_in_session(server, phone):
    """A browser-like session: the login form with its CSRF token, as a person would post it."""
    session = requests.Session()
    form = session.get(server.url + "/auth/login", timeout=10).text
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = session.post(server.url + "/auth/login", timeout=10, allow_redirects=False,
                            data={"phone": phone, "password": PASSWORD, "csrf_token": csrf})
    assert response.status_code == 302, response.text[:300]
    return session


def test_losing_the_database_gives_503_and_recovers_without_a_restart(cut_world):
    server, proxy, phone, raw, community_id = cut_world
    browser = logged_in_session(server, phone)
    api = {"Authorization": f"Bearer {raw}"}
    page = f"{server.url}/c/{community_id}/proposals/"
    endpoint = f"{server.url}/api/v1/proposals?community_id={community_id}"
    pid = server.proc.pid

    assert browser.get(page, timeout=10).status_code == 200
    assert requests.get(endpoint, headers=api, timeout=10).status_code == 200

    proxy.cut()
    started = time.monotonic()
    for url in (server.url + "/", page):   # anonymous home page, a logged-in page
        client = requests if url.endswith(":%d/" % server.port) else browser
        response = client.get(url, timeout=10)
        assert response.status_code == 503, (url, response.text[:500])
        assert "text/html" in response.headers["Content-Type"]
        assert "服务暂时不可用，请稍后再试。" in response.text
        assert "Traceback" not in response.text and "psycopg2" not in response.text
    response = requests.get(endpoint, headers=api, timeout=10)
    assert response.status_code == 503
    assert response.json() == {"error": {"code": "unavailable", "message": "服务暂时不可用，请稍后再试。"}}
    assert requests.get(server.url + "/healthz", timeout=10).status_code == 503
    assert time.monotonic() - started < 10, "a lost database must fail fast, not hang"

    proxy.mend()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if requests.get(server.url + "/healthz", timeout=10).status_code == 200:
            break
        time.sleep(0.2)
    assert browser.get(page, timeout=10).status_code == 200    # the same login still holds
    response = requests.get(endpoint, headers=api, timeout=10)
    assert response.status_code == 200 and response.json()["total"] == 0
    assert server.proc.poll() is None and server.proc.pid == pid   # no restart happened


def test_a_database_that_cannot_be_opened_gives_the_503_page_to_a_logged_in_user(app, make, tmp_path):
    """In process, on any database: the page frame loads the user from the database, so a failing
    database must not turn the 503 page itself into a bare 500."""
    from app import create_app

    user = make.user(make.community())
    browser = app.test_client()
    browser.post("/auth/login", data={"phone": user.phone, "password": PASSWORD})
    cookie = browser.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    broken = create_app({"TESTING": True, "SERVER_NAME": None,
                         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3"})
    client = broken.test_client()
    client.set_cookie(broken.config["SESSION_COOKIE_NAME"], cookie)
    for path in ("/notifications", f"/c/{user.community_id}/proposals/", "/"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "服务暂时不可用，请稍后再试。" in response.get_data(as_text=True)
        assert response.headers["Retry-After"] == "10"
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer whatever"})
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "unavailable"


def test_no_free_database_connection_is_a_503_busy_not_a_500(app, db, make, database_url):
    """Every pooled connection taken (a join storm): the API and /live say "busy, try again"."""
    from app import create_app
    from app.auth.models import ApiToken
    from app.extensions import db as ext_db, socketio

    user = make.user(make.community())
    _, raw = ApiToken.issue(user, 1)
    db.session.commit()
    starved = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                          "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0,
                                                        "pool_timeout": 0.2}})
    with starved.app_context():
        held = ext_db.engine.connect()   # the only connection, busy elsewhere
        try:
            response = starved.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
            assert response.status_code == 503
            assert response.get_json()["error"]["code"] == "unavailable"
            live = socketio.test_client(starved, namespace="/live", auth={"token": raw})
            assert not live.is_connected("/live")    # refused as "unavailable": room.js retries
        finally:
            held.close()
        response = starved.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code == 200
        ext_db.engine.dispose()


# -- Redis restarts during a meeting -----------------------------------------------------------

def chat_reaches(sender, receiver, text, timeout=1.0):
    assert sender.call("chat", meeting_id=sender.meeting_id, text=text)["ok"]
    try:
        receiver.wait_for("chat_posted", lambda d: d["message"]["text"] == text, timeout=timeout)
        return True
    except AssertionError:
        return False


def test_room_recovers_after_a_redis_restart(private_redis, two_servers, make, db):
    first, second = two_servers
    room = Meeting(make, db)
    room.start(db)
    clients = Clients(first.url, db)
    try:
        chair = clients(room.chair, url=first.url)
        member = clients(room.members[0], url=second.url)
        watcher = clients(room.members[1], url=first.url)   # a second client on process 1
        for c in (chair, member, watcher):
            c.meeting_id = room.id
            assert c.join(room.id)["ok"]
        assert chat_reaches(chair, member, "开会前一切正常")

        private_redis.kill()
        # While Redis is down the database stays the truth: commands are still acknowledged.
        assert chair.call("next_item", meeting_id=room.id)["ok"]
        assert chair.call("chat", meeting_id=room.id, text="停电期间的发言")["ok"]
        time.sleep(0.5)
        private_redis.start()   # same port, empty: nothing of the old queue survives

        # The room recovers by itself: the processes reconnect to Redis (they back off 1, 2, 4 s).
        deadline = time.monotonic() + 20
        attempt = 0
        while not chat_reaches(chair, member, f"恢复了吗{attempt}"):
            attempt += 1
            assert time.monotonic() < deadline, "events never flowed again after Redis came back"
        for c in (chair, member, watcher):
            c.drain()

        # After the restart, an event from either process reaches clients of both.
        assert chair.call("next_item", meeting_id=room.id)["ok"]
        for c in (chair, member, watcher):
            assert c.wait_for("item_changed", lambda d: d["index"] == 2, timeout=5)
        assert member.call("raise_hand", meeting_id=room.id)["ok"]
        for c in (chair, member, watcher):
            speakers = c.wait_for("speakers_changed", timeout=5)["speakers"]
            assert [s["name"] for s in speakers] == ["成员0"]

        # A client that reconnects gets the full room in its join ack, what it missed included.
        member.close()
        again = clients(room.members[0], url=second.url)
        state = again.join(room.id)["state"]
        assert state["current_item"] == 2
        assert [s["name"] for s in state["speakers"]] == ["成员0"]
        texts = [m["text"] for m in state["chat"]]
        assert "停电期间的发言" in texts and "开会前一切正常" in texts
        assert str(room.members[0].id) in state["present"]
    finally:
        clients.close()
