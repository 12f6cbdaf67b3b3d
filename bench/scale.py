"""Scale out: one room of N clients served by two processes sharing Redis and PostgreSQL.

    .venv/bin/python -m bench.scale [--n 4000] [--rounds 10] [--postgres URL] [--redis URL]

Two `python wsgi.py` processes (gevent) on PostgreSQL with Redis as the Socket.IO message queue;
the clients are spread over them, each staying on its process (what nginx's ip_hash does in
deploy/nginx). The chair, on the first process, moves the agenda; every client's delivery latency
of `item_changed` is measured as in bench/room.py. The baseline in the same run: two bare
Flask-SocketIO processes sharing the same Redis, the same N clients spread the same way.
Needs PostgreSQL (`--postgres`, else BENCH_DATABASE_URL or TEST_DATABASE_URL; the database is
emptied) and Redis (`--redis`, else BENCH_REDIS_URL or TEST_REDIS_URL); without them it says so
and stops.
"""
import argparse
import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import postgres_url, redis_url  # noqa: E402
from bench.room import free_port, launch, pct, raise_fd_limit, run_room, seed, stop, summarise  # noqa: E402


def reset(database_url):
    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def start(database_url, redis):
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, PORT=str(port), HOST="127.0.0.1",
               SECRET_KEY="bench", RATELIMIT_ENABLED="0", SOCKETIO_MESSAGE_QUEUE=redis,
               YISHI_INSTANCE=str(ROOT / "instance"))
    return launch([sys.executable, str(ROOT / "wsgi.py")], port, env)


def start_bare(redis):
    port = free_port()
    return launch([sys.executable, "-m", "bench._bare_server", str(port), redis], port)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=100, help="clients connecting at a time")
    parser.add_argument("--postgres", default=postgres_url())
    parser.add_argument("--redis", default=redis_url())
    args = parser.parse_args()
    if not (args.postgres and args.redis):
        print("bench/scale.py needs PostgreSQL and Redis (--postgres, --redis or BENCH_/TEST_DATABASE_URL, "
              "BENCH_/TEST_REDIS_URL); skipped.")
        return
    raise_fd_limit(args.n * 3 + 1000)
    rows = []
    for label in ("Yishi /live (wsgi.py, gevent)", "bare Flask-SocketIO (gevent)"):
        bare = label.startswith("bare")
        if bare:
            servers = [start_bare(args.redis) for _ in range(2)]
            meeting_id, chair_token, tokens = 1, None, [None] * args.n
        else:
            reset(args.postgres)
            meeting_id, chair_token, tokens = seed(args.postgres, args.n)
            servers = [start(args.postgres, args.redis) for _ in range(2)]
        try:
            connect_s, lat, lost, typical = asyncio.run(run_room(
                [url for url, _ in servers], meeting_id, chair_token, tokens, args.rounds,
                concurrency=args.concurrency))
        finally:
            stop(*(proc for _, proc in servers))
        rows.append((args.n, label, connect_s, pct(lat, 50), pct(lat, 99), typical,
                     max(lat or [float("nan")]), lost))
        print(f"{label}: connect {connect_s:.1f} s, p50 {pct(lat, 50):.0f} ms, p99 {pct(lat, 99):.0f} ms, "
              f"lost {lost}", file=sys.stderr, flush=True)
    print(f"{os.cpu_count()} cores; two server processes sharing Redis (Yishi also PostgreSQL), the "
          f"clients spread over them and each staying on its process; {args.rounds} `item_changed` "
          "rounds; latency = chair's emit to receipt at each client; all clients in one asyncio "
          "process on the same machine.\n")
    print("| clients | servers | connect + join all | p50 | p99 | median of round p99 | max | lost |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n, label, connect_s, p50, p99, typical, worst, lost in rows:
        print(f"| {n} | 2 × {label} + Redis | {connect_s:.1f} s | {p50:.0f} ms | {p99:.0f} ms | {typical:.0f} ms "
              f"| {worst:.0f} ms | {lost} |")
    summarise(rows, "two processes + Redis + PostgreSQL", scale_out=True)


if __name__ == "__main__":
    main()
