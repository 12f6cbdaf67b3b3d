"""A vote storm: N members cast at once; time until all are acknowledged, and the p99.

    .venv/bin/python -m bench.votes [--n 2000] [--repeat 3] [--postgres URL]

For each database (a scratch SQLite file, and PostgreSQL when --postgres or TEST_DATABASE_URL is
given; that database is emptied first) it seeds a live meeting whose N members are all present
online with a secret vote open (and, for each of --repeat storms after the first, closes it and
opens another), starts the real server (`python wsgi.py`, gevent, one process),
connects N asyncio python-socketio clients in this process and has them all emit `cast` at the
same moment. It reports the time from the first emit to the last acknowledgement, the p50/p99
acknowledgement latency, and then counts the database: lost (acknowledged but not stored) and
doubled (more ballots than voters, or a receipt twice). The bare Flask-SocketIO server
(bench/_bare_server.py) answering `cast` without a database is measured the same way.
"""
import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import postgres_url, record  # noqa: E402
from bench._storm import pct, seed_vote, storm  # noqa: E402
from bench.room import free_port, launch, raise_fd_limit, stop  # noqa: E402

SECRET_KEY = "bench"


def prepare(database_url, n):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    # The server's key (below): the close opens the ballots it sealed, `count` checks them.
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False,
                      "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        if database_url.startswith("postgres"):
            db.drop_all()
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        vote_id, tokens = seed_vote(n)
        db.session.remove()
    return app, vote_id, tokens


def next_vote(app, vote_id):
    """Close the vote (its ballots are counted and sealed) and open another in the same meeting,
    everyone still present online: the vote of the next storm."""
    from app.auth.models import User
    from app.extensions import db
    from app.votes import operations as votes
    from app.votes.models import Vote

    with app.app_context():
        vote = db.session.get(Vote, vote_id)
        chair, meeting = db.session.get(User, vote.opened_by_id), vote.meeting
        votes.close_vote(chair, vote)
        db.session.commit()
        new_id = votes.open_vote(chair, meeting, kind="secret").id
        db.session.commit()
        db.session.remove()
    return new_id


def count(app, vote_id, receipts):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.votes.models import Ballot, VoteParticipation
    from app.votes.sealed import open_ballots

    with app.app_context():
        # An open secret vote's ballots are sealed in its participation rows: opened with the key.
        stored = [r for r, _ in open_ballots(vote_id)]
        stored += db.session.scalars(select(Ballot.receipt).where(Ballot.vote_id == vote_id))
        voters = db.session.scalar(select(func.count(VoteParticipation.user_id))
                                   .where(VoteParticipation.vote_id == vote_id))
        db.session.remove()
    lost = len(set(receipts) - set(stored))
    doubled = (len(stored) - len(set(stored))) + max(0, len(stored) - voters)
    return len(stored), lost, doubled


def run(name, argv, env, vote_id, tokens):
    port = free_port()
    url, proc = launch(argv + ([str(port)] if "bench._bare_server" in argv else []), port,
                       dict(env, PORT=str(port)))
    try:
        acks, seconds = asyncio.run(storm(url, vote_id, tokens, timeout=120))
    finally:
        stop(proc)
    ok = [a for a in acks if a.ok]
    latencies = [a.ms for a in ok]
    print(f"{name}: {len(ok)}/{len(acks)} acknowledged in {seconds:.2f} s, "
          f"p99 {pct(latencies, 99):.0f} ms", file=sys.stderr, flush=True)
    return acks, seconds, latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="storms per server; the median is reported")
    parser.add_argument("--postgres", default=postgres_url(),
                        help="a PostgreSQL database to empty and use (default: BENCH_DATABASE_URL "
                             "or TEST_DATABASE_URL)")
    args = parser.parse_args()
    raise_fd_limit(args.n * 3 + 1000)
    tmp = tempfile.mkdtemp(prefix="yishi-votes-")
    databases = [("SQLite", f"sqlite:///{tmp}/votes.sqlite3")]
    if args.postgres:
        databases.append(("PostgreSQL", args.postgres))
    rows = []
    for label, url in databases:
        app, vote_id, tokens = prepare(url, args.n)
        env = dict(os.environ, DATABASE_URL=url, HOST="127.0.0.1", SECRET_KEY=SECRET_KEY,
                   RATELIMIT_ENABLED="0", YISHI_INSTANCE=tmp)
        storms = []
        for r in range(args.repeat):
            if r:
                vote_id = next_vote(app, vote_id)
            acks, seconds, latencies = run(f"Yishi on {label}", [sys.executable, str(ROOT / "wsgi.py")],
                                           env, vote_id, tokens)
            receipts = [a.receipt for a in acks if a.ok]
            stored, lost, doubled = count(app, vote_id, receipts)
            storms.append((seconds, len(receipts), latencies, stored, lost, doubled))
        rows.append(summarise_storms(f"Yishi `cast` (wsgi.py, gevent, {label})", storms))
    storms = []
    for _ in range(args.repeat):
        acks, seconds, latencies = run("bare", [sys.executable, "-m", "bench._bare_server"], dict(os.environ),
                                       1, [None] * args.n)
        storms.append((seconds, sum(a.ok for a in acks), latencies, None, None, None))
    rows.append(summarise_storms("bare Flask-SocketIO ack, no database (gevent)", storms))
    print(f"{os.cpu_count()} cores; {args.n} clients in one asyncio process cast at the same moment "
          f"into one secret vote; one server process; {args.repeat} storms per server (a new vote "
          "each), the median storm shown with the range of all. Goal: all committed in ≤ 5 s, "
          "0 lost, 0 doubled.\n")
    print("| server | acknowledged | all acknowledged after (median) | range | p50 | p99 | ballots stored "
          "| lost | doubled |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, acked, seconds, spread, p50, p99, stored, lost, doubled in rows:
        print(f"| {name} | {acked} | {seconds:.2f} s | {spread} | {p50:.0f} ms | {p99:.0f} ms | {stored} "
              f"| {lost} | {doubled} |")
    bare = rows[-1]
    for label, row in zip([label for label, _ in databases], rows):
        _, acked, seconds, spread, _, p99, _, lost, doubled = row
        record("vote storm: every `cast` acknowledged after its commit",
               f"{args.n:,} members at once, one secret vote, one process, {label}",
               f"all {acked:,} after {seconds:.2f} s (median of {args.repeat}: {spread}; p99 {p99:.0f} ms); "
               f"lost {lost}, doubled {doubled}",
               f"all {bare[1]:,} after {bare[2]:.2f} s ({bare[3]}; ack without a database)",
               "all in ≤ 5 s, 0 lost, 0 doubled",
               acked == args.n and seconds <= 5 and not lost and not doubled)


def summarise_storms(name, storms):
    """One row: the median storm (by time to the last acknowledgement), the range of all; lost and
    doubled summed over all storms, acknowledged the fewest of any."""
    median = sorted(storms, key=lambda s: s[0])[len(storms) // 2]
    seconds, _, latencies, stored, _, _ = median
    spread = f"{min(s[0] for s in storms):.2f}–{max(s[0] for s in storms):.2f} s"
    acked = min(s[1] for s in storms)
    if stored is None:
        return name, acked, seconds, spread, pct(latencies, 50), pct(latencies, 99), "—", "—", "—"
    return (name, acked, seconds, spread, pct(latencies, 50), pct(latencies, 99), f"{stored}",
            sum(s[4] for s in storms), sum(s[5] for s in storms))


if __name__ == "__main__":
    main()
