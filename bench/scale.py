"""Scale out: one room of N clients served by two processes sharing Redis and PostgreSQL.

    .venv/bin/python -m bench.scale [--n 4000] [--postgres URL] [--redis URL]

Two `python wsgi.py` processes (gevent) on PostgreSQL with Redis as the Socket.IO message queue;
the clients are spread over them, each staying on its process (what a proxy with sticky sessions
does). The chair, on the first process, moves the agenda; every client's delivery latency of
`item_changed` is measured as in bench/room.py. Beside it, the same N clients on one process.
Needs PostgreSQL (`--postgres` or TEST_DATABASE_URL; the database is emptied) and Redis
(`--redis` or TEST_REDIS_URL); without them it says so and stops.
"""
import argparse
import asyncio
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.room import free_port, pct, raise_fd_limit, run_room, seed, wait_up  # noqa: E402


def reset(database_url):
    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def start(database_url, redis_url):
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, PORT=str(port), HOST="127.0.0.1",
               SECRET_KEY="bench", RATELIMIT_ENABLED="0", SOCKETIO_MESSAGE_QUEUE=redis_url or "",
               YISHI_INSTANCE=str(ROOT / "instance"))
    proc = subprocess.Popen([sys.executable, str(ROOT / "wsgi.py")], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    wait_up(url, proc)
    return url, proc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--redis", default=os.environ.get("TEST_REDIS_URL"))
    args = parser.parse_args()
    if not (args.postgres and args.redis):
        print("bench/scale.py needs PostgreSQL and Redis (--postgres, --redis or TEST_DATABASE_URL, "
              "TEST_REDIS_URL); skipped.")
        return
    raise_fd_limit(args.n * 3 + 1000)
    rows = []
    for label, processes in (("two processes + Redis, clients spread (sticky)", 2),
                             ("one process", 1)):
        reset(args.postgres)
        meeting_id, chair_token, tokens = seed(args.postgres, args.n)
        servers = [start(args.postgres, args.redis if processes > 1 else None) for _ in range(processes)]
        try:
            connect_s, lat, lost, typical = asyncio.run(run_room(
                [url for url, _ in servers], meeting_id, chair_token, tokens, args.rounds))
        finally:
            for _, proc in servers:
                proc.terminate()
                proc.wait(timeout=15)
        rows.append((args.n, label, connect_s, pct(lat, 50), pct(lat, 99), typical, lost))
        print(f"{label}: connect {connect_s:.1f} s, p50 {pct(lat, 50):.0f} ms, p99 {pct(lat, 99):.0f} ms, "
              f"lost {lost}", file=sys.stderr, flush=True)
    print(f"{os.cpu_count()} cores; PostgreSQL; {args.rounds} `item_changed` rounds; latency = chair's emit "
          "to receipt at each client; all clients in one asyncio process.\n")
    print("| clients | servers | connect + join all | p50 | p99 | median of round p99 | lost |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for n, label, connect_s, p50, p99, typical, lost in rows:
        print(f"| {n} | {label} | {connect_s:.1f} s | {p50:.0f} ms | {p99:.0f} ms | {typical:.0f} ms | {lost} |")


if __name__ == "__main__":
    main()
