"""A micro-project voting storm: N residents post their ballots at once; time until all are
answered, the p50/p99, and what the database holds, beside the bare floor.

    .venv/bin/python -m bench.microprojects [--n 2000] [--repeat 3] [--postgres URL]

For each database (a scratch SQLite file, and PostgreSQL when --postgres or TEST_DATABASE_URL is
given; that database is emptied first) it seeds a community of N verified residents with API
tokens and a round in its voting phase, starts the real server (`python wsgi.py`, gevent, one
process) and has N aiohttp requests post `POST /api/v1/micro/rounds/<id>/ballot` at the same moment
(at most 200 connections open at once). Each storm after the first uses a new round. It then counts
the database: lost (answered with a receipt but not stored) and doubled (more ballots than voters,
or a receipt twice). The bare floor is a Flask server on the same gevent stack that answers the
same POST with a made-up receipt and no database (bench/_bare_server.py).
"""
import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._micro_storm import seed_round, storm, stored  # noqa: E402
from bench._report import postgres_url, record  # noqa: E402
from bench._storm import pct  # noqa: E402
from bench.room import free_port, launch, raise_fd_limit, stop  # noqa: E402

SECRET_KEY = "bench"


def make_app(database_url, fresh):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False,
                      "SECRET_KEY": SECRET_KEY})
    if fresh:
        with app.app_context():
            if database_url.startswith("postgres"):
                db.drop_all()
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            upgrade(directory=str(ROOT / "migrations"), revision="heads")
            db.session.remove()
    return app


def one_storm(name, argv, env, round_id, ideas, tokens):
    port = free_port()
    url, proc = launch(argv + ([str(port)] if "bench._bare_server" in argv else []), port,
                       dict(env, PORT=str(port)))
    picks = [[ideas[0]], [ideas[0], ideas[1]], [ideas[2]]]
    try:
        acks, seconds = asyncio.run(storm(url, round_id, picks, tokens))
    finally:
        stop(proc)
    ok = [a for a in acks if a.ok]
    print(f"{name}: {len(ok)}/{len(acks)} answered in {seconds:.2f} s, p99 "
          f"{pct([a.ms for a in ok], 99):.0f} ms", file=sys.stderr, flush=True)
    return acks, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="storms per server; the median is reported")
    parser.add_argument("--postgres", default=postgres_url())
    args = parser.parse_args()
    raise_fd_limit(args.n * 2 + 1000)
    tmp = tempfile.mkdtemp(prefix="yishi-micro-")
    databases = [("SQLite", f"sqlite:///{tmp}/micro.sqlite3")]
    if args.postgres:
        databases.append(("PostgreSQL", args.postgres))
    rows = []
    for label, url in databases:
        app = make_app(url, fresh=True)
        env = dict(os.environ, DATABASE_URL=url, HOST="127.0.0.1", SECRET_KEY=SECRET_KEY,
                   RATELIMIT_ENABLED="0", YISHI_INSTANCE=tmp)
        storms = []
        for _ in range(args.repeat):
            with app.app_context():
                round_id, ideas, tokens = seed_round(args.n)
            acks, seconds = one_storm(f"Yishi on {label}", [sys.executable, str(ROOT / "wsgi.py")], env,
                                      round_id, ideas, tokens)
            receipts = [a.receipt for a in acks if a.ok]
            with app.app_context():
                voters, ballots, in_db, _ = stored(round_id)
            lost = len(set(receipts) - in_db)
            doubled = (len(receipts) - len(set(receipts))) + max(0, ballots - voters)
            storms.append((seconds, len(receipts), [a.ms for a in acks if a.ok], ballots, lost, doubled))
        rows.append(summarise(f"Yishi ballot POST (wsgi.py, gevent, {label})", storms))
    storms = []
    for _ in range(args.repeat):
        acks, seconds = one_storm("bare", [sys.executable, "-m", "bench._bare_server"], dict(os.environ),
                                  1, [1, 2, 3], ["-"] * args.n)
        storms.append((seconds, sum(a.ok for a in acks), [a.ms for a in acks if a.ok], None, None, None))
    rows.append(summarise("bare Flask answer, no database (gevent)", storms))
    print(f"{os.cpu_count()} cores; {args.n} residents post their ballots at the same moment from one asyncio "
          f"process (≤ 200 connections); one server process; {args.repeat} storms per server (a new round each), "
          "the median storm shown with the range of all. Goal: all committed in ≤ 10 s, 0 lost, 0 doubled.\n")
    print("| server | answered | all answered after (median) | range | p50 | p99 | ballots stored | lost | doubled |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, acked, seconds, spread, p50, p99, ballots, lost, doubled in rows:
        print(f"| {name} | {acked} | {seconds:.2f} s | {spread} | {p50:.0f} ms | {p99:.0f} ms | {ballots} "
              f"| {lost} | {doubled} |")
    bare = rows[-1]
    for (label, _), row in zip(databases, rows):
        _, acked, seconds, spread, _, p99, _, lost, doubled = row
        record("micro-project vote storm: every ballot answered after its commit",
               f"{args.n:,} residents at once, one round, one process, {label}",
               f"all {acked:,} after {seconds:.2f} s (median of {args.repeat}: {spread}; p99 {p99:.0f} ms); "
               f"lost {lost}, doubled {doubled}",
               f"all {bare[1]:,} after {bare[2]:.2f} s ({bare[3]}; answer without a database)",
               "all in ≤ 10 s, 0 lost, 0 doubled",
               acked == args.n and seconds <= 10 and not lost and not doubled)


def summarise(name, storms):
    median = sorted(storms, key=lambda s: s[0])[len(storms) // 2]
    seconds, _, latencies, ballots, _, _ = median
    spread = f"{min(s[0] for s in storms):.2f}–{max(s[0] for s in storms):.2f} s"
    acked = min(s[1] for s in storms)
    if ballots is None:
        return name, acked, seconds, spread, pct(latencies, 50), pct(latencies, 99), "—", "—", "—"
    return (name, acked, seconds, spread, pct(latencies, 50), pct(latencies, 99), f"{ballots}",
            sum(s[4] for s in storms), sum(s[5] for s in storms))


if __name__ == "__main__":
    main()
