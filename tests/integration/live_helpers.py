"""Helpers for the live-room tests: a meeting with its people, and recording Socket.IO clients."""
import queue
import shutil
import subprocess
import threading
import time
from datetime import timedelta

import redis
import socketio

from app.auth.models import ApiToken
from app.core.timeutil import utcnow
from tests.conftest import free_port


class Meeting:
    """A live meeting of a body: chair, secretary, three members, and people outside it."""

    def __init__(self, make, db, preset="two_committees", items=("预算", "绿化", "停车")):
        from app.meetings import operations

        self.community = make.community()
        self.body = self.community.body_by_preset(preset)
        self.chair = make.user(self.community, name="主持人")
        self.secretary = make.user(self.community, name="记录员")
        self.members = [make.user(self.community, name=f"成员{i}") for i in range(3)]
        self.resident = make.user(self.community, name="居民")
        self.stranger = make.user(make.community(name="别的社区"), name="外人")
        make.member(self.body, self.chair, role="chair")
        make.member(self.body, self.secretary, role="secretary")
        for m in self.members:
            make.member(self.body, m)
        # Announced long ago, due in ten minutes: inside the set-up margin, so it may start now.
        start = utcnow() + timedelta(minutes=10)
        self.meeting = operations.create_meeting(self.chair, self.body, title="月度例会", start_dt=start,
                                                 place="社区会议室")
        for title in items:
            operations.add_item(self.chair, self.meeting, title=title, description=f"关于**{title}**")
        operations.announce(self.chair, self.meeting, now=start - timedelta(days=30))
        db.session.commit()
        self.id = self.meeting.id

    def start(self, db):
        from app.meetings import operations

        operations.start(self.chair, self.meeting)
        db.session.commit()


def token(db, user):
    _, raw = ApiToken.issue(user, 1)
    db.session.commit()
    return raw


class Client:
    """A python-socketio client that records every fact it hears."""

    def __init__(self, url, db, user):
        self.url, self.user = url, user
        self.token = token(db, user)
        self.events = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", lambda event, *args, namespace=None: self.events.put((event, args[0] if args else None)),
                    namespace="/live")
        self.connect()

    def connect(self):
        self.sio.connect(self.url, namespaces=["/live"], transports=["websocket"],
                         auth={"token": self.token}, wait_timeout=10)

    def call(self, command, **payload):
        return self.sio.call(command, payload, namespace="/live", timeout=10)

    def join(self, meeting_id):
        ack = self.call("join", meeting_id=meeting_id)
        return ack

    def wait_for(self, event, predicate=lambda data: True, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                name, data = self.events.get(timeout=max(deadline - time.time(), 0.01))
            except queue.Empty:
                break
            if name == event and predicate(data):
                return data
        raise AssertionError(f"{self.user.name} did not receive {event} in {timeout} s")

    def drain(self):
        while not self.events.empty():
            self.events.get_nowait()

    def close(self):
        # tests/conftest.py keeps websocket-client from waiting 3 s for the server's close frame.
        if self.sio.connected:
            self.sio.disconnect()


class Clients:
    """Open clients and close them all at the end of a test."""

    def __init__(self, url, db):
        self.url, self.db, self.open = url, db, []

    def __call__(self, user, url=None):
        client = Client(url or self.url, self.db, user)
        self.open.append(client)
        return client

    def close(self):
        # Side by side: each close still waits a moment for the server's close frame.
        threads = [threading.Thread(target=client.close) for client in self.open]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


class PrivateRedis:
    """A redis-server of the test's own on a free loopback port, keeping nothing on disk."""

    def __init__(self, workdir):
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir), "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
                return self
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
