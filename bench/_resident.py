"""Clients that behave like residents, spread over several client processes.

Each resident signs in over HTTP as a browser does (GET the login form, read its CSRF token, POST
the phone and password, keep the session cookie it is given), opens its own Socket.IO connection
with that cookie, joins the meeting's room, and then does what a phone in the room does: casts as
soon as it hears `vote_opened`, notes when each `item_changed` arrives. The same code drives the
real server and the bare floor (bench/_bare_server.py), which answers the same requests.

The clients run in `Fleet.processes` worker processes (multiprocessing, spawned), each with its
own asyncio loop; the main process (where the chair's client runs, see `Chair`) talks to them
over pipes. Times are `time.perf_counter()`, which on Linux is the system-wide monotonic clock,
so a time taken in a worker and one taken in the main process can be subtracted.

By default every resident connects from an address of its own (127.1.x.y: phones on their own
networks); `hall=True` puts them all behind 127.0.0.1, one hall's Wi-Fi.
"""
import asyncio
import gc
import multiprocessing
import os
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
HALL_ADDRESS = "127.0.0.1"


def own_address(i):
    """A loopback address of the i-th resident's own (Linux routes all of 127.0.0.0/8 to lo)."""
    return f"127.1.{i // 250 % 250}.{i % 250 + 1}"


@dataclass
class Resident:
    phone: str
    password: str
    address: str
    server: str          # the base URL this resident stays on (sticky, as nginx's ip_hash)


# -- one resident ----------------------------------------------------------------------------

async def sign_in(http, base, phone, password, mistype=False):
    """The login form as a browser fills it in, the session cookie kept in `http`'s jar.
    Returns (True if logged in, ms of the last POST, HTTP statuses of every POST). `mistype`:
    a wrong password first, as people do."""
    statuses, ms = [], None
    async with http.get(f"{base}/auth/login") as response:
        page = await response.text()
    for attempt in (["not-the-password", password] if mistype else [password]):
        match = CSRF.search(page)
        if not match:
            raise RuntimeError(f"no CSRF token on the login form ({response.status})")
        form = {"csrf_token": match.group(1), "phone": phone, "password": attempt}
        t0 = time.perf_counter()
        async with http.post(f"{base}/auth/login", data=form, allow_redirects=False) as response:
            page = await response.text()     # a refused form comes back with a fresh token
            ms = (time.perf_counter() - t0) * 1000
            statuses.append(response.status)
    return statuses[-1] == 302, ms, statuses


class Client:
    """One resident: an HTTP session bound to their address and, once signed in, a socket."""

    def __init__(self, resident, log):
        self.resident = resident
        self.log = log          # the worker's shared records
        self.http = None
        self.sio = None

    async def open(self, meeting_id, mistype=False):
        import aiohttp
        import socketio

        r = self.resident
        connector = aiohttp.TCPConnector(local_addr=(r.address, 0), limit=4)
        # unsafe: the jar keeps cookies of an IP address (the loopback server) too.
        self.http = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True))
        for attempt in range(5):
            ok, ms, statuses = await sign_in(self.http, r.server, r.phone, r.password, mistype and not attempt)
            if statuses[-1] != 503:
                break
            # The server said it is busy (503): a resident taps again a moment later.
            self.log.busy += 1
            await asyncio.sleep(2 + 2 * (hash(r.phone) % 100) / 100)
        self.log.logins.append((ms, statuses))
        if not ok:
            raise RuntimeError(f"login refused: {statuses}")
        self.sio = socketio.AsyncClient(reconnection=False, http_session=self.http)
        self.sio.on("vote_opened", self.vote_opened, namespace="/live")
        self.sio.on("item_changed", self.item_changed, namespace="/live")
        self.sio.on("disconnect", self.gone, namespace="/live")
        # The socket goes through the same session: its handshake carries the session cookie.
        await self.sio.connect(r.server, namespaces=["/live"], transports=["websocket"],
                               wait_timeout=60)
        for _ in range(20):
            ack = await self.sio.call("join", {"meeting_id": meeting_id}, namespace="/live", timeout=120)
            if ack.get("ok"):
                return ack
            if ack["error"]["code"] != "unavailable":
                raise RuntimeError(f"join refused: {ack}")
            self.log.busy += 1      # the server said it is busy: try again later, as room.js does
            await asyncio.sleep(2 + 2 * (hash(r.phone) % 100) / 100)
        raise RuntimeError("join: the server stayed busy")

    async def vote_opened(self, data):
        vote_id = data.get("vote_id")
        self.log.opened.setdefault(vote_id, []).append(time.perf_counter())
        if not self.log.casting:
            return
        nonce = f"resident-{uuid.uuid4().hex}"
        t0 = time.perf_counter()
        try:
            answer = await self.sio.call("cast", {"vote_id": vote_id, "choice": "yes", "nonce": nonce},
                                         namespace="/live", timeout=180)
        except Exception as exc:  # noqa: BLE001 - a dead server or a timeout is a result here
            ack = (False, None, type(exc).__name__, t0, None)
        else:
            ok = bool(answer.get("ok"))
            ack = (ok, answer.get("receipt"), None if ok else answer["error"]["code"], t0,
                   time.perf_counter())
        self.log.acks.setdefault(vote_id, []).append(ack)

    async def item_changed(self, data):
        self.log.items.setdefault(data.get("index"), []).append(time.perf_counter())

    async def gone(self, *args):
        self.log.dropped += 1

    async def close(self):
        try:
            if self.sio is not None:
                await self.sio.disconnect()
        finally:
            if self.http is not None:
                await self.http.close()


@dataclass
class Records:
    logins: list = field(default_factory=list)     # (ms, [statuses])
    opened: dict = field(default_factory=dict)     # vote id -> receipt times of vote_opened
    acks: dict = field(default_factory=dict)       # vote id -> (ok, receipt, error, sent, acked)
    items: dict = field(default_factory=dict)      # index -> receipt times of item_changed
    dropped: int = 0
    busy: int = 0
    casting: bool = True


# -- a worker process ----------------------------------------------------------------------

def _worker(conn, residents, meeting_id, concurrency, casting):
    """A client process: signs its residents in, then answers the main process's requests."""
    asyncio.run(_work(conn, residents, meeting_id, concurrency, casting))


async def _work(conn, residents, meeting_id, concurrency, casting):
    loop = asyncio.get_running_loop()
    log = Records(casting=casting)
    clients = []
    sem = asyncio.Semaphore(concurrency)
    failures = []

    async def open_one(resident, mistype):
        client = Client(resident, log)
        async with sem:
            try:
                await client.open(meeting_id, mistype)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                failures.append(f"{type(exc).__name__}: {exc}"[:300])
                await client.close()
                return
        clients.append(client)

    async def receive():
        return await loop.run_in_executor(None, conn.recv)

    frozen, reported = False, 0
    while True:
        request = await receive()
        kind = request[0]
        if kind == "open":
            # ("open", indices, pace seconds, mistype every k): sign these residents in, `pace`
            # apart (0: as fast as `concurrency` allows).
            _, indices, pace, mistype_every = request
            started = time.perf_counter()
            tasks = []
            for n, i in enumerate(indices):
                if pace:
                    await asyncio.sleep(max(0.0, started + n * pace - time.perf_counter()))
                tasks.append(asyncio.create_task(
                    open_one(residents[i], bool(mistype_every) and i % mistype_every == 0)))
            await asyncio.gather(*tasks)
            if not frozen:
                # What this process built (its clients) is kept out of its collector's full passes:
                # a pass over thousands of clients would be counted as the server's latency.
                gc.collect()
                gc.freeze()
                frozen = True
            conn.send(("opened", len(clients), failures[:], log.logins[reported:], log.busy))
            failures.clear()
            reported = len(log.logins)
        elif kind == "votes":
            # ("votes", vote id, expected acks, deadline seconds): wait for this process's acks.
            _, vote_id, expected, seconds = request
            deadline = time.perf_counter() + seconds
            while len(log.acks.get(vote_id, [])) < expected and time.perf_counter() < deadline:
                await asyncio.sleep(0.005)
            conn.send(("votes", log.acks.get(vote_id, [])[:], log.opened.get(vote_id, [])[:]))
        elif kind == "item":
            _, index, expected, seconds = request
            deadline = time.perf_counter() + seconds
            while len(log.items.get(index, [])) < expected and time.perf_counter() < deadline:
                await asyncio.sleep(0.005)
            conn.send(("item", log.items.get(index, [])[:], log.dropped))
        elif kind == "stop":
            await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
            conn.send(("stopped", log.dropped))
            return


class Fleet:
    """The residents of one run, spread over `processes` client processes (resident i in process
    i % processes). Use as a context manager; `open()` signs everyone in and joins the room."""

    def __init__(self, residents, meeting_id, processes=3, concurrency=100, casting=True):
        from bench.room import raise_fd_limit

        raise_fd_limit(len(residents) * 3 + 1000)
        self.residents = residents
        self.processes = max(1, min(processes, len(residents)))
        ctx = multiprocessing.get_context("spawn")
        self.pipes, self.procs = [], []
        share = max(1, concurrency // self.processes)
        for p in range(self.processes):
            ours, theirs = ctx.Pipe()
            mine = residents[p::self.processes]
            proc = ctx.Process(target=_worker, args=(theirs, mine, meeting_id, share, casting),
                               daemon=True)
            proc.start()
            self.pipes.append(ours)
            self.procs.append(proc)
        self.sizes = [len(residents[p::self.processes]) for p in range(self.processes)]
        self.logins = []       # (ms of the POST that logged in, [statuses of every POST])
        self.failures = []
        self.busy = 0
        self._joined_sizes = [0] * self.processes

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _ask_all(self, requests):
        for pipe, request in zip(self.pipes, requests):
            pipe.send(request)
        return [pipe.recv() for pipe in self.pipes]

    def open(self, count=None, pace=0.0, mistype_every=0):
        """Sign in and join the first `count` residents of each process (all by default), each
        process starting one every `pace * processes` seconds: `pace` apart in all."""
        requests = []
        for size in self.sizes:
            indices = list(range(size if count is None else min(size, count)))
            requests.append(("open", indices, pace * self.processes, mistype_every))
        replies = self._ask_all(requests)
        self._joined_sizes = [n for _, n, _, _, _ in replies]
        for _, _, failures, logins, _ in replies:
            self.failures += failures
            self.logins += logins
        self.busy = sum(r[4] for r in replies)
        return sum(self._joined_sizes)

    def open_everyone(self, label):
        """Sign in and join every resident; the seconds it took. Raises (naming `label`) when
        anyone could not join: a figure of fewer people than asked is not the figure."""
        started = time.perf_counter()
        joined = self.open()
        if joined != sum(self.sizes):
            raise RuntimeError(f"{label}: {joined} of {sum(self.sizes)} joined; {self.failures[:3]}")
        return time.perf_counter() - started

    def votes(self, vote_id, seconds=180):
        """Every process's acks of `vote_id` (waiting until each has one per client):
        (acks, vote_opened receipt times)."""
        replies = self._ask_all([("votes", vote_id, n, seconds) for n in self.joined_sizes()])
        return [a for r in replies for a in r[1]], [t for r in replies for t in r[2]]

    def item(self, index, seconds=30):
        """Receipt times of `item_changed` with this index in every process, and drops so far."""
        replies = self._ask_all([("item", index, n, seconds) for n in self.joined_sizes()])
        return [t for r in replies for t in r[1]], sum(r[2] for r in replies)

    def joined_sizes(self):
        return self._joined_sizes

    def stop(self):
        for pipe, proc in zip(self.pipes, self.procs):
            if proc.is_alive():
                try:
                    pipe.send(("stop",))
                    if pipe.poll(60):
                        pipe.recv()
                except (OSError, EOFError):
                    pass
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
        self.pipes, self.procs = [], []



class Chair:
    """The chair's client, in the main process: signed in like any resident, its socket driven
    from a loop in a thread of its own, so the bench's main code stays synchronous."""

    def __init__(self, resident, meeting_id):
        import threading

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.log = Records(casting=False)
        self.client = Client(resident, self.log)
        self.meeting_id = meeting_id
        self.joined = self._run(self.client.open(meeting_id))

    def _run(self, coro, timeout=300):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, event, **data):
        """Emit `event` with the meeting's id and wait for its ack: (ack, perf_counter at emit)."""
        async def go():
            t0 = time.perf_counter()
            ack = await self.client.sio.call(event, {"meeting_id": self.meeting_id, **data},
                                             namespace="/live", timeout=180)
            return ack, t0

        ack, t0 = self._run(go())
        if not ack.get("ok"):
            raise RuntimeError(f"{event} refused: {ack}")
        return ack, t0

    def close(self):
        try:
            self._run(self.client.close(), timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=5)


# -- the server process, from outside --------------------------------------------------------

def cpu_seconds(pid):
    """User + system CPU time the process has used so far (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid):
    """(resident set now, its peak) in MiB (/proc/<pid>/status)."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, kb = line.split()[:2]
                values[key] = int(kb) / 1024
    return values.get("VmRSS:", float("nan")), values.get("VmHWM:", float("nan"))


def machine():
    """One line about the machine: cores and CPU model."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}), Python {sys.version.split()[0]}"


def resident_accounts(users, password, servers, hall=False):
    """Residents for seeded (phone) users: their addresses, and the servers spread over in turn."""
    servers = servers if isinstance(servers, (list, tuple)) else [servers]
    return [Resident(phone, password, HALL_ADDRESS if hall else own_address(i), servers[i % len(servers)])
            for i, phone in enumerate(users)]


# -- seeding (straight into the database; signing in is over HTTP) ---------------------------

PASSWORD = "resident-password"


def cheap_hash(password=PASSWORD):
    """A PBKDF2 hash of 1,000 rounds (the app's own scrypt costs ~0.1 s a check by design):
    thousands of real logins stay a few seconds of set-up; the login bench uses the real one."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password, method="pbkdf2:sha256:1000")


def set_password_hash(users, password_hash):
    """Give these users one password hash (each check still does the whole work)."""
    from app.auth.models import User
    from app.extensions import db

    db.session.execute(db.update(User).where(User.id.in_([u.id for u in users]))
                       .values(password_hash=password_hash))
