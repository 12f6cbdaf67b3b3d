"""A vote storm: N members cast at once; time until all are acknowledged, and the p99.

    .venv/bin/python -m bench.votes [--n 2000] [--repeat 3] [--processes 3] [--postgres URL]
                                    [--mode resident|seeded] [--quick]

`--mode resident` (the default, and `make bench`'s): every member signs in over HTTP with the
login form and its CSRF token, from an address of their own, opens a Socket.IO connection with
the session cookie, and joins the meeting's room; the clients run in --processes client
processes (bench/_resident.py). The chair, signed in the same way, opens a secret vote; each
client casts as soon as it hears `vote_opened`. The time is from the chair's `open_vote` to the
last acknowledgement; the p50/p99 from each client's cast to its ack. Beside it the server's CPU
seconds (from /proc) per cast during the storm, its resident memory with everyone in the room
and the vote open, and the same for the bare floor (bench/_bare_server.py) driven by the same
client code in the same run. `--mode seeded`: the older storm below (tokens seeded into the
database, one client process, everyone casting at one instant).

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
import functools
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _resident  # noqa: E402
from bench._report import postgres_url, record  # noqa: E402
from bench._storm import pct, seed_live_meeting, seed_people, seed_vote, storm  # noqa: E402
from bench.room import free_port, launch, raise_fd_limit, stop  # noqa: E402

SECRET_KEY = "bench"


def empty_database(database_url):
    """A migrated database, emptied first if it is PostgreSQL's: the app bound to it."""
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
    return app


def prepare(database_url, n):
    from app.extensions import db

    app = empty_database(database_url)
    with app.app_context():
        vote_id, tokens = seed_vote(n)
        db.session.remove()
    return app, vote_id, tokens


def prepare_residents(database_url, n):
    """A live meeting of a body of n members and a chair, nobody present yet, no vote: they sign
    in and join, the chair opens the votes. Returns (app, meeting id, chair's phone, phones)."""
    from app.extensions import db

    app = empty_database(database_url)
    with app.app_context():
        body, users, _ = seed_people(n + 1, "representatives_assembly")
        _resident.set_password_hash(users, _resident.cheap_hash())
        meeting = seed_live_meeting(users[0], body, ["预算方案"])
        db.session.commit()
        seeded = meeting.id, users[0].phone, [u.phone for u in users[1:]]
        db.session.remove()
    return (app, *seeded)


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


# -- residents --------------------------------------------------------------------------------

STORM_GOAL_OF_BARE, STORM_GOAL_SECONDS, MEMORY_GOAL_OF_BARE = 2.0, 5.0, 1.5


@dataclass
class Storm:
    seconds: float            # from the chair's open_vote to the last acknowledgement
    acked: int
    latencies: list           # each client's cast to its ack, ms
    cpu_ms: float             # the server's CPU per acknowledged cast
    rss: tuple                # (MiB now, peak) with everyone in the room and the vote open
    stored: object = None
    lost: object = None
    doubled: object = None


def resident_storms(name, server, meeting_id, chair_phone, phones, repeat, processes, counter=None):
    """Launch `server` ((argv, env), the bare server gets its port as its last argument), sign
    everyone in, then `repeat` times: the chair opens a secret vote, everyone casts on hearing
    it, the vote is counted (`counter(vote_id, receipts)`, Yishi only) and closed.
    Returns ([Storm], seconds to sign in and join all)."""
    argv, env = server
    port = free_port()
    bare = "bench._bare_server" in argv
    url, proc = launch(argv + ([str(port)] if bare else []), port, dict(env, PORT=str(port)))
    storms = []
    try:
        residents = _resident.resident_accounts(phones, _resident.PASSWORD, url)
        chair_as = _resident.Resident(chair_phone, _resident.PASSWORD,
                                      _resident.own_address(len(phones)), url)
        with _resident.Fleet(residents, meeting_id, processes) as fleet:
            join_s = fleet.open_everyone(name)
            chair = _resident.Chair(chair_as, meeting_id)
            try:
                # Let the presence broadcasts of the last arrivals go out first (see bench/room.py).
                time.sleep(1.5 + min(5.0, len(phones) / 1000))
                for r in range(repeat):
                    cpu0 = _resident.cpu_seconds(proc.pid)
                    ack, t0 = chair.call("open_vote", kind="secret", title=f"基准表决 {r + 1}")
                    vote_id = ack["vote_id"]
                    acks, _ = fleet.votes(vote_id)
                    cpu = _resident.cpu_seconds(proc.pid) - cpu0
                    rss = _resident.rss_mib(proc.pid)
                    good = [a for a in acks if a[0]]
                    last = max((a[4] for a in good), default=t0) - t0
                    storm_ = Storm(last, len(good), [(a[4] - a[3]) * 1000 for a in good],
                                   cpu * 1000 / max(1, len(good)), rss)
                    if counter:
                        storm_.stored, storm_.lost, storm_.doubled = counter(vote_id, [a[1] for a in good])
                    errors = sorted({a[2] for a in acks if not a[0]})
                    print(f"{name}: {len(good)}/{len(phones)} acknowledged {last:.2f} s after the "
                          f"vote opened, p99 {pct(storm_.latencies, 99):.0f} ms, "
                          f"{storm_.cpu_ms:.2f} ms CPU a cast, RSS {rss[0]:.0f} MiB"
                          + (f", errors {errors}" if errors else ""), file=sys.stderr, flush=True)
                    storms.append(storm_)
                    chair.call("close_vote", vote_id=vote_id)
            finally:
                chair.close()
    finally:
        stop(proc)
    return storms, join_s


def median_storm(storms):
    return sorted(storms, key=lambda s: s.seconds)[len(storms) // 2]


def spread(storms):
    return f"{min(s.seconds for s in storms):.2f}–{max(s.seconds for s in storms):.2f} s"


def main_residents(args, databases, tmp):
    n = args.n
    results = []
    for label, url in databases:
        app, meeting_id, chair_phone, phones = prepare_residents(url, n)
        env = dict(os.environ, DATABASE_URL=url, HOST="127.0.0.1", SECRET_KEY=SECRET_KEY,
                   YISHI_INSTANCE=tmp)
        storms, join_s = resident_storms(
            f"Yishi on {label}", ([sys.executable, str(ROOT / "wsgi.py")], env), meeting_id,
            chair_phone, phones, args.repeat, args.processes,
            counter=functools.partial(count, app))
        results.append((f"Yishi `cast` (wsgi.py, gevent, {label})", label, storms, join_s))
    phones = [f"1{i:010d}" for i in range(n)]
    bare, bare_join = resident_storms(
        "bare", ([sys.executable, "-m", "bench._bare_server"], dict(os.environ)), 1, "10000000000",
        phones, args.repeat, args.processes)
    results.append(("bare Flask-SocketIO: login, join, ack on `cast`, no database", None, bare, bare_join))

    print(f"{_resident.machine()}; {n:,} residents in {args.processes} client processes, each signed "
          "in over HTTP (login form with its CSRF token, from an address of its own) and joined with "
          "its own session cookie; the chair opens a secret vote and each casts on hearing "
          f"`vote_opened`; {args.repeat} storm(s) per server, the median shown with the range. "
          "Time: the chair's `open_vote` to the last ack; p50/p99: each cast to its ack; CPU: the "
          "server process's user+system seconds during the storm (/proc) per ack; RSS: the server's "
          "resident memory with everyone in the room and the vote open (peak in brackets).\n")
    print("| server | signed in + joined | acknowledged | last ack (median) | range | p50 | p99 "
          "| CPU per cast | RSS | stored | lost | doubled |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, _, storms, join_s in results:
        m = median_storm(storms)
        lost, doubled = (("—", "—") if m.stored is None else
                         (sum(s.lost for s in storms), sum(s.doubled for s in storms)))
        print(f"| {name} | {join_s:.0f} s | {min(s.acked for s in storms)} | {m.seconds:.2f} s "
              f"| {spread(storms)} | {pct(m.latencies, 50):.0f} ms | {pct(m.latencies, 99):.0f} ms "
              f"| {m.cpu_ms:.2f} ms | {m.rss[0]:.0f} MiB ({m.rss[1]:.0f}) "
              f"| {'—' if m.stored is None else m.stored} | {lost} | {doubled} |")
    b = median_storm(bare)
    bare_cpu = min(s.cpu_ms for s in bare)
    for _, label, storms, _ in results[:-1]:
        m = median_storm(storms)
        lost = sum(s.lost for s in storms)
        doubled = sum(s.doubled for s in storms)
        acked = min(s.acked for s in storms)
        ratio = m.seconds / b.seconds if b.seconds else float("inf")
        record("vote storm, residents: every `cast` acknowledged after its commit",
               f"{n:,} residents signed in over HTTP, {args.processes} client processes, one server "
               f"process, {label}",
               f"all {acked:,} {m.seconds:.2f} s after the vote opened ({ratio:.1f}×; median of "
               f"{len(storms)}: {spread(storms)}; p99 {pct(m.latencies, 99):.0f} ms); "
               f"{m.cpu_ms:.2f} ms CPU a cast; lost {lost}, doubled {doubled}",
               f"{b.seconds:.2f} s ({spread(bare)}); {bare_cpu:.2f} ms CPU a cast",
               f"≤ {STORM_GOAL_OF_BARE:g}× the bare floor and ≤ {STORM_GOAL_SECONDS:g} s, 0 lost, 0 doubled",
               acked == n and m.seconds <= min(STORM_GOAL_SECONDS, STORM_GOAL_OF_BARE * b.seconds)
               and not lost and not doubled)
    # Memory: the server with everyone in the room and a vote open (after its storm: the casts'
    # buffers are counted too), beside the bare floor's.
    for _, label, storms, _ in results[:1]:
        rss = max(s.rss[0] for s in storms)
        bare_rss = max(s.rss[0] for s in bare)
        record("server memory (RSS), a room with a vote open",
               f"{n:,} residents connected and joined, one process, {label}",
               f"{rss:.0f} MiB ({rss / bare_rss:.2f}×; peak {max(s.rss[1] for s in storms):.0f} MiB)",
               f"{bare_rss:.0f} MiB (peak {max(s.rss[1] for s in bare):.0f} MiB)",
               f"≤ {MEMORY_GOAL_OF_BARE:g}× the bare floor", rss <= MEMORY_GOAL_OF_BARE * bare_rss)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("resident", "seeded"), default="resident")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="storms per server; the median is reported")
    parser.add_argument("--processes", type=int, default=3, help="client processes (resident mode)")
    parser.add_argument("--quick", action="store_true", help="a small run to see it work: 200 residents, "
                        "one storm each")
    parser.add_argument("--postgres", default=postgres_url(),
                        help="a PostgreSQL database to empty and use (default: BENCH_DATABASE_URL "
                             "or TEST_DATABASE_URL)")
    args = parser.parse_args()
    if args.quick:
        args.n, args.repeat = min(args.n, 200), 1
    raise_fd_limit(args.n * 3 + 1000)
    tmp = tempfile.mkdtemp(prefix="yishi-votes-")
    databases = [("SQLite", f"sqlite:///{tmp}/votes.sqlite3")]
    if args.postgres:
        databases.append(("PostgreSQL", args.postgres))
    if args.mode == "resident":
        return main_residents(args, databases, tmp)
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
                                       1, ["bare"] * args.n)
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
