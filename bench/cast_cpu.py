"""The server's CPU per cast: a small storm against `python wsgi.py`, the server process's CPU
time (from /proc) read just before the casts and after the last acknowledgement.

    .venv/bin/python -m bench.cast_cpu [--n 300] [--repeat 3] [--tree DIR ...] [--profile OUT]
                                       [--postgres URL]

With LOG_LEVEL=DEBUG in the environment, the servers log each group commit and the count of
transactions that held the casts is reported too.

Each `--tree` is a checkout whose wsgi.py serves the storms (default: this one), so two versions
are compared in the same run on the same machine (a busy machine makes timings from separate runs
incomparable); their schemas must agree. `--profile OUT` runs this checkout's server under
cProfile during the casts of one storm and writes the profile to OUT (`python -m pstats OUT`).
"""
import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._storm import run, seed_vote  # noqa: E402
from bench.room import free_port, launch, raise_fd_limit, stop  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS   # utime + stime


def seed(database_url, n):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False,
                      "SECRET_KEY": "bench"})
    with app.app_context():
        if database_url.startswith("postgres"):   # emptied first, as bench/votes.py does
            db.drop_all()
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        vote_id, tokens = seed_vote(n)
        db.session.remove()
    return vote_id, tokens


async def casts(url, vote_id, tokens, pid, on_start=None, on_end=None):
    """Connect everyone, then cast at once: (server CPU seconds of the casts, wall seconds, failures)."""
    import socketio

    gate = asyncio.Semaphore(100)

    async def connect(token):
        client = socketio.AsyncClient(reconnection=False)
        async with gate:
            await client.connect(url, namespaces=["/live"], transports=["websocket"],
                                 auth={"token": token}, wait_timeout=60)
        return client

    clients = await asyncio.gather(*(connect(t) for t in tokens))
    await asyncio.sleep(0.5)
    if on_start:
        on_start()
    cpu, wall = cpu_seconds(pid), time.perf_counter()
    acks = await asyncio.gather(*(c.call("cast", {"vote_id": vote_id, "choice": "yes",
                                                  "nonce": f"cpu-{uuid.uuid4().hex}"},
                                         namespace="/live", timeout=60) for c in clients))
    cpu, wall = cpu_seconds(pid) - cpu, time.perf_counter() - wall
    if on_end:
        on_end()
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
    return cpu, wall, sum(1 for a in acks if not a.get("ok"))


def storm_once(tree, n, profile=None, postgres=None):
    workdir = tempfile.mkdtemp(prefix="yishi-castcpu-")
    database_url = postgres or f"sqlite:///{workdir}/bench.sqlite3"
    vote_id, tokens = seed(database_url, n)
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, PORT=str(port), HOST="127.0.0.1",
               SECRET_KEY="bench", RATELIMIT_ENABLED="0", YISHI_INSTANCE=workdir, WSGI_TREE=str(tree))
    argv = [sys.executable, str(Path(tree) / "wsgi.py")]
    if profile:
        env["PROFILE_OUT"] = profile
        argv = [sys.executable, str(ROOT / "bench" / "_profiled_wsgi.py")]
    url, proc = launch(argv, port, env=env)
    try:
        start = (lambda: os.kill(proc.pid, signal.SIGUSR1)) if profile else None
        end = (lambda: (os.kill(proc.pid, signal.SIGUSR2), time.sleep(1))) if profile else None
        cpu, wall, failed = run(casts(url, vote_id, tokens, proc.pid, start, end))
        with open(proc.log_path, encoding="utf-8", errors="replace") as log:
            batches = sum(1 for line in log if "casts: batch of" in line)
        return cpu, wall, failed, batches
    finally:
        stop(proc)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tree", action="append", default=None)
    parser.add_argument("--profile")
    parser.add_argument("--postgres", help="a PostgreSQL URL instead of a scratch SQLite file (emptied first)")
    args = parser.parse_args()
    raise_fd_limit(4 * args.n + 100)
    if args.profile:
        cpu, wall, failed, _ = storm_once(ROOT, args.n, args.profile, args.postgres)
        print(f"profiled storm of {args.n}: {cpu / args.n * 1000:.2f} ms CPU per cast, {failed} failed; "
              f"profile in {args.profile}")
        return
    trees = args.tree or [str(ROOT)]
    results = {tree: [] for tree in trees}
    for _ in range(args.repeat):
        for tree in trees:   # interleaved: the machine's load falls on every tree alike
            results[tree].append(storm_once(tree, args.n, postgres=args.postgres))
    for tree, runs in results.items():
        per_cast = sorted(cpu / args.n * 1000 for cpu, _, _, _ in runs)
        walls = sorted(wall for _, wall, _, _ in runs)
        failed = sum(f for _, _, f, _ in runs)
        batches = ", ".join(str(b) for *_, b in runs)
        print(f"{tree}: {args.n} casts, server CPU per cast {per_cast[len(per_cast) // 2]:.2f} ms "
              f"(all runs: {', '.join(f'{x:.2f}' for x in per_cast)}), last ack after "
              f"{walls[len(walls) // 2]:.2f} s, {failed} failed; transactions (with LOG_LEVEL=DEBUG): {batches}")


if __name__ == "__main__":
    main()
