"""Shared fixtures: the app on SQLite (or PostgreSQL with YISHI_TEST_DB=postgres), factories, a live server."""
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "password123"


def pytest_report_header(config):
    return f"database: {database_kind()}"


def database_kind():
    return "postgres" if os.environ.get("YISHI_TEST_DB") == "postgres" else "sqlite"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if database_kind() == "postgres":
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            pytest.skip("YISHI_TEST_DB=postgres needs TEST_DATABASE_URL")
        # Tests commit after every factory call: do not wait for the disk on each (a killed
        # client still loses nothing committed; only a crash of PostgreSQL itself could).
        return url + ("&" if "?" in url else "?") + "options=-csynchronous_commit%3Doff"
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def reset_schema(app):
    """Drop everything and build the schema the way production does: through the migrations."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(directory=str(ROOT / "migrations"), revision="heads")


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from app import create_app

    upload_dir = tmp_path_factory.mktemp("uploads")
    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_DIR": str(upload_dir),
        "SERVER_NAME": None,
    })
    application.extensions["yishi_outbox"] = []
    reset_schema(application)
    return application


@pytest.fixture()
def db(app):
    """The database, emptied after the test (live servers commit from other processes)."""
    from app.extensions import db as database
    from app.extensions import limiter

    ctx = app.app_context()
    ctx.push()
    limiter.reset()
    yield database
    database.session.rollback()
    database.session.remove()
    _empty_tables(database)
    app.extensions["yishi_outbox"].clear()
    ctx.pop()


def _empty_tables(database):
    from sqlalchemy import text

    with database.engine.begin() as conn:
        tables = [t.name for t in reversed(database.metadata.sorted_tables)]
        if database.engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture()
def client(app, db):
    return app.test_client()


# -- factories -------------------------------------------------------------

_hashes = {}


def _password_hash(password):
    """The app hashes with scrypt (~0.1 s by design, for every hash and every login check); the
    factory's users get a cheap PBKDF2 hash, made once per session, which the same
    check_password_hash verifies: logging in stays real, a thousand test logins stay fast."""
    if password not in _hashes:
        from werkzeug.security import generate_password_hash

        _hashes[password] = generate_password_hash(password, method="pbkdf2:sha256:1000")
    return _hashes[password]


class Factory:
    """create_*() helpers in the style of Indico's fixtures; every object is committed."""

    def __init__(self, database):
        self.db = database
        self._phone = 13000000000

    def phone(self):
        self._phone += 1
        return str(self._phone)

    def community(self, name="阳光社区", street=None, bodies=True):
        from app.community.models import Body, Community, Street
        from app.community.rules import PRESETS

        street = street or Street.query.first() or Street(name="幸福街道")
        community = Community(street=street, name=name)
        self.db.session.add(community)
        if bodies:
            for key in PRESETS:
                self.db.session.add(Body.from_preset(community, key))
        self.db.session.commit()
        return community

    def user(self, community=None, *, name="居民", verified=True, password=PASSWORD, roles=(),
             street_admin_of=None, building="1", unit="1", room="101"):
        from app.auth.models import RoleKind, User, UserState
        from app.community.models import CommunityRole, Household

        user = User(phone=self.phone(), name=name, community=community,
                    state=UserState.VERIFIED if verified else UserState.PENDING)
        if password:
            user.password_hash = _password_hash(password)
        if community is not None:
            user.household = Household.get_or_create(community.id, building, unit, room)
        for kind in roles:
            user.roles.append(CommunityRole(community=community, kind=RoleKind(kind)))
        if street_admin_of is not None:
            user.roles.append(CommunityRole(street=street_admin_of, kind=RoleKind.STREET_ADMIN))
        self.db.session.add(user)
        self.db.session.commit()
        return user

    def member(self, body, user, role="member", is_voting=True):
        from app.community.models import MemberRole, Membership

        membership = Membership(body=body, user=user, role=MemberRole(role), is_voting=is_voting)
        self.db.session.add(membership)
        self.db.session.commit()
        return membership


@pytest.fixture()
def make(db):
    return Factory(db)


def login(client, user, password=PASSWORD):
    response = client.post("/auth/login", data={"phone": user.phone, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture()
def auth():
    return login


def api_token(client, user, password=PASSWORD):
    response = client.post("/api/v1/auth/token", json={"phone": user.phone, "password": password})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


# -- a real server on a loopback port ----------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, database_url, extra_env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.extra_env = extra_env or {}
        self.proc = None

    def start(self):
        env = dict(os.environ, DATABASE_URL=self.database_url, PORT=str(self.port),
                   HOST="127.0.0.1", SECRET_KEY="live-test-secret", RATELIMIT_ENABLED="0",
                   YISHI_INSTANCE=str(ROOT / "instance"), **self.extra_env)
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "wsgi.py")], env=env, cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        import urllib.request

        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("live server died: " + self.proc.stderr.read().decode()[-2000:])
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("live server did not start in 30 s")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture()
def live_server(app, db, database_url):
    server = LiveServer(database_url).start()
    yield server
    server.stop()


# -- Chromium through Playwright ----------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (make test installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture()
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  base_url=live_server.url)
    page = context.new_page()
    yield page
    context.close()
