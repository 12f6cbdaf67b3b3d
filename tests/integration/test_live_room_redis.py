"""Two server processes share one room through Redis (the Socket.IO message queue)."""
import os

import pytest

from tests.conftest import LiveServer
from tests.integration.live_helpers import Clients, Meeting

pytestmark = pytest.mark.live


def redis_url():
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: no Redis to share a room between two processes "
                    "(e.g. TEST_REDIS_URL=redis://127.0.0.1:6379/5)")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
        pytest.skip(f"Redis at {url} is not reachable: {exc}")
    return url


@pytest.fixture(scope="module")
def servers(app, database_url):
    env = {"SOCKETIO_MESSAGE_QUEUE": redis_url()}
    first = LiveServer(database_url, extra_env=env).start()
    second = LiveServer(database_url, extra_env=env).start()
    yield first, second
    first.stop()
    second.stop()


def test_one_room_across_two_processes(servers, make, db):
    first, second = servers
    room = Meeting(make, db)
    room.start(db)
    clients = Clients(first.url, db)
    try:
        chair = clients(room.chair, url=first.url)
        member = clients(room.members[0], url=second.url)
        assert chair.join(room.id)["ok"]
        state = member.join(room.id)["state"]   # the other process reads the same database
        assert state["meeting"]["state"] == "live"
        # Presence noticed by process 2 reaches the chair on process 1.
        data = chair.wait_for("presence_changed", lambda d: str(room.members[0].id) in d["present"])
        assert data["quorum"]["present"] == 2
        # The chair's command on process 1 reaches the member on process 2.
        assert chair.call("next_item", meeting_id=room.id)["ok"]
        assert member.wait_for("item_changed")["index"] == 1
        assert member.call("raise_hand", meeting_id=room.id)["ok"]
        assert chair.wait_for("speakers_changed")["speakers"][0]["name"] == "成员0"
        assert member.call("chat", meeting_id=room.id, text="两个进程，一个会议室")["ok"]
        assert chair.wait_for("chat_posted")["message"]["text"] == "两个进程，一个会议室"
        # A third client on process 1 joining later sees everything at once.
        late = clients(room.members[1], url=first.url).join(room.id)["state"]
        assert late["current_item"] == 1 and late["speakers"][0]["name"] == "成员0"
    finally:
        clients.close()
