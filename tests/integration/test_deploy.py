"""The production set-up in deploy/, exercised where this machine can run it.

- gunicorn with deploy/gunicorn.conf.py (one gevent worker) serves pages and Socket.IO WebSockets;
- nginx with deploy/nginx/yishi.conf's upstream (ip_hash) and yishi-proxy.conf in front of two
  such processes: pages, static files from disk, the WebSocket upgrade, long-polling, and the
  login throttle keyed on the real client address (a forged X-Forwarded-For changes nothing);
- the systemd units pass `systemd-analyze verify`.

nginx and systemd-analyze are optional here: their tests skip with the reason when absent.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import requests
import socketio

from tests.conftest import ROOT, free_port
from tests.integration.live_helpers import token

pytestmark = pytest.mark.live
DEPLOY = ROOT / "deploy"


class Gunicorn:
    """One production-style process: gunicorn -c deploy/gunicorn.conf.py wsgi:app."""

    def __init__(self, database_url, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, DATABASE_URL=database_url, BIND=f"127.0.0.1:{self.port}",
                        SECRET_KEY="deploy-test-secret", YISHI_INSTANCE=str(ROOT / "instance"),
                        LOG_LEVEL="warning", **env)
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"), "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for(self.url + "/healthz", self.proc)
        return self

    def stop(self, graceful=True):
        if self.proc and self.proc.poll() is None:
            # SIGTERM is what systemd sends (finish open requests); SIGQUIT stops at once.
            self.proc.send_signal(signal.SIGTERM if graceful else signal.SIGQUIT)
            try:
                self.proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_for(url, proc, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} died: " + proc.stderr.read().decode()[-2000:])
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {seconds} s")


BACKEND_ENV = {"TRUSTED_PROXIES": "1", "LOGIN_LIMIT_PER_ADDRESS": "3 per minute", "RATELIMIT_ENABLED": "1"}


@pytest.fixture(scope="module")
def backend(app, database_url):
    server = Gunicorn(database_url, **BACKEND_ENV).start()
    yield server
    server.stop(graceful=False)


@pytest.fixture(scope="module")
def backends(backend, database_url):
    """Two processes behind nginx (the second one started only where nginx runs)."""
    second = Gunicorn(database_url, **BACKEND_ENV).start()
    yield [backend, second]
    second.stop(graceful=False)


def socket_call(url, raw_token, transport):
    client = socketio.Client(reconnection=False)
    client.connect(url, namespaces=["/live"], transports=[transport], auth={"token": raw_token},
                   wait_timeout=10)
    try:
        assert client.transport() == transport
        return client.call("join", {"meeting_id": 999999}, namespace="/live", timeout=10)
    finally:
        client.disconnect()


def test_gunicorn_serves_pages_and_websockets(backend, make, db):
    server = backend
    assert requests.get(server.url + "/", timeout=10).status_code == 200
    raw = token(db, make.user(make.community()))
    # The command reached a handler with a database behind it: a refusal names the meeting.
    ack = socket_call(server.url, raw, "websocket")
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"


def test_gunicorn_stops_cleanly_on_sigterm(app, database_url):
    server = Gunicorn(database_url).start()
    started = time.time()
    server.stop()
    assert server.proc.returncode == 0 and time.time() - started < 20


# -- nginx in front ----------------------------------------------------------------------------

def nginx_config(tmp, port, backend_ports):
    site = (DEPLOY / "nginx" / "yishi.conf").read_text()
    upstream = re.search(r"^upstream yishi \{.*?^\}", site, re.S | re.M).group(0)
    upstream = upstream.replace("127.0.0.1:8001", f"127.0.0.1:{backend_ports[0]}")
    upstream = upstream.replace("127.0.0.1:8002", f"127.0.0.1:{backend_ports[1]}")
    upgrade_map = re.search(r"^map \$http_upgrade .*?^\}", site, re.S | re.M).group(0)
    proxy = (DEPLOY / "nginx" / "yishi-proxy.conf").read_text()
    proxy = proxy.replace("/srv/yishi/app/static/", f"{ROOT}/app/static/")
    (tmp / "yishi-proxy.conf").write_text(proxy)
    user = "user root;" if os.geteuid() == 0 else ""
    temps = "\n".join(f"{name}_temp_path {tmp}/{name};" for name in
                      ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""
{user}
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    {temps}
    types {{ text/css css; application/javascript js; }}
    {upstream}
    {upgrade_map}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        include {tmp}/yishi-proxy.conf;
    }}
}}
"""


@pytest.fixture(scope="module")
def nginx_binary():
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not binary:
        pytest.skip("nginx is not installed (apt-get install nginx): the proxy config is not exercised")
    return binary


@pytest.fixture(scope="module")
def nginx(nginx_binary, backends, tmp_path_factory):
    binary = nginx_binary
    tmp = tmp_path_factory.mktemp("nginx")
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(nginx_config(tmp, port, [b.port for b in backends]))
    check = subprocess.run([binary, "-t", "-p", str(tmp), "-c", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([binary, "-p", str(tmp), "-c", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    wait_for(url + "/healthz", proc, seconds=10)
    yield url
    proc.send_signal(signal.SIGQUIT)   # graceful shutdown
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_nginx_serves_pages_and_static_files(nginx):
    page = requests.get(nginx + "/", timeout=10)
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    css = requests.get(nginx + "/static/css/app.css", timeout=10)
    assert css.status_code == 200 and css.content == (ROOT / "app/static/css/app.css").read_bytes()
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert "public" in css.headers["Cache-Control"]   # from disk, not from the app


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_socketio_through_nginx(nginx, make, db, transport):
    raw = token(db, make.user(make.community()))
    ack = socket_call(nginx, raw, transport)
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"


def test_login_throttle_sees_the_client_not_the_proxy_and_ignores_forged_addresses(nginx, make, db):
    """Wrong passwords for different accounts from one client: the failures per address
    (LOGIN_LIMIT_PER_ADDRESS, 3 here) are counted for the client, whatever it claims."""
    community = make.community()
    users = iter([make.user(community) for _ in range(5)])
    session = requests.Session()

    def attempt(**headers):
        form = session.get(nginx + "/auth/login", timeout=10).text
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        return session.post(nginx + "/auth/login", headers=headers, timeout=10, allow_redirects=False,
                            data={"phone": next(users).phone, "password": "wrong-password",
                                  "csrf_token": csrf})

    statuses = [attempt().status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    assert attempt().status_code == 429
    # nginx appends the real address to whatever the client claims; the app trusts only the last.
    assert attempt(**{"X-Forwarded-For": "203.0.113.9"}).status_code == 429


# -- systemd --------------------------------------------------------------------------------------

def test_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed: the units are not checked")
    for unit in (DEPLOY / "systemd").iterdir():
        name = "yishi@8001.service" if unit.name == "yishi@.service" else unit.name
        text = unit.read_text().replace("/srv/yishi/.venv/bin/", f"{Path(sys.executable).parent}/")
        (tmp_path / name).write_text(text.replace("/srv/yishi", str(ROOT)))
    names = sorted(str(p) for p in tmp_path.iterdir())
    result = subprocess.run([analyze, "verify", "--man=no", *names], capture_output=True, text=True,
                            cwd=tmp_path)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "yishi" in line and "Unit is bound to inactive unit" not in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr


def test_a_server_process_keeps_what_start_up_made_out_of_the_collectors_full_passes(database_url):
    # wsgi.py is what both `python wsgi.py` and gunicorn's worker import.
    env = dict(os.environ, DATABASE_URL=database_url, YISHI_INSTANCE=str(ROOT / "instance"))
    result = subprocess.run([sys.executable, "-c", "import gc, wsgi; print(gc.get_freeze_count())"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.split()[-1]) > 100_000


# A server process with one request served on a kept-alive connection: what it loaded, and what
# the connection's handler still holds while it waits for the next request.
_SERVING = """
import sys, http.client, gevent, wsgi
from gevent import pywsgi
handlers = []
class Handler(wsgi.NoDelayHandler):
    def __init__(self, *args):
        super().__init__(*args)
        handlers.append(self)
server = pywsgi.WSGIServer(("127.0.0.1", 0), wsgi.app, handler_class=Handler, log=None)
server.start()
connection = http.client.HTTPConnection("127.0.0.1", server.server_port)
connection.request("GET", "/healthz")
status = connection.getresponse().status
gevent.sleep(0.1)
print(status, sorted(m for m in ("alembic", "flask_migrate", "psycopg2") if m in sys.modules),
      gevent.config.track_greenlet_tree, handlers[0].environ is None, handlers[0].response_headers is None)
"""


def test_a_server_process_loads_no_migration_tools_and_forgets_a_kept_alive_connections_last_request(
        database_url):
    env = dict(os.environ, DATABASE_URL=database_url, YISHI_INSTANCE=str(ROOT / "instance"))
    result = subprocess.run([sys.executable, "-c", _SERVING], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    driver = "['psycopg2']" if database_url.startswith("postgres") else "[]"
    assert result.stdout.split("\n")[-2] == f"200 {driver} False True True"
