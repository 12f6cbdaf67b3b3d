"""Fixtures of the live-room tests: one real server per test module, and recording clients."""
import pytest

from tests.conftest import LiveServer
from tests.integration.live_helpers import Clients


@pytest.fixture(scope="module")
def server(app, database_url):
    """`python wsgi.py` (gevent) on a loopback port, shared by the tests of one module."""
    live = LiveServer(database_url).start()
    yield live
    live.stop()


@pytest.fixture()
def clients(server, db):
    """Open python-socketio clients with `clients(user)`; all are closed after the test."""
    opened = Clients(server.url, db)
    yield opened
    opened.close()
