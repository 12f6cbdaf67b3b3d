"""The login throttle (app/auth/throttle.py): a hall behind one address logs in, guessing does not.

Per account: LOGIN_LIMIT_PER_ACCOUNT wrong passwords (or activation codes) for one phone number
make that account wait, longer with each further failure; the right password waits too. Per client
address only rates no hall reaches: LOGIN_LIMIT_PER_ADDRESS failures, LOGIN_ATTEMPTS_PER_ADDRESS
attempts — from X-Forwarded-For only when a proxy is trusted. The form, the activation form and
the API's token endpoint alike.
"""
import time

import pytest

from tests.conftest import PASSWORD, _password_hash
from tests.security import test_csrf

HALL = "203.0.113.50"   # one Wi-Fi, one address
csrf_app = test_csrf.csrf_app   # the fixture: an app of its own with CSRF on, as in production


def send(client, method, url, address=HALL, **kwargs):
    """One request in its own application context, as in production: the test's own context
    would otherwise carry `g` (and with it the logged-in user) from one request to the next."""
    kwargs.setdefault("environ_base", {"REMOTE_ADDR": address})
    with client.application.app_context():
        return client.open(url, method=method, **kwargs)


def post_login(client, phone, password, address=HALL, **kwargs):
    return send(client, "POST", "/auth/login", address, data={"phone": phone, "password": password},
                **kwargs)


def get_token(client, phone, password, address=HALL):
    return send(client, "POST", "/api/v1/auth/token", address, json={"phone": phone, "password": password})


def wrong_login(client, user, address=HALL):
    return post_login(client, user.phone, "not-the-password", address)


def residents(db, community, count):
    """`count` verified residents in one commit (the factory commits each one)."""
    from app.auth.models import User, UserState

    users = [User(phone=f"139{i:08d}", name=f"居民{i}", community=community, state=UserState.VERIFIED,
                  password_hash=_password_hash(PASSWORD)) for i in range(count)]
    db.session.add_all(users)
    db.session.commit()
    return users


class Clock:
    """time.time() for the throttle and the limiter's memory storage, moved on at will."""

    def __init__(self):
        self.offset = 0.0

    def time(self):
        return time.time() + self.offset

    def advance(self, seconds):
        self.offset += seconds


@pytest.fixture()
def clock(monkeypatch):
    import limits.storage.memory

    from app.auth import throttle

    fake = Clock()
    monkeypatch.setattr(limits.storage.memory, "time", fake)
    monkeypatch.setattr(throttle, "time", fake)
    return fake


@pytest.fixture()
def configured(app, db):
    """Sets configuration for one test and puts it back."""
    saved = {}

    def configure(**values):
        for key, value in values.items():
            saved.setdefault(key, app.config[key])
            app.config[key] = value

    yield configure
    app.config.update(saved)


def message(response):
    return response.get_data(as_text=True)


# -- a hall ----------------------------------------------------------------------------------

def test_300_residents_behind_one_address_all_log_in(app, db, make):
    """Every fifth one mistypes the password first: 360 attempts, 60 of them wrong, well within
    a minute from one address: nobody is refused."""
    people = residents(db, make.community(), 300)
    statuses = []
    for i, person in enumerate(people):
        client = app.test_client()
        if i % 5 == 0:
            statuses.append(post_login(client, person.phone, "mistyped").status_code)
        statuses.append(post_login(client, person.phone, PASSWORD).status_code)
        if i % 30 == 29:   # the redirect is the login; now and then the profile proves it
            assert send(client, "GET", "/auth/me").status_code == 200
    assert statuses.count(302) == 300 and statuses.count(401) == 60 and 429 not in statuses


def test_300_residents_behind_one_address_log_in_as_their_browsers_do(csrf_app, db, make):
    """The form as a browser fills it in (CSRF on, as in production: each one's own session and
    token), all from the hall's address, every tenth mistyping first: all 300 are in, none
    refused. (bench/login.py does the same against a live server while a room is live.)"""
    people = residents(db, make.community(), 300)
    statuses = []
    for i, person in enumerate(people):
        browser = csrf_app.test_client()
        environ = {"REMOTE_ADDR": HALL}
        if i % 10 == 0:
            statuses.append(browser.post("/auth/login", environ_base=environ, data={
                "phone": person.phone, "password": "mistyped", "csrf_token": browser.token()}).status_code)
        statuses.append(browser.post("/auth/login", environ_base=environ, data={
            "phone": person.phone, "password": PASSWORD, "csrf_token": browser.token()}).status_code)
        if i % 50 == 49:
            assert browser.get("/auth/me").status_code == 200
    assert statuses.count(302) == 300 and statuses.count(401) == 30 and 429 not in statuses


def test_300_api_tokens_behind_one_address(app, db, make):
    people = residents(db, make.community(), 300)
    client = app.test_client()
    assert [get_token(client, p.phone, PASSWORD).status_code for p in people] == [201] * 300


# -- guessing one account --------------------------------------------------------------------

def test_guessing_one_account_makes_it_wait_and_the_page_says_how_long(client, make):
    user = make.user(make.community())
    assert [wrong_login(client, user).status_code for _ in range(4)] == [401] * 4
    fifth = wrong_login(client, user)
    assert fifth.status_code == 429
    assert "密码错误次数过多，请 1 分钟后再试" in message(fifth)
    assert 'name="phone"' in message(fifth)   # the form stays on the page
    assert 59 <= int(fifth.headers["Retry-After"]) <= 60   # whole seconds, read a moment later
    # Even the right password waits now: the throttle does not tell a guess that hit.
    right = post_login(client, user.phone, PASSWORD)
    assert right.status_code == 429 and "请 1 分钟后再试" in message(right)
    assert send(client, "GET", "/auth/me").status_code == 302   # not logged in


def test_another_account_from_the_same_address_logs_in_meanwhile(app, client, make):
    community = make.community()
    target, neighbour = make.user(community), make.user(community)
    for _ in range(6):
        wrong_login(client, target)
    assert wrong_login(client, target).status_code == 429
    other = app.test_client()
    assert post_login(other, neighbour.phone, PASSWORD).status_code == 302


def test_the_wait_grows_is_capped_and_a_success_resets_the_count(client, make, clock, configured):
    configured(LOGIN_ACCOUNT_MAX_WAIT_SECONDS=180)
    user = make.user(make.community())
    waits = []
    for _ in range(4):
        get_token(client, user.phone, "guess")
    for _ in range(4):
        response = get_token(client, user.phone, "guess")
        assert response.status_code == 429
        waits.append(response.get_json()["error"]["details"]["retry_after"])
        clock.advance(waits[-1] - 1)
        # Not over yet: refused without counting.
        assert get_token(client, user.phone, PASSWORD).status_code == 429
        clock.advance(2)
    assert waits == [60, 120, 180, 180]
    assert "请 3 分钟后再试" in message(wrong_login(client, user))
    clock.advance(181)
    assert post_login(client, user.phone, PASSWORD).status_code == 302
    send(client, "POST", "/auth/logout")
    # A success starts the count afresh: four wrong passwords again before any wait.
    assert [wrong_login(client, user).status_code for _ in range(4)] == [401] * 4


def test_a_wait_holds_for_a_number_that_does_not_exist(client, make):
    """Unknown numbers are counted alike, so the throttle tells nobody which numbers exist."""
    statuses = [post_login(client, "13912345678", "guess").status_code for _ in range(6)]
    assert statuses == [401] * 4 + [429] * 2


def test_the_api_token_endpoint_waits_per_account_too(app, client, make):
    community = make.community()
    user, neighbour = make.user(community), make.user(community)

    assert [get_token(client, user.phone, "guess").status_code for _ in range(4)] == [401] * 4
    response = get_token(client, user.phone, "guess")
    assert response.status_code == 429 and response.headers["Retry-After"] == "60"
    body = response.get_json()["error"]
    assert body["code"] == "login_wait" and body["details"] == {"retry_after": 60}
    assert body["message"] == "密码错误次数过多，请 1 分钟后再试。"
    right = get_token(client, user.phone, PASSWORD)
    assert right.status_code == 429 and right.get_json()["error"]["code"] == "login_wait"
    assert get_token(client, neighbour.phone, PASSWORD).status_code == 201


def test_the_api_and_the_form_count_the_same_failures(client, make):
    user = make.user(make.community())
    for _ in range(3):
        wrong_login(client, user)
    for _ in range(2):
        get_token(client, user.phone, "guess", address="198.51.100.3")
    assert post_login(client, user.phone, PASSWORD).status_code == 429


def test_activation_codes_wait_per_account_and_the_hall_still_activates(app, client, make):
    community = make.community()
    guessed, neighbour = make.user(community, password=None), make.user(community, password=None)
    codes = {}
    for person in (guessed, neighbour):
        codes[person.id] = person.new_activation_code()
    make.db.session.commit()

    def activate(person, code, http=client):
        return send(http, "POST", "/auth/activate", data={
            "phone": person.phone, "code": code, "password": "newpassword1", "confirm": "newpassword1"})

    statuses = [activate(guessed, f"WRONG{i:03d}").status_code for i in range(5)]
    assert statuses == [422] * 4 + [429]
    refused = activate(guessed, codes[guessed.id])
    assert refused.status_code == 429 and "激活码错误次数过多，请 1 分钟后再试" in message(refused)
    assert activate(neighbour, codes[neighbour.id], app.test_client()).status_code == 302


# -- per address ---------------------------------------------------------------------------

def test_failures_from_one_address_stop_at_the_configured_rate(app, client, make, configured):
    """A guesser spreading over many accounts meets the limit per address; successes from the
    same address do not count towards it."""
    configured(LOGIN_LIMIT_PER_ADDRESS="3 per minute")
    people = residents(make.db, make.community(), 8)
    for person in people[:5]:
        assert post_login(app.test_client(), person.phone, PASSWORD).status_code == 302
    assert [wrong_login(client, p).status_code for p in people[5:8]] == [401] * 3
    blocked = post_login(client, people[0].phone, PASSWORD)
    assert blocked.status_code == 429
    assert "操作过于频繁，请稍后再试。" in message(blocked)
    assert int(blocked.headers["Retry-After"]) > 0
    assert wrong_login(client, people[0], address="198.51.100.2").status_code == 401


def test_all_attempts_from_one_address_stop_at_the_configured_rate(app, client, make, configured):
    configured(LOGIN_ATTEMPTS_PER_ADDRESS="5 per minute")
    people = residents(make.db, make.community(), 6)
    statuses = [post_login(app.test_client(), p.phone, PASSWORD).status_code for p in people]
    assert statuses == [302] * 5 + [429]
    api = get_token(client, people[0].phone, PASSWORD)
    assert api.status_code == 201   # the API endpoint has its own allowance


def test_the_api_answers_429_json_per_address(client, make, configured):
    configured(LOGIN_LIMIT_PER_ADDRESS="2 per minute")
    people = residents(make.db, make.community(), 3)
    for person in people[:2]:
        get_token(client, person.phone, "guess")
    response = get_token(client, people[2].phone, PASSWORD)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert response.get_json() == {"error": {"code": "rate_limited", "message": "操作过于频繁，请稍后再试。"}}


def test_a_forged_forwarded_for_does_not_reset_the_count(client, make, configured):
    """With no trusted proxy (TRUSTED_PROXIES=0), X-Forwarded-For is the client's word: ignored."""
    configured(LOGIN_LIMIT_PER_ADDRESS="3 per minute")
    people = residents(make.db, make.community(), 6)
    for person in people[:3]:
        wrong_login(client, person)
    for i, person in enumerate(people[3:]):
        response = post_login(client, person.phone, "x", headers={"X-Forwarded-For": f"203.0.113.{i}"})
        assert response.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(database_url, db, make):
    """With TRUSTED_PROXIES=1 (nginx in front), each forwarded client address has its own count."""
    from app import create_app
    from app.extensions import limiter

    proxied = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                          "LOGIN_LIMIT_PER_ADDRESS": "3 per minute", "TRUSTED_PROXIES": 1})
    limiter.reset()
    people = residents(db, make.community(), 5)
    client = proxied.test_client()

    def attempt(person, address):
        # nginx appends the address it saw to the header: the app takes the last one.
        return send(client, "POST", "/auth/login", environ_base={}, data={"phone": person.phone, "password": "x"},
                    headers={"X-Forwarded-For": f"192.0.2.9, {address}"}).status_code

    assert [attempt(p, "198.51.100.7") for p in people[:4]] == [401] * 3 + [429]
    assert attempt(people[4], "198.51.100.8") == 401
    limiter.reset()


# -- shared storage --------------------------------------------------------------------------

def test_processes_sharing_redis_share_the_count(app, client, make, monkeypatch):
    """RATELIMIT_STORAGE_URI=redis://...: failures counted by one process make the account wait
    in every other (two storages on their own connections stand for two processes)."""
    redis = pytest.importorskip("redis")
    from limits.storage import RedisStorage

    from app.auth import throttle

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"yishi-throttle-test-{time.time_ns()}"
    stores = [RedisStorage(url, key_prefix=prefix), RedisStorage(url, key_prefix=prefix)]
    turn = iter(range(100))
    monkeypatch.setattr(throttle, "_storage", lambda: stores[next(turn) % 2])
    try:
        user = make.user(make.community())
        statuses = [wrong_login(client, user).status_code for _ in range(5)]
        assert statuses == [401] * 4 + [429]
        response = post_login(client, user.phone, PASSWORD)
        assert response.status_code == 429
        assert 58 <= int(response.headers["Retry-After"]) <= 60
    finally:
        stores[0].reset()
