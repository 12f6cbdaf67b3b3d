"""A street's ten years: build it, then time every page its people open, and its backup.

    .venv/bin/python -m bench.street [--fraction 1] [--requests 40] [--postgres URL] [--rebuild]
                                     [--no-demo] [--no-backup] [--no-verify] [--write]

Builds one street (app/street_seed.py: 14 communities, 200,000 residents, ten years of proposals,
matters, meetings with 2 million ballots, 5 million audit events, 50,000 notices; `--fraction`
scales it) into bench/results/street-<fraction>.sqlite3, or into PostgreSQL with `--postgres`
(that database is emptied), and keeps it: a later run with the same fraction measures the same
street again unless `--rebuild`.

Then, for each role (resident, staff, chair, secretary, community admin, street admin, handler):
logs in, opens the menu, follows every link of the menu's pages one level further (at most three
pages of one URL pattern, so a list of 20 proposals gives three proposal pages), adds the API's
list endpoints and the statistics page, and times each pattern over N requests in the app's own
process (Flask's test client: the server's time without the network), the notice board's page
cache off. The same pages of the demo street (`flask seed-demo`, on the same kind of database)
are timed the same way for the ratio. Then `flask backup`, a restore of that archive into an
empty database, `flask audit verify` and `flask votes verify --all` are timed as commands.

`--write` puts the tables into docs/benchmarks.md between the street markers.
"""
import argparse
import gc
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

from bench import _report  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
MARK_BEGIN = "<!-- street:begin (written by `python -m bench.street --write`; edits here are overwritten) -->"
MARK_END = "<!-- street:end -->"
GOAL_MS = 100
SAMPLES_PER_PATTERN = 3
SKIP = re.compile(r"^/(static|auth/logout|favicon)|\.(csv|svg|ico|png|jpg|pdf)$|/files/|/print$|/qr\.svg$")


# -- the databases ---------------------------------------------------------------------------------

def make_app(url):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                       "NOTICE_CACHE_TTL": 0, "TESTING": False, "SERVER_NAME": None})


def reset(app):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(directory=str(ROOT / "migrations"), revision="heads")


def has_street(app):
    from sqlalchemy import inspect

    from app.community.models import Street
    from app.extensions import db

    with app.app_context():
        if not inspect(db.engine).has_table(Street.__tablename__):
            return False
        return db.session.query(Street.id).first() is not None


def build_street(app, fraction):
    from app import street_seed

    reset(app)
    with app.app_context():
        started = time.perf_counter()
        counts = street_seed.build_street(street_seed.Plan.street(fraction),
                                          log=lambda m: print(f"  {m}", file=sys.stderr, flush=True))
        seconds = time.perf_counter() - started
    return seconds, counts


def build_demo(app):
    from datetime import timedelta

    from app import demo_activity
    from app.cli import DEMO_STREET_AGE_DAYS
    from app.community import demo
    from app.core.timeutil import clock_at, utcnow
    from app.extensions import db

    reset(app)
    with app.app_context():
        with clock_at(utcnow() - timedelta(days=DEMO_STREET_AGE_DAYS)):
            demo.seed()
            db.session.flush()
        demo_activity.seed_activity()
        db.session.commit()
        optimise(app)


def optimise(app):
    """What an operator's database has after a day of use: fresh planner statistics (and on
    PostgreSQL the visibility map autovacuum keeps)."""
    from app.extensions import db
    from app.street_seed import settle_after_bulk_load

    with app.app_context():
        settle_after_bulk_load(db.engine)


def database_size(app, url):
    from app.extensions import db

    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    with app.app_context():
        return db.session.execute(db.text("SELECT pg_database_size(current_database())")).scalar()


def postgres_sibling(url, suffix):
    """A database beside `url`'s on the same server (created when missing), for the demo street
    and the restore."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from app import normalise_database_url

    base = make_url(url)
    name = f"{base.database}_{suffix}"
    admin = create_engine(normalise_database_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


# -- the pages people open -------------------------------------------------------------------------

def logins(street):
    """{role: phone} of the street (app/street_seed.py) or the demo street."""
    if street:
        from app.street_seed import STREET_LOGINS

        return {role: phone for role, (phone, _) in STREET_LOGINS.items()}
    from app.community.demo import DEMO_LOGINS

    return {key: phone for phone, _, key in DEMO_LOGINS if key in
            ("street_admin", "admin", "staff", "chair", "secretary", "resident", "handler")}


def pattern(url):
    parts = urlsplit(url)
    query = "&".join(sorted(re.sub(r"=\d+", "=<n>", q) for q in parts.query.split("&") if q))
    return re.sub(r"(?<=/)\d+(?=/|$)", "<id>", parts.path) + (f"?{query}" if query else "")


def links(html, menu_only=False):
    if menu_only:
        found = re.search(r"<nav.*?</nav>", html, re.S)
        html = found.group(0) if found else ""
    else:
        html = re.sub(r"<header.*?</header>", "", html, flags=re.S)   # the menu again
    for href in re.findall(r'href="([^"#]+)"', html):
        href = href.replace("&amp;", "&")
        if href.startswith("/") and not SKIP.search(urlsplit(href).path):
            yield href


def crawl(client):
    """{pattern: [up to three URLs]}: the menu's pages and the pages they link to."""
    home = client.get("/")
    menu = list(dict.fromkeys(links(home.get_data(as_text=True), menu_only=True))) + ["/"]
    found = defaultdict(list)

    def keep(url):
        urls = found[pattern(url)]
        if url not in urls and len(urls) < SAMPLES_PER_PATTERN:
            urls.append(url)
            return True
        return False

    for url in menu:
        keep(url)
    for url in menu:
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        for link in links(response.get_data(as_text=True)):
            keep(link)
    return found


def api_urls(app, street_admin=False):
    """The API's list endpoints, with ids of the first community's things."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.matters.models import Matter
    from app.meetings.models import Meeting
    from app.proposals.models import Proposal

    with app.app_context():
        community = db.session.scalar(select(func.min(Meeting.community_id)))
        meeting = db.session.scalar(select(func.max(Meeting.id)).where(Meeting.community_id == community,
                                                                        Meeting.announced_dt.isnot(None)))
        matter = db.session.scalar(select(func.max(Matter.id)).where(Matter.community_id == community))
        proposal = db.session.scalar(select(func.max(Proposal.id)).where(Proposal.community_id == community,
                                                                          Proposal.published_dt.isnot(None)))
    urls = {"/api/v1/proposals": "/api/v1/proposals", "/api/v1/notices": "/api/v1/notices",
            "/api/v1/notices/stats": "/api/v1/notices/stats",
            "/api/v1/matters": f"/api/v1/matters?community_id={community}",
            "/api/v1/consultations": f"/api/v1/consultations?community_id={community}"}
    if proposal:
        urls["/api/v1/proposals/<id>/comments"] = f"/api/v1/proposals/{proposal}/comments"
    if meeting:
        urls["/api/v1/meetings/<id>/votes"] = f"/api/v1/meetings/{meeting}/votes"
        urls["/api/v1/meetings/<id>/agenda"] = f"/api/v1/meetings/{meeting}/agenda"
    if matter:
        for what in ("objections", "reports", "trail"):
            urls[f"/api/v1/matters/<id>/{what}"] = f"/api/v1/matters/{matter}/{what}"
    return urls


def login(app, phone):
    from app.community.demo import DEMO_PASSWORD

    client = app.test_client()
    response = client.post("/auth/login", data={"phone": phone, "password": DEMO_PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"login of {phone} failed: {response.status_code}")
    token = client.post("/api/v1/auth/token", json={"phone": phone, "password": DEMO_PASSWORD})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"} if token.status_code == 201 else None
    return client, headers


def plan_pages(app, street):
    """{role: (client, headers, {pattern: URLs})}: each role of the street (or of the demo street)
    logged in, with the pages of its menu, those they link to, the statistics and the API's lists."""
    found = {}
    for role, phone in logins(street).items():
        client, headers = login(app, phone)
        pages = dict(crawl(client))
        pages["/notice/stats"] = ["/notice/stats"]
        if headers:
            pages.update(("API " + name, [url]) for name, url in api_urls(app).items())
        found[role] = (client, headers, pages)
    return found


def time_pages(plans, requests):
    """{side: {(role, pattern): (p50, p95, statuses)}} in milliseconds, for each side of `plans`
    ({"street": plan_pages(...), "demo": plan_pages(...)}). A pattern both streets have is timed
    by turns, one request of each at a time: whatever slows the machine for a moment (a collector
    pass, the disk, another process) then falls on both, and the ratio is the pages'."""
    results = {side: {} for side in plans}
    for role, (_, _, pages) in plans["street"].items():
        for name in pages:
            sides = [side for side in plans if role in plans[side] and name in plans[side][role][2]]
            runs = {}
            for side in sides:
                client, headers, found = plans[side][role]
                kwargs = {"headers": headers} if name.startswith("API ") else {}
                runs[side] = (client, kwargs, found[name], [], set())
                for url in found[name]:   # warm: templates compiled, the database's pages in its cache
                    client.get(url, **kwargs)
            # Each pattern starts with the collector's debt paid: a previous pattern's garbage is
            # not this one's pause (its own still is, on both sides alike).
            gc.collect()
            for i in range(requests):
                for client, kwargs, urls, times, statuses in runs.values():
                    started = time.perf_counter()
                    response = client.get(urls[i % len(urls)], **kwargs)
                    times.append((time.perf_counter() - started) * 1000)
                    statuses.add(response.status_code)
            for side, (_, _, _, times, statuses) in runs.items():
                results[side][(role, name)] = (statistics.median(times), percentile(times, 95), statuses)
        print(f"  {role}: {len(pages)} pages timed", file=sys.stderr, flush=True)
    return results


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


# -- commands --------------------------------------------------------------------------------------

def flask(url, *args, timeout=None):
    env = dict(os.environ, DATABASE_URL=url, YISHI_INSTANCE=str(ROOT / "instance"))
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "flask", "--app", "app:create_app()", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - started
    tail = (proc.stdout.strip().splitlines() or [""])[-1]
    if proc.returncode:
        tail = f"exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-300:]}"
    return seconds, tail


# -- the report ------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fraction", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=40, help="requests per page pattern")
    parser.add_argument("--postgres", default=None, help="build in this PostgreSQL database (emptied)")
    parser.add_argument("--database", default=None,
                        help="a database URL holding a street already (`flask demo seed --scale street`)")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-demo", action="store_true")
    parser.add_argument("--no-backup", action="store_true")
    parser.add_argument("--no-verify", action="store_true")
    parser.add_argument("--write", action="store_true", help="into docs/benchmarks.md (street markers)")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    url = args.database or args.postgres or f"sqlite:///{RESULTS / f'street-{args.fraction:g}.sqlite3'}"
    kind = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    app = make_app(url)
    seed_line = "reused (built by an earlier run)"
    if args.rebuild or not has_street(app):
        if url.startswith("sqlite"):
            for path in RESULTS.glob(f"street-{args.fraction:g}.sqlite3*"):
                path.unlink()
            app = make_app(url)
        print(f"building the street ({args.fraction:g}) on {kind}", file=sys.stderr, flush=True)
        if args.database:
            parser.error("--database names a database without a street: build it with `flask demo seed`")
        seconds, counts = build_street(app, args.fraction)
        rows = sum(counts.values())
        seed_line = f"{seconds:.0f} s ({rows:,} rows: " + ", ".join(
            f"{counts.get(t, 0):,} {t}" for t in ("users", "proposals", "matters", "meetings", "ballots",
                                                   "audit_events", "notices", "notice_postings")) + ")"
        _report.record("street: build by bulk inserts", f"{kind}, fraction {args.fraction:g}", f"{seconds:.0f} s",
                       "—", "minutes", seconds < 30 * 60)
    size = database_size(app, url)
    plans = {"street": plan_pages(app, True)}
    if not args.no_demo:
        demo_url = postgres_sibling(url, "demo") if kind == "PostgreSQL" else \
            f"sqlite:///{tempfile.mkdtemp(prefix='yishi-demo-')}/demo.sqlite3"
        demo_app = make_app(demo_url)
        build_demo(demo_app)
        plans["demo"] = plan_pages(demo_app, False)
    print(f"timing pages on the street ({kind}){' beside the demo street' if 'demo' in plans else ''}",
          file=sys.stderr, flush=True)
    # As the production server does after start-up (wsgi.py).
    from app.core import runtime

    runtime.settle()
    timed = time_pages(plans, args.requests)
    street, demo = timed["street"], timed.get("demo", {})
    commands = []
    if not args.no_backup:
        archive = Path(tempfile.mkdtemp(prefix="yishi-street-backup-")) / "street.tar.gz"
        seconds, said = flask(url, "backup", str(archive))
        commands.append(("`flask backup`", seconds, f"{archive.stat().st_size / 2**20:,.0f} MiB archive"
                         if archive.exists() else said))
        restore_url = postgres_sibling(url, "restore") if kind == "PostgreSQL" else \
            f"sqlite:///{archive.parent / 'restored.sqlite3'}"
        seconds, said = flask(restore_url, "restore", str(archive))
        commands.append(("`flask restore` into an empty database", seconds, said[:160]))
        archive.unlink(missing_ok=True)
    if not args.no_verify:
        seconds, said = flask(url, "audit", "verify")
        commands.append(("`flask audit verify`", seconds, said[:120]))
        seconds, said = flask(url, "votes", "verify", "--all")
        commands.append(("`flask votes verify --all`", seconds, said[:120]))
    block = report(kind, args.fraction, seed_line, size, street, demo, commands, args.requests)
    print(block)
    summarise(kind, args.fraction, street, demo, commands)
    if args.write:
        write(block)


def report(kind, fraction, seed_line, size, street, demo, commands, requests):
    lines = [f"### The street on {kind} (fraction {fraction:g})", "",
             f"Measured on {time.strftime('%Y-%m-%d', time.gmtime())}, {os.cpu_count()} cores; build: {seed_line}; "
             f"database {size / 2**20:,.0f} MiB. Each page pattern is opened {requests} times in the app's "
             "process (Flask's test client, no network; the board's page cache off), cycling over up to "
             f"{SAMPLES_PER_PATTERN} URLs of the pattern; the demo street is `flask seed-demo` on the same kind "
             "of database, in the same process, and its same page is opened by turns with the street's (one "
             "request of each at a time), so that a moment's noise falls on both.", "",
             "| role | page | p50 | p95 | demo p50 | demo p95 | × demo (p95) | status |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for (role, page), (p50, p95, statuses) in sorted(street.items()):
        other = demo.get((role, page))
        ratio = f"{p95 / other[1]:.1f}×" if other and other[1] > 0 else "—"
        flag = "" if p95 <= GOAL_MS else " **over**"
        demo_cells = f"{other[0]:.0f} ms | {other[1]:.0f} ms" if other else "— | —"
        lines.append(f"| {role} | `{page}` | {p50:.0f} ms | {p95:.0f} ms{flag} | {demo_cells} | {ratio} | "
                     f"{','.join(map(str, sorted(statuses)))} |")
    if commands:
        lines += ["", "| command | time | said |", "| --- | ---: | --- |"]
        lines += [f"| {what} | {seconds:.0f} s | {said} |" for what, seconds, said in commands]
    return "\n".join(lines) + "\n"


def summarise(kind, fraction, street, demo, commands):
    if not street:
        return
    worst = max(street.items(), key=lambda item: item[1][1])
    over = sum(1 for _, p95, _ in street.values() if p95 > GOAL_MS)
    _report.record("street: worst page p95", f"{kind}, fraction {fraction:g}, {len(street)} pages",
                   f"{worst[1][1]:.0f} ms ({worst[0][1]})", "—", f"≤ {GOAL_MS} ms", over == 0)
    ratios = [(p95 / demo[key][1], key) for key, (_, p95, _) in street.items() if key in demo and demo[key][1] > 0]
    if ratios:
        ratio, key = max(ratios)
        _report.record("street: worst page against the demo street", f"{kind}, p95 ratio",
                       f"{ratio:.1f}× ({key[1]})", "demo street, same run", "≤ 2×", ratio <= 2)
    for what, seconds, _ in commands:
        _report.record(f"street: {what}", f"{kind}, fraction {fraction:g}", f"{seconds:.0f} s", "—")


def write(block):
    text = DOC.read_text(encoding="utf-8")
    start, end = text.find(MARK_BEGIN), text.find(MARK_END)
    if start < 0 or end < start:
        text = text.rstrip() + f"\n\n## A street's ten years (bench/street.py)\n\n{MARK_BEGIN}\n{MARK_END}\n"
        start, end = text.find(MARK_BEGIN), text.find(MARK_END)
    # One section per kind of database: this run's replaces the one of the same kind.
    sections = re.split(r"(?m)^(?=### The street on )", text[start + len(MARK_BEGIN):end].strip())
    heading = block.splitlines()[0].split(" (")[0]
    kept = [s.strip() for s in sections if s.strip() and not s.startswith(heading)]
    body = "\n\n".join(sorted([*kept, block.strip()]))
    DOC.write_text(text[:start + len(MARK_BEGIN)] + "\n" + body + "\n" + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
