"""Fixtures of the live-room tests: the session's real server, and recording clients."""
import pytest

from tests.integration.live_helpers import Clients


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
