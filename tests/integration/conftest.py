"""Fixtures of the live-room tests: the session's real server, recording clients, and two servers
sharing a private Redis (which a test may kill and restart)."""
import shutil

import pytest

from tests.conftest import LiveServer
from tests.integration.live_helpers import Clients, PrivateRedis


@pytest.fixture()
def server(live_server):
    """`python wsgi.py` (gevent) on a loopback port: the session's live server."""
    return live_server


@pytest.fixture()
def clients(server, db):
    """Open python-socketio clients with `clients(user)`; all are closed after the test."""
    opened = Clients(server.url, db)
    yield opened
    opened.close()


@pytest.fixture()
def private_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed: the Redis restart tests need their own server "
                    "(apt-get install redis-server)")
    server = PrivateRedis(tmp_path).start()
    yield server
    server.kill()


@pytest.fixture()
def two_servers(private_redis, app, db, database_url):
    """Two `wsgi.py` processes on the test's database, with the private Redis as their queue."""
    env = {"SOCKETIO_MESSAGE_QUEUE": private_redis.url}
    first = LiveServer(database_url, extra_env=env).start()
    second = LiveServer(database_url, extra_env=env).start()
    yield first, second
    first.stop()
    second.stop()
