"""The notice board's page cache on Flask-Caching: in the process by default, in Redis (shared by
every process) when CACHE_REDIS_URL is set, with the same keys and invalidation either way."""
import os
import uuid

import pytest

from app import cache_config
from app.extensions import cache
from app.proposals import operations as proposals
from app.proposals import drafts
from tests.integration import test_notice_board as notice_board

REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"  # keys under a private prefix
board = notice_board.board        # the fixture: two communities with something of every kind
settled = notice_board.settled    # autouse there: lets background broadcasts finish
IN_PROCESS = "app.core.cache.InProcessCache"
BASE = {"CACHE_KEY_PREFIX": "y:", "CACHE_THRESHOLD": 1000}


@pytest.mark.parametrize(("config", "kind"), [
    (BASE, IN_PROCESS),
    (BASE | {"CACHE_REDIS_URL": ""}, IN_PROCESS),
    (BASE | {"CACHE_REDIS_URL": REDIS_URL}, "RedisCache"),
])
def test_redis_is_used_when_configured_and_the_process_otherwise(config, kind):
    chosen = cache_config(config)
    assert chosen["CACHE_TYPE"] == kind and chosen["CACHE_KEY_PREFIX"] == "y:"


@pytest.fixture()
def redis_cache(app):
    redis = pytest.importorskip("redis").Redis.from_url(REDIS_URL)
    try:
        redis.ping()
    except Exception:  # noqa: BLE001
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"yishi-test-{uuid.uuid4().hex[:8]}:"
    cache.init_app(app, config=cache_config(app.config | {"CACHE_REDIS_URL": REDIS_URL,
                                                           "CACHE_KEY_PREFIX": prefix}))
    yield lambda: sorted(k.decode() for k in redis.scan_iter(prefix + "*"))
    for key in redis.scan_iter(prefix + "*"):
        redis.delete(key)
    cache.init_app(app, config=cache_config(app.config))


def test_pages_kept_in_redis_are_served_until_the_board_changes(client, board, db, redis_cache):
    first = client.get("/notice/")
    assert first.status_code == 200
    kept = redis_cache()
    # The pages are shared by every process; the anonymous frame (no data in it) stays in each.
    assert any(":notice:page:" in k for k in kept) and not any(":notice:frame:" in k for k in kept)
    again = client.get("/notice/")
    assert again.headers["ETag"] == first.headers["ETag"]

    fresh = drafts.create_draft(board.author, board.c, title="东门停车位重新划线", category="停车交通",
                                   problem="东门附近停车位的线已经看不清了。", suggestion="重新划线。")
    proposals.publish(board.author, fresh)
    db.session.commit()
    changed = client.get("/notice/", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "东门停车位重新划线" in changed.get_data(as_text=True)


def test_a_cache_that_is_down_costs_a_render_not_the_page(app, client, board):
    cache.init_app(app, config=cache_config(app.config | {"CACHE_REDIS_URL": "redis://127.0.0.1:1/0"}))
    try:
        response = client.get("/notice/")
        assert response.status_code == 200 and board.p_parking.title in response.get_data(as_text=True)
    finally:
        cache.init_app(app, config=cache_config(app.config))
