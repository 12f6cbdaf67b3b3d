"""How one live room scales: N clients in one meeting, against a bare Flask-SocketIO server.

    .venv/bin/python -m bench.room [--n 500,2000] [--rounds 5] [--database-url URL]

Starts the real server (`python wsgi.py`, gevent) on a scratch SQLite database (or the one given,
which must be empty) with a meeting of a body of N members, and beside it the bare relay in
bench/_bare_server.py. For each N and each server it opens N asyncio python-socketio clients
(websocket transport) in this one process, each connecting and `join`ing the room, then has the
chair move the agenda --rounds times and measures, for every client, the time from the chair's
emit to the receipt of `item_changed`. Prints a markdown table: connect+join time of all N
clients, and p50/p99/max delivery latency over all rounds and clients.
"""
import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def raise_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(max(soft, need), hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url, proc, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server died: {proc.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def seed(database_url, n):
    """A community, a body of n members + chair, a live meeting with 50 items; tokens for all."""
    os.environ.setdefault("SECRET_KEY", "bench")
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from bench._storm import seed_live_meeting, seed_people

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        body, users, tokens = seed_people(n + 1, "residents_assembly")
        meeting = seed_live_meeting(users[0], body, [f"议题 {i + 1}" for i in range(50)])
        db.session.commit()
        return meeting.id, tokens[0], tokens[1:]


async def run_room(url, meeting_id, chair_token, tokens, rounds):
    """`url` is one server, or a list: clients are spread over them in turn (sticky: a client
    stays on its server), the chair on the first."""
    import socketio

    urls = url if isinstance(url, (list, tuple)) else [url]
    spread = iter(range(10**9))

    received = {}       # round -> list of perf_counter times
    current = {"round": None}
    clients = []
    sem = asyncio.Semaphore(200)

    async def open_client(token, listen=True):
        sio = socketio.AsyncClient(reconnection=False)
        target = urls[next(spread) % len(urls)] if listen else urls[0]
        if listen:
            @sio.on("item_changed", namespace="/live")
            async def item_changed(data):
                received.setdefault(current["round"], []).append(time.perf_counter())

        async with sem:
            await sio.connect(target, namespaces=["/live"], transports=["websocket"],
                              auth={"token": token} if token else None, wait_timeout=60)
            ack = await sio.call("join", {"meeting_id": meeting_id}, namespace="/live", timeout=120)
        if not ack.get("ok"):
            raise RuntimeError(f"join refused: {ack}")
        return sio

    started = time.perf_counter()
    clients = await asyncio.gather(*(open_client(t) for t in tokens))
    connect_s = time.perf_counter() - started
    chair = await open_client(chair_token, listen=False)
    await asyncio.sleep(4.0)     # let the (rate-limited) presence broadcasts of the last joins go out
    latencies, round_p99 = [], []
    lost = 0
    for r in range(rounds):
        current["round"] = r
        t0 = time.perf_counter()
        ack = await chair.call("next_item", {"meeting_id": meeting_id}, namespace="/live", timeout=60)
        if not ack.get("ok"):
            raise RuntimeError(f"next_item refused: {ack}")
        deadline = time.perf_counter() + 30
        while len(received.get(r, [])) < len(tokens) and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        got = received.get(r, [])
        lost += len(tokens) - len(got)
        these = [(t - t0) * 1000 for t in got]
        latencies += these
        round_p99.append(pct(these, 99))
        print(f"  round {r}: p50 {pct(these, 50):.0f} ms, p99 {pct(these, 99):.0f} ms", file=sys.stderr, flush=True)
        await asyncio.sleep(0.5)
    await asyncio.gather(*(c.disconnect() for c in clients + [chair]), return_exceptions=True)
    return connect_s, latencies, lost, statistics.median(round_p99)


def pct(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="500,2000", help="clients per room, comma-separated")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    try:
        import aiohttp  # noqa: F401  (socketio.AsyncClient's transport)
    except ImportError:
        sys.exit("bench/room.py needs aiohttp for asyncio clients: pip install aiohttp")
    sizes = [int(x) for x in args.n.split(",")]
    raise_fd_limit(max(sizes) * 3 + 1000)

    tmp = tempfile.mkdtemp(prefix="yishi-bench-")
    rows = []
    for n in sizes:
        database_url = args.database_url or f"sqlite:///{tmp}/room{n}.sqlite3"
        meeting_id, chair_token, tokens = seed(database_url, n)
        port_app, port_bare = free_port(), free_port()
        env = dict(os.environ, DATABASE_URL=database_url, PORT=str(port_app), HOST="127.0.0.1",
                   SECRET_KEY="bench", RATELIMIT_ENABLED="0", YISHI_INSTANCE=tmp)
        servers = [
            ("Yishi /live (wsgi.py, gevent)", port_app,
             subprocess.Popen([sys.executable, str(ROOT / "wsgi.py")], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)),
            ("bare Flask-SocketIO (gevent)", port_bare,
             subprocess.Popen([sys.executable, "-m", "bench._bare_server", str(port_bare)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)),
        ]
        try:
            for name, port, proc in servers:
                url = f"http://127.0.0.1:{port}"
                wait_up(url, proc)
                bare = "bare" in name
                connect_s, lat, lost, typical = asyncio.run(run_room(
                    url, meeting_id, None if bare else chair_token, [None] * n if bare else tokens,
                    args.rounds))
                rows.append((n, name, connect_s, pct(lat, 50), pct(lat, 99), typical,
                             max(lat or [float("nan")]), lost))
                print(f"n={n} {name}: connect {connect_s:.1f} s, p50 {pct(lat, 50):.0f} ms, "
                      f"p99 {pct(lat, 99):.0f} ms, lost {lost}", file=sys.stderr, flush=True)
        finally:
            for _, _, proc in servers:
                proc.terminate()
                proc.wait(timeout=10)
    print(f"{os.cpu_count()} cores; {args.rounds} `item_changed` rounds per run; latency = chair's emit "
          "to receipt at each client, all clients in one asyncio process.\n")
    print("| clients | server | connect + join all | p50 | p99 | median of round p99 | max | lost |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n, name, connect_s, p50, p99, typical, worst, lost in rows:
        print(f"| {n} | {name} | {connect_s:.1f} s | {p50:.0f} ms | {p99:.0f} ms | {typical:.0f} ms "
              f"| {worst:.0f} ms | {lost} |")


if __name__ == "__main__":
    main()
