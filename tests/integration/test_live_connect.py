"""The /live namespace on a real server: anonymous clients are refused; session or token admitted."""
import re

import pytest
import requests
import socketio

from tests.conftest import PASSWORD

pytestmark = pytest.mark.live


def connect(url, **kwargs):
    client = socketio.Client(reconnection=False)
    client.connect(url, namespaces=["/live"], transports=["websocket"], wait_timeout=10, **kwargs)
    return client


def refusal(url, **kwargs):
    """Connect and be refused: what the refusal said (the `err` a browser's connect_error gets)."""
    client = socketio.Client(reconnection=False)
    said = []
    client.on("connect_error", lambda data=None: said.append(data), namespace="/live")
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(url, namespaces=["/live"], transports=["websocket"], wait_timeout=10, **kwargs)
    assert said, "the refusal carried nothing"
    return said[0]


def test_anonymous_is_refused_as_not_authenticated(live_server):
    said = refusal(live_server.url)
    # room.js reads err.data.code (and shows err.data.message with a link to the login page).
    assert said["message"] == "not_authenticated"
    assert said["data"]["code"] == "not_authenticated" and said["data"]["message"]


def test_wrong_token_is_refused_as_not_authenticated(live_server):
    assert refusal(live_server.url, auth={"token": "not-a-token"})["data"]["code"] == "not_authenticated"


def test_token_is_admitted(live_server, make):
    user = make.user(make.community())
    response = requests.post(live_server.url + "/api/v1/auth/token",
                             json={"phone": user.phone, "password": PASSWORD}, timeout=10)
    client = connect(live_server.url, auth={"token": response.json()["token"]})
    try:
        assert client.connected and "/live" in client.namespaces
    finally:
        client.disconnect()


def test_browser_session_is_admitted(live_server, make):
    user = make.user(make.community())
    http = requests.Session()
    # CSRF is on in the real server: log in the way a browser does, with the form's token.
    form = http.get(live_server.url + "/auth/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = http.post(live_server.url + "/auth/login", allow_redirects=False,
                         data={"phone": user.phone, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    client = connect(live_server.url, headers={"Cookie": cookie})
    try:
        assert client.connected
    finally:
        client.disconnect()
