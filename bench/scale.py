"""Scale out: one room of N clients served by two processes sharing Redis and PostgreSQL.

    .venv/bin/python -m bench.scale [--n 4000] [--rounds 10] [--postgres URL] [--redis URL]
                                    [--mode resident|seeded] [--processes 4] [--quick]

In `--mode resident` (the default) every client signs in over HTTP on the process it stays on and
connects with its session cookie, the clients spread over --processes client processes
(bench/_resident.py); `seeded`: tokens seeded into the database, one client process.

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
from bench import _resident  # noqa: E402
from bench.room import (  # noqa: E402
    free_port, launch, print_rows, raise_fd_limit, resident_room, row_of, run_room, seed, stop, summarise,
)


def reset(database_url):
    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def start(database_url, redis, throttle=False):
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, PORT=str(port), HOST="127.0.0.1",
               SECRET_KEY="bench", RATELIMIT_ENABLED="1" if throttle else "0",
               SOCKETIO_MESSAGE_QUEUE=redis, YISHI_INSTANCE=str(ROOT / "instance"))
    if throttle:
        env["RATELIMIT_STORAGE_URI"] = redis   # both processes count logins in one place
    return launch([sys.executable, str(ROOT / "wsgi.py")], port, env)


def start_bare(redis):
    port = free_port()
    return launch([sys.executable, "-m", "bench._bare_server", str(port), redis], port)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("resident", "seeded"), default="resident")
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--processes", type=int, default=4, help="client processes (resident mode)")
    parser.add_argument("--concurrency", type=int, default=100, help="clients connecting at a time")
    parser.add_argument("--quick", action="store_true", help="a small run: 400 residents, 3 rounds")
    parser.add_argument("--postgres", default=postgres_url())
    parser.add_argument("--redis", default=redis_url())
    args = parser.parse_args()
    if not (args.postgres and args.redis):
        print("bench/scale.py needs PostgreSQL and Redis (--postgres, --redis or BENCH_/TEST_DATABASE_URL, "
              "BENCH_/TEST_REDIS_URL); skipped.")
        return
    if args.quick:
        args.n, args.rounds = min(args.n, 400), 3
    resident = args.mode == "resident"
    raise_fd_limit(args.n * 3 + 1000)
    rows = []
    for label in ("Yishi /live (wsgi.py, gevent)", "bare Flask-SocketIO (gevent)"):
        bare = label.startswith("bare")
        if bare:
            servers = [start_bare(args.redis) for _ in range(2)]
            meeting_id, chair, members = 1, "10000000000", [f"1{i:010d}" for i in range(args.n)]
            if not resident:
                chair, members = "bare", ["bare"] * args.n   # the bare server's token check
        else:
            reset(args.postgres)
            meeting_id, chair, members = seed(args.postgres, args.n, passwords=resident)
            servers = [start(args.postgres, args.redis, throttle=resident) for _ in range(2)]
        try:
            if resident:
                got = resident_room(servers, meeting_id, chair, members, args.rounds, args.processes)
                row = row_of(args.n, label, got["join_s"], got["latencies"], got["lost"], got["typical"],
                             got["cpu_ms"], sum(r[0] for r in got["rss"]))
            else:
                connect_s, lat, lost, typical = asyncio.run(run_room(
                    [url for url, _ in servers], meeting_id, chair, members, args.rounds,
                    concurrency=args.concurrency))
                row = row_of(args.n, label, connect_s, lat, lost, typical)
        finally:
            stop(*(proc for _, proc in servers))
        rows.append(row)
        print(f"{label}: joined {row['join_s']:.1f} s, p50 {row['p50']:.0f} ms, p99 {row['p99']:.0f} ms, "
              f"lost {row['lost']}", file=sys.stderr, flush=True)
    print(f"{_resident.machine()}; two server processes sharing Redis (Yishi also PostgreSQL), the "
          f"clients spread over them and each staying on its process; {args.rounds} `item_changed` "
          "rounds; latency = chair's emit to receipt at each client; "
          + (f"every client signed in over HTTP, the clients in {args.processes} client processes; "
             "CPU = both servers' time over the rounds per delivered message; RSS = both servers' sum."
             if resident else "all clients in one asyncio process.") + "\n")
    print_rows(rows, servers="2 × ")
    summarise(rows, "two processes + Redis + PostgreSQL"
              + (f", residents signed in over HTTP, {args.processes} client processes" if resident else ""),
              scale_out=True)


if __name__ == "__main__":
    main()
