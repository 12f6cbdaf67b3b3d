"""The notice board under load: 10,000 published items, the production server, one process.

    .venv/bin/python -m bench.notice [--items 10000] [--seconds 8] [--connections 8]
                                     [--database-url URL] [--new-connections] [--quick] [--ratio]

Seeds a scratch SQLite database (or the empty one given) with published proposals, general
notices and announced or held meetings — bulk inserts, then `flask notice reindex`'s rebuild of
the board's index — and starts the real server (`python wsgi.py`, gevent, one process) beside the
bare Flask-SocketIO server of bench/_bare_server.py and the bare board page of
bench/_bare_board.py (the same server kind and database, the 20 newest rows through one query
and a Jinja template). For each page it keeps --connections clients busy for --seconds (each
keeps its cookies and its connection, as a browser would; --new-connections: one per request)
and prints requests per second and latency percentiles. Goals: the board's index and an item page
at ≥ 300 req/s with p95 ≤ 100 ms; the index with its cache off (NOTICE_CACHE_TTL=0) at ≥ 0.5×
the bare board page (`--ratio`: only those two).
"""
import argparse
import http.client
import os
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import record  # noqa: E402
from bench._resident import cpu_seconds  # noqa: E402
from bench.room import free_port, launch, pct, stop  # noqa: E402

GOAL_RPS, GOAL_P95_MS = 300, 100


# -- seeding ---------------------------------------------------------------------------------

def seed(database_url, items):
    """Bulk-insert `items` published items (60 % proposals, 30 % notices, 10 % meetings) in two
    communities, and one proposal through the real operations with its whole trail; then rebuild
    the board's index. Returns the paths to load and the seconds the index rebuild took."""
    os.environ.setdefault("SECRET_KEY", "bench")
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from app import create_app
    from app.auth.models import User, UserState
    from app.community.models import Body, Community, HandlerKind, HandlerMember, HandlerOrg, Street
    from app.core.timeutil import utcnow
    from app.extensions import db
    from app.meetings.models import AgendaItem, Meeting
    from app.notice import index
    from app.notice.models import Notice
    from app.proposals import operations as proposals
    from app.proposals import drafts
    from app.proposals.models import Proposal, ProposalSettings
    from bench.proposals import rows as proposal_rows

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        street = Street(name=f"基准街道{time.time()}")
        communities = [Community(street=street, name=name) for name in ("阳光社区", "和谐社区")]
        bodies = [Body.from_preset(c, "representatives_assembly") for c in communities]
        people = [User(phone=f"1390000{i:04d}", name=f"居民{i}", community=communities[i % 2],
                       state=UserState.VERIFIED) for i in range(4)]
        org = HandlerOrg(street=street, community=communities[0], kind=HandlerKind.PROPERTY,
                         name="阳光物业")
        db.session.add_all([street, *communities, *bodies, *people, org])
        db.session.flush()
        db.session.add(HandlerMember(org=org, user=people[2]))
        db.session.add(ProposalSettings(community_id=communities[0].id, cosign_threshold=1,
                                        window_days=14, review_days=7, reply_days=30,
                                        rehandle_days=15,
                                        categories_text="停车交通\n设施维修\n环境卫生\n绿化\n养老托幼"))
        for person in people:
            person.set_password("bench-password")
        db.session.commit()

        # The item page: a proposal with a whole trail, through the real operations.
        from app.auth.models import RoleKind
        from app.community.models import CommunityRole

        author, neighbour = people[0], people[2]     # both of the first community
        staff, handler = people[0], people[2]
        db.session.add(CommunityRole(user=staff, community=communities[0], kind=RoleKind.STAFF))
        db.session.commit()
        item = drafts.create_draft(author, communities[0], title="3号楼加装电梯，老人上下楼太难",
                                      category="设施维修",
                                      problem="3 号楼是 7 层老楼，楼里有十几位行动不便的老人，上下楼非常困难。",
                                      suggestion="申请政府加装电梯补贴，由居委会牵头征求全楼住户意见。",
                                      place="3号楼")
        proposals.publish(author, item)
        proposals.cosign(neighbour, item)
        proposals.accept(staff, item)
        proposals.assign(staff, item, org.id)
        proposals.answer(handler, item, "B", "已申请加装电梯补贴，正在征求全楼住户意见，预计明年开工。")
        proposals.rate(author, item, "satisfied")
        db.session.commit()
        item_id = item.id

        now = utcnow()
        n_proposals, n_notices = items * 6 // 10 - 1, items * 3 // 10
        n_meetings = items - 1 - n_proposals - n_notices
        started = time.perf_counter()
        batch = []
        for i, row in enumerate(proposal_rows(communities[0].id, author.id, n_proposals, now)):
            if row["state"] == "draft":
                row["state"] = "collecting"
            row["community_id"] = communities[i % 2].id
            row["published_dt"] = row["created_dt"]
            batch.append(row)
            if len(batch) == 5000:
                db.session.execute(insert(Proposal.__table__), batch)
                batch.clear()
        if batch:
            db.session.execute(insert(Proposal.__table__), batch)
        kinds = ["居务公开", "党务公开", "财务公开", "服务公开", "其他"]
        topics = ["停水通知", "燃气安全检查", "垃圾分类宣传", "绿化养护", "消防演练", "公共收益收支", "老年食堂开餐"]
        db.session.execute(insert(Notice.__table__), [{
            "community_id": communities[i % 2].id, "title": f"关于{topics[i % len(topics)]}的公告（第 {i} 号）",
            "category": kinds[i % len(kinds)], "state": "published", "created_by_id": author.id,
            "body": f"社区将于本周开展{topics[i % len(topics)]}工作，请居民相互转告。\n\n| 项目 | 安排 |\n| --- | --- |\n"
                    f"| 时间 | 周六上午 |\n| 地点 | {i % 9 + 1} 号楼 |",
            "created_dt": now - timedelta(minutes=i), "updated_dt": now - timedelta(minutes=i),
            "published_dt": now - timedelta(minutes=i)} for i in range(n_notices)])
        meeting_rows, agenda_rows = [], []
        first_meeting = (db.session.scalar(db.select(db.func.max(Meeting.id))) or 0) + 1
        for i in range(n_meetings):
            start = now - timedelta(days=i)
            held = i % 2 == 0
            meeting_rows.append({
                "id": first_meeting + i, "community_id": communities[i % 2].id,
                "body_id": bodies[i % 2].id, "title": f"第 {i} 次居民代表会议", "start_dt": start,
                "place": "社区活动中心", "mode": "hybrid", "state": "ended" if held else "announced",
                "current_item": 0, "speaker_limit_seconds": 180, "hall_secret": f"{i:032x}",
                "notice_text": "请各位代表准时参会。", "created_dt": start - timedelta(days=10),
                "announced_dt": start - timedelta(days=8), "started_dt": start if held else None,
                "ended_dt": start + timedelta(hours=2) if held else None,
                "minutes_text": "# 会议纪要\n\n- 出席：应到 20 人，实到 18 人" if held else None})
            agenda_rows += [{"meeting_id": first_meeting + i, "position": p, "title": title, "kind": "discussion"}
                            for p, title in enumerate(["夜间停车管理办法", "中心花园改造方案"])]
        db.session.execute(insert(Meeting.__table__), meeting_rows)
        db.session.execute(insert(AgendaItem.__table__), agenda_rows)
        db.session.commit()
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        counts = index.reindex()
        reindexed = time.perf_counter() - started
        notice_id = db.session.scalar(db.select(db.func.min(Notice.id)))
        first_community = communities[0].id
        total = sum(counts.values())
    paths = {
        "bare Flask page (bench/_bare_server.py)": None,
        "board index, page 1": "/notice/",
        "board, one community's proposals, page 20": f"/notice/?community={first_community}&kind=proposal&page=20",
        "board search 停车": "/notice/?q=%E5%81%9C%E8%BD%A6",
        "item: proposal with its trail": f"/notice/proposal/{item_id}",
        "item: general notice": f"/notice/general/{notice_id}",
        "Atom feed": "/notice/feed.atom",
    }
    return paths, total, counts, seeded, reindexed


# -- load ------------------------------------------------------------------------------------

def load(port, path, seconds, connections, keep_alive=True):
    """Keep `connections` clients busy on `path` for `seconds`: (requests, errors, latencies ms,
    elapsed s). Each client keeps its cookies, as a browser does, and its connection unless
    `keep_alive` is false (then `Connection: close`, like `ab` without -k). Every server here sets
    TCP_NODELAY, so a kept-alive response does not wait for the client's delayed ACK (Nagle).
    """
    latencies, errors = [], [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        cookie, mine, failed = None, [], 0
        while time.perf_counter() < deadline:
            headers = {"Cookie": cookie} if cookie else {}
            if not keep_alive:
                headers["Connection"] = "close"
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - t0)
            if response.status != 200:
                failed += 1
            set_cookie = response.getheader("Set-Cookie")
            if set_cookie:
                cookie = set_cookie.split(";", 1)[0]
            if not keep_alive:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return len(latencies), errors[0], [x * 1000 for x in latencies], elapsed


def start_app(database_url, tmp, **extra_env):
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, PORT=str(port), HOST="127.0.0.1",
               SECRET_KEY="bench", RATELIMIT_ENABLED="0", YISHI_INSTANCE=tmp, **extra_env)
    return port, launch([sys.executable, str(ROOT / "wsgi.py")], port, env)[1]


def start_bare():
    port = free_port()
    return port, launch([sys.executable, "-m", "bench._bare_server", str(port)], port)[1]


def start_bare_board(database_url):
    port = free_port()
    return port, launch([sys.executable, "-m", "bench._bare_board", str(port), database_url], port)[1]


BARE_BOARD = "bare board page: 20 newest rows, one query, a Jinja template (bench/_bare_board.py)"
UNCACHED_OF_BARE = 0.5


# Pages measured a second time with the board's render cache off (NOTICE_CACHE_TTL=0): what
# every request costs while the data keeps changing (e.g. during a live meeting).
UNCACHED = ("board index, page 1", "board search 停车", "item: proposal with its trail")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=8, help="concurrent clients")
    parser.add_argument("--new-connections", dest="keep_alive", action="store_false",
                        help="a new connection per request (default: each client keeps its own)")
    parser.add_argument("--database-url", default=None, help="an empty database (default: scratch SQLite)")
    parser.add_argument("--quick", action="store_true", help="a small run: 2,000 items, 2 s a page")
    parser.add_argument("--ratio", action="store_true",
                        help="only the bare board page and the index with its cache off (their ratio)")
    args = parser.parse_args()
    if args.quick:
        args.items, args.seconds = min(args.items, 2000), 2.0
    tmp = tempfile.mkdtemp(prefix="yishi-bench-notice-")
    database_url = args.database_url or f"sqlite:///{tmp}/notice.sqlite3"
    os.environ.setdefault("YISHI_INSTANCE", tmp)
    paths, total, counts, seeded, reindexed = seed(database_url, args.items)
    runs = [("", name, path) for name, path in paths.items()]
    runs += [("uncached", name, paths[name]) for name in UNCACHED]
    runs.insert(1, ("bare_board", BARE_BOARD, "/board"))
    if args.ratio:
        runs = [run for run in runs if run[0] == "bare_board"
                or (run[0] == "uncached" and run[2] == paths["board index, page 1"])]
    servers = {"bare_board": start_bare_board(database_url),
               "uncached": start_app(database_url, tmp, NOTICE_CACHE_TTL="0")}
    if not args.ratio:
        servers |= {"bare": start_bare(), "": start_app(database_url, tmp)}
    rows = []
    try:
        for server, name, path in runs:
            port = servers["bare" if path is None else server][0]
            path = path or "/healthz"
            label = f"{name} — cache off" if server == "uncached" else name
            load(port, path, min(2.0, args.seconds), args.connections, args.keep_alive)   # warm up
            pid = servers["bare" if path == "/healthz" else server][1].pid
            cpu0 = cpu_seconds(pid)
            n, errors, latencies, elapsed = load(port, path, args.seconds, args.connections,
                                                 args.keep_alive)
            cpu_ms = (cpu_seconds(pid) - cpu0) * 1000 / max(1, n)
            rows.append((label, path, n / elapsed, pct(latencies, 50), pct(latencies, 95),
                         pct(latencies, 99), errors, cpu_ms))
            print(f"  {label}: {n / elapsed:.0f} req/s, p95 {pct(latencies, 95):.1f} ms, "
                  f"{cpu_ms:.2f} ms CPU a request, errors {errors}", file=sys.stderr, flush=True)
    finally:
        stop(*(proc for _, proc in servers.values()))
    kind = "SQLite" if database_url.startswith("sqlite") else "PostgreSQL"
    from bench._resident import machine

    print(f"{machine()}; {kind}; {total:,} published items on the board "
          f"({', '.join(f'{k} {v:,}' for k, v in counts.items())}); seeded in {seeded:.1f} s, "
          f"index rebuilt (`flask notice reindex`) in {reindexed:.1f} s. One server process "
          f"(`python wsgi.py`, gevent) per row; {args.connections} concurrent clients for "
          f"{args.seconds:g} s per page, "
          f"{'each client keeping its connection' if args.keep_alive else 'a new connection per request'}, "
          f"the load generator (Python threads) on the same machine. \"cache off\": the same "
          f"server with NOTICE_CACHE_TTL=0, every request rendered from the database.\n")
    print("| page | path | req/s | p50 ms | p95 ms | p99 ms | server CPU a request | errors |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, path, rps, p50, p95, p99, errors, cpu_ms in rows:
        print(f"| {name} | `{path}` | {rps:.0f} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {cpu_ms:.2f} ms | {errors} |")
    summarise(rows, kind, args)
    board = [r for r in rows if r[0] in ("board index, page 1", "item: proposal with its trail")]
    if board:
        met = all(r[2] >= GOAL_RPS and r[4] <= GOAL_P95_MS and r[6] == 0 for r in board)
        print(f"\nGoal (index and item page ≥ {GOAL_RPS} req/s, p95 ≤ {GOAL_P95_MS} ms): "
              f"{'met' if met else 'NOT met'}.")
    by_name = {r[0]: r for r in rows}
    uncached = by_name.get("board index, page 1 — cache off")
    if uncached and by_name[BARE_BOARD][2]:
        ratio = uncached[2] / by_name[BARE_BOARD][2]
        print(f"Goal (index with its cache off ≥ {UNCACHED_OF_BARE:g}× the bare board page): {ratio:.2f}×, "
              f"{'met' if ratio >= UNCACHED_OF_BARE else 'NOT met'}.")


def summarise(rows, kind, args):
    by_name = {r[0]: r for r in rows}
    bare = next((r for r in rows if r[1] == "/healthz"), None)
    board = by_name[BARE_BOARD]
    setting = (f"{args.items:,} items, {kind}, one process, {args.connections} "
               f"{'keep-alive ' if args.keep_alive else ''}clients")
    for name in ("board index, page 1", "item: proposal with its trail"):
        if name not in by_name or bare is None:
            continue
        _, _, rps, _, p95, _, errors, _ = by_name[name]
        record(f"notice board: {name}", setting, f"{rps:.0f} req/s, p95 {p95:.1f} ms"
               + (f", **{errors} errors**" if errors else ""),
               f"{bare[2]:.0f} req/s, p95 {bare[4]:.1f} ms (bare Flask `/healthz`)",
               f"≥ {GOAL_RPS} req/s, p95 ≤ {GOAL_P95_MS} ms",
               rps >= GOAL_RPS and p95 <= GOAL_P95_MS and not errors)
    name = "board index, page 1 — cache off"
    if name in by_name:
        _, _, rps, _, p95, _, errors, cpu_ms = by_name[name]
        ratio = rps / board[2] if board[2] else float("nan")
        record("notice board: board index, page 1 — cache off (`NOTICE_CACHE_TTL=0`)", setting,
               f"{rps:.0f} req/s ({ratio:.2f}×), p95 {p95:.1f} ms, {cpu_ms:.2f} ms CPU a request"
               + (f", **{errors} errors**" if errors else ""),
               f"{board[2]:.0f} req/s, p95 {board[4]:.1f} ms, {board[7]:.2f} ms CPU a request (bare "
               "Flask page of the same 20 rows from the same database)", f"≥ {UNCACHED_OF_BARE:g}× the bare page",
               ratio >= UNCACHED_OF_BARE and not errors)


if __name__ == "__main__":
    main()
