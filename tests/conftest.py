"""Shared fixtures: the app on SQLite (or PostgreSQL with YISHI_TEST_DB=postgres), factories, a live server."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "password123"


def pytest_configure(config):
    # The compiled catalogues are built by `make setup`; a run straight from a checkout builds
    # them too, so the English pages the tests read are never silently the Chinese source.
    from app.core.catalogue import compile_all

    compile_all(only_stale=True)


def pytest_report_header(config):
    return f"database: {database_kind()}"


def pytest_collection_modifyitems(items):
    """Chromium tests first, then those with live servers, then the rest (each group in its usual
    order). Under `pytest -n 2 --dist loadfile --no-loadscope-reorder` (make test) the long files
    start early and the many short ones even out the end; without workers nothing else changes."""
    def group(item):
        return 0 if item.get_closest_marker("e2e") else 1 if item.get_closest_marker("live") else 2

    items.sort(key=group)


def database_kind():
    return "postgres" if os.environ.get("YISHI_TEST_DB") == "postgres" else "sqlite"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if database_kind() == "postgres":
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            pytest.skip("YISHI_TEST_DB=postgres needs TEST_DATABASE_URL")
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        if worker:   # pytest -n: each worker empties its tables after every test, so each has its own
            own = _worker_database(url, worker)
            yield _without_waiting_for_the_disk(own)
            _drop_worker_database(url, own)
            return
        yield _without_waiting_for_the_disk(url)
        return
    yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def _without_waiting_for_the_disk(url):
    # Tests commit after every factory call: do not wait for the disk on each (a killed
    # client still loses nothing committed; only a crash of PostgreSQL itself could).
    return url + ("&" if "?" in url else "?") + "options=-csynchronous_commit%3Doff"


def _admin_engine(url):
    from sqlalchemy import create_engine

    from app import normalise_database_url

    return create_engine(normalise_database_url(url), isolation_level="AUTOCOMMIT")


def _worker_database(url, worker):
    """TEST_DATABASE_URL's database name with the worker's id (test_gw0...), created when missing
    on the same server, with the same account (which may create databases)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = _admin_engine(url)
    try:
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_worker_database(url, own):
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    admin = _admin_engine(url)
    try:
        with admin.connect() as conn:   # FORCE: the app's pooled connections are still open
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(own).database}" WITH (FORCE)'))
    finally:
        admin.dispose()


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
    application.extensions["mailman"].outbox = []  # Flask-Mailman's locmem backend (TestConfig)
    reset_schema(application)
    return application


@pytest.fixture()
def db(app):
    """The database, emptied after the test (live servers commit from other processes)."""
    from app.core.mail import wait_until_sent
    from app.extensions import db as database
    from app.extensions import limiter

    ctx = app.app_context()
    ctx.push()
    limiter.reset()
    yield database
    database.session.rollback()
    database.session.remove()
    _empty_tables(database)
    wait_until_sent()  # a late message of this test must not land in the next one's outbox
    app.extensions["mailman"].outbox.clear()
    ctx.pop()


def _empty_tables(database):
    from sqlalchemy import text

    tables = [t.name for t in reversed(database.metadata.sorted_tables)]
    if database.engine.dialect.name == "postgresql":
        _empty_postgres_tables(database.engine, tables)
        return
    with database.engine.begin() as conn:
        for name in tables:
            conn.execute(text(f'DELETE FROM "{name}"'))


def _empty_postgres_tables(engine, tables):
    """What `TRUNCATE <all> RESTART IDENTITY CASCADE` does, at a fraction of its cost: TRUNCATE
    makes new files for each of the ~50 tables (0.2-0.8 s a test); a test fills only a few, and
    DELETE of a few small tables plus a reset of every sequence takes milliseconds."""
    from sqlalchemy import exc, text

    probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
    for attempt in range(5):
        try:
            with engine.begin() as conn:
                filled = {row[0] for row in conn.execute(text(probe))}
                for name in tables:   # children first: no foreign key is left pointing at a deleted row
                    if name in filled:
                        conn.execute(text(f'DELETE FROM "{name}"'))
                # Every sequence back to 1, as RESTART IDENTITY would (ids start at 1 in every test).
                conn.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) "
                                  "FROM pg_sequences WHERE schemaname = current_schema()"))
            return
        except exc.OperationalError as error:
            # A live server still writing what the test's last events started (a client that
            # left, a presence update) can deadlock with the deletes: it finishes, then again.
            if getattr(error.orig, "pgcode", None) != "40P01":   # deadlock_detected
                raise
            time.sleep(0.1 * (attempt + 1))
        except exc.IntegrityError:   # rows referring to each other across tables
            break
    with engine.begin() as conn:   # the sure way
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


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

def _close_websockets_without_waiting():
    """websocket-client (python-socketio's WebSocket transport) sends its close frame, then waits
    up to 3 s for the server's echo, which the gevent server often never sends: 3 s for every
    client that disconnects or is refused. The server learns of the close from the frame or the
    closed socket alike, so the tests' clients wait 0.1 s at most."""
    import websocket

    close = websocket.WebSocket.close
    if getattr(close, "quick", False):
        return

    def quick_close(self, status=websocket.STATUS_NORMAL, reason=b"", timeout=3):
        return close(self, status, reason, timeout=0.1 if timeout is None else min(timeout, 0.1))

    quick_close.quick = True
    websocket.WebSocket.close = quick_close


_close_websockets_without_waiting()


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
        self.proc = self.log = None

    def start(self, attempts=1):
        env = dict(os.environ, DATABASE_URL=self.database_url, PORT=str(self.port),
                   HOST="127.0.0.1", SECRET_KEY="live-test-secret", RATELIMIT_ENABLED="0",
                   YISHI_INSTANCE=str(ROOT / "instance"), **self.extra_env)
        # Its log goes to a file, not a pipe: nobody reads a pipe while the server runs, and a
        # server that lives through the session would block once the pipe's buffer is full.
        if self.log:   # a restart: the log of the killed process goes
            Path(self.log).unlink(missing_ok=True)
        fd, self.log = tempfile.mkstemp(prefix="yishi-live-", suffix=".log")
        os.close(fd)
        with open(self.log, "ab") as log:   # appends: the reads below never move its writes
            self.proc = subprocess.Popen([sys.executable, str(ROOT / "wsgi.py")], env=env, cwd=ROOT,
                                         stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.time() + 30
        import urllib.request

        while time.time() < deadline:
            if self.proc.poll() is not None:
                if "Address already in use" in self.log_tail() and attempts < 3:
                    # The free port was taken before the server bound it (pytest -n runs
                    # several sessions side by side): another one.
                    self.port = free_port()
                    self.url = f"http://127.0.0.1:{self.port}"
                    return self.start(attempts + 1)
                raise RuntimeError("live server died: " + self.log_tail())
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("live server did not start in 30 s")

    def log_size(self):
        return os.path.getsize(self.log)

    def log_tail(self, size=4000, start=0):
        with open(self.log, "rb") as log:
            log.seek(start)
            return log.read().decode(errors="replace")[-size:]

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
        if self.log:
            Path(self.log).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def shared_live_server(app, database_url):
    """One server for the whole session (it starts in ~3 s): what it keeps in memory is either
    keyed so that an emptied and refilled database cannot meet stale entries, or checked against
    the database on every request. Tests that need a server of their own (other settings, a kill)
    start a LiveServer themselves."""
    server = LiveServer(database_url, extra_env={"UPLOAD_DIR": app.config["UPLOAD_DIR"]}).start()
    yield server
    server.stop()


@pytest.fixture()
def live_server(shared_live_server, db, request):
    """The session's server, in front of the test's (emptied afterwards) database."""
    if shared_live_server.proc.poll() is not None:   # a test killed it: the next one gets a new one
        shared_live_server.start()
    request.node.live_log = (shared_live_server, shared_live_server.log_size())
    return shared_live_server


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that used the shared server shows what the server logged meanwhile."""
    outcome = yield
    report = outcome.get_result()
    live_log = getattr(item, "live_log", None)
    if live_log and report.failed:
        server, start = live_log
        if server.log and os.path.exists(server.log):
            report.sections.append(("live server log", server.log_tail(start=start)))


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
