"""Login throttling (Flask-Limiter): guessing passwords stops after LOGIN_RATE_LIMIT tries.

The test config raises the limit so other tests can log in freely; here it is lowered to 3 a
minute. The same limit guards the login form, the activation form and the API's token endpoint,
and it counts per client address — from X-Forwarded-For only when a proxy is trusted.
"""
import pytest

from tests.conftest import PASSWORD

LIMIT = 3


@pytest.fixture()
def throttled(app, db):
    from app.extensions import limiter

    before = app.config["LOGIN_RATE_LIMIT"]
    app.config["LOGIN_RATE_LIMIT"] = f"{LIMIT} per minute"
    limiter.reset()
    yield app
    app.config["LOGIN_RATE_LIMIT"] = before
    limiter.reset()


def wrong_login(client, user, **environ):
    return client.post("/auth/login", data={"phone": user.phone, "password": "not-the-password"},
                       environ_base=environ)


def test_the_login_form_stops_a_password_guesser(throttled, client, make):
    user = make.user(make.community())
    assert [wrong_login(client, user).status_code for _ in range(LIMIT)] == [401] * LIMIT
    response = wrong_login(client, user)
    assert response.status_code == 429
    assert "操作过于频繁，请稍后再试。" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    # Even the right password waits now: the throttle does not tell a guess that hit.
    right = client.post("/auth/login", data={"phone": user.phone, "password": PASSWORD})
    assert right.status_code == 429
    assert client.get("/auth/me").status_code == 302   # not logged in


def test_the_api_token_endpoint_is_throttled_too(throttled, client, make):
    user = make.user(make.community())
    statuses = [client.post("/api/v1/auth/token", json={"phone": user.phone, "password": "guess"}).status_code
                for _ in range(LIMIT + 1)]
    assert statuses == [401] * LIMIT + [429]
    body = client.post("/api/v1/auth/token", json={"phone": user.phone, "password": PASSWORD}).get_json()
    assert body == {"error": {"code": "rate_limited", "message": "操作过于频繁，请稍后再试。"}}


def test_activation_codes_cannot_be_guessed_quickly(throttled, client, make):
    user = make.user(make.community(), password=None)
    statuses = [client.post("/auth/activate", data={"phone": user.phone, "code": f"WRONG{i:03d}",
                                                    "password": "newpassword1", "confirm": "newpassword1"}
                            ).status_code for i in range(LIMIT + 1)]
    assert statuses[-1] == 429 and 429 not in statuses[:-1]


def test_another_address_has_its_own_allowance(throttled, client, make):
    user = make.user(make.community())
    for _ in range(LIMIT + 1):
        wrong_login(client, user, REMOTE_ADDR="198.51.100.1")
    assert wrong_login(client, user, REMOTE_ADDR="198.51.100.1").status_code == 429
    assert wrong_login(client, user, REMOTE_ADDR="198.51.100.2").status_code == 401


def test_a_forged_forwarded_for_does_not_reset_the_count(throttled, client, make):
    """With no trusted proxy (TRUSTED_PROXIES=0), X-Forwarded-For is the client's word: ignored."""
    user = make.user(make.community())
    for _ in range(LIMIT):
        wrong_login(client, user)
    for i in range(3):
        response = client.post("/auth/login", data={"phone": user.phone, "password": "x"},
                               headers={"X-Forwarded-For": f"203.0.113.{i}"})
        assert response.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(database_url, db, make):
    """With TRUSTED_PROXIES=1 (nginx in front), each forwarded client address has its own count."""
    from app import create_app
    from app.extensions import limiter

    proxied = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                          "LOGIN_RATE_LIMIT": f"{LIMIT} per minute", "TRUSTED_PROXIES": 1})
    limiter.reset()
    user = make.user(make.community())
    client = proxied.test_client()

    def attempt(address):
        # nginx appends the address it saw to the header: the app takes the last one.
        return client.post("/auth/login", data={"phone": user.phone, "password": "x"},
                           headers={"X-Forwarded-For": f"192.0.2.9, {address}"}).status_code

    assert [attempt("198.51.100.7") for _ in range(LIMIT + 1)] == [401] * LIMIT + [429]
    assert attempt("198.51.100.8") == 401
    limiter.reset()
