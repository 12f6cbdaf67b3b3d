"""How the proposal list and search pages scale: 1,000 against 100,000 proposals in one community.

    .venv/bin/python -m bench.proposals [--n 100000] [--base 1000] [--repeat 31]
                                         [--postgres postgresql://user@host/db]

Seeds a scratch SQLite database (and the PostgreSQL one given, which it empties first) with one
street of two communities, 1,000 and 100,000 proposals, by bulk inserts, then times each page
through Flask's test client in both communities, their requests taking turns so that the
machine's drift falls on both alike: the median of --repeat requests each, after warm-ups, and
prints a markdown table. A search's page 25 is compared with the small community's last page of
that search, since it has no page 25.
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._heap import heap_frozen  # noqa: E402
from bench._report import postgres_url, record  # noqa: E402

PASSWORD = "bench-password"
PLACES = ["1号楼", "2号楼", "3号楼", "东门", "西门", "南侧广场", "地下车库", "幼儿园旁", "菜市场", "健身角"]
TOPICS = [
    ("停车交通", ["停车位不够", "电动车乱停", "停车难", "消防通道被占", "非机动车棚"]),
    ("设施维修", ["加装电梯", "楼道灯不亮", "井盖松动", "屋顶漏水", "水管老化"]),
    ("环境卫生", ["垃圾分类", "垃圾桶满溢", "宠物粪便", "楼道堆物", "噪音扰民"]),
    ("绿化", ["绿化带杂草", "树木修剪", "草坪破坏", "增加花坛", "枯树清理"]),
    ("养老托幼", ["老年食堂", "托育点", "助老服务", "适老化改造", "日间照料"]),
]
STATES = ["collecting"] * 3 + ["under_review", "accepted", "assigned", "answered", "closed",
                                "closed", "declined", "expired"]


def rows(community_id, author_id, n, now):
    rng = random.Random(42)
    for i in range(n):
        category, subjects = TOPICS[i % len(TOPICS)]
        subject = rng.choice(subjects)
        place = rng.choice(PLACES)
        state = rng.choice(STATES)
        created = now - timedelta(minutes=n - i)
        published = created if state != "draft" else None
        yield {
            "community_id": community_id, "author_id": author_id,
            "title": f"{place}{subject}的问题（{i}）", "category": category,
            "problem": f"{place}附近{subject}，居民反映多次，影响日常生活。", "suggestion": f"建议尽快处理{subject}。",
            "place": place, "state": state, "created_dt": created, "updated_dt": created,
            "published_dt": published, "cosign_count": rng.randint(0, 6),
            "review_started_dt": created if state in ("under_review", "accepted", "assigned") else None,
            "assigned_dt": created if state == "assigned" else None,
            "reply_due_dt": created + timedelta(days=30) if state == "assigned" else None,
            "is_extended": False, "rehandle_count": 0,
        }


def seed(app, sizes):
    """One street with a community per size, each with its own resident and that many proposals;
    returns [(community id, resident's phone)] and the seconds the seeding took."""
    from sqlalchemy import insert, text

    from app.auth.models import User, UserState
    from app.community.models import Community, Street
    from app.core.timeutil import utcnow
    from app.extensions import db
    from app.proposals.models import Proposal, ProposalTerm

    with app.app_context():
        db.drop_all()
        db.create_all()
        street = Street(name="基准街道")
        people = []
        for k, n in enumerate(sizes):
            community = Community(street=street, name=f"基准社区（{n:,} 项）")
            user = User(phone=f"1390000000{k}", name=f"基准居民{k}", community=community,
                        state=UserState.VERIFIED)
            user.set_password(PASSWORD)
            people.append((community, user))
        db.session.add_all([street, *(x for pair in people for x in pair)])
        db.session.commit()
        now = utcnow()
        started = time.perf_counter()
        next_id = 1
        batch, terms = [], []

        def flush():
            db.session.execute(insert(Proposal.__table__), batch)
            db.session.execute(insert(ProposalTerm.__table__), terms)
            batch.clear()
            terms.clear()

        for (community, user), n in zip(people, sizes):
            for row in rows(community.id, user.id, n, now):
                # Explicit ids, so the search index rows can name them without a round trip.
                row["id"] = next_id
                batch.append(row)
                terms.extend({"community_id": community.id, "term": t, "proposal_id": next_id}
                             for t in ProposalTerm.terms_of(row["title"], row["problem"]))
                next_id += 1
                if len(batch) == 5000:
                    flush()
        if batch:
            flush()
        db.session.commit()
        # Fresh statistics, and on PostgreSQL a visibility map, as autovacuum would leave them
        # (without it index-only scans still read every row).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql"
                              else "ANALYZE"))
        seconds = time.perf_counter() - started
        return [(c.id, u.phone) for c, u in people], seconds


def get(client, url):
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return time.perf_counter() - started


def timed_pair(small, large, repeat):
    """Median ms of each (client, url), their requests taking turns, so that the machine's drift
    during the run falls on both alike."""
    for _ in range(WARMUP):
        get(*small), get(*large)
    times = [(get(*small), get(*large)) for _ in range(repeat)]
    return tuple(statistics.median(t[k] for t in times) * 1000 for k in (0, 1))


def search_pages(app, community_id, q):
    """How many pages a search has (the count shown is capped, and so is this)."""
    from app.auth.models import User
    from app.community.models import Community
    from app.extensions import db
    from app.proposals import queries

    with app.app_context():
        community = db.session.get(Community, community_id)
        user = User.query.filter_by(community_id=community_id).first()
        return queries.list_proposals(community, user, q=q).pages


def pages_of(app, community_id, n):
    base = f"/c/{community_id}/proposals/"
    # Page 25 of a search when it has one; a small community's search has fewer pages, and
    # its last page (not an empty page 25) is what it is compared with.
    search_deep = min(DEEP_SEARCH_PAGE, search_pages(app, community_id, "停车"))
    return search_deep, {
        "list, page 1": base,
        "list, deep page (middle)": f"{base}?page={max(1, (n // 20) // 2)}",
        "list, filter 征集附议中": f"{base}?state=collecting",
        "search 停车, page 1": f"{base}?q=停车",
        DEEP_SEARCH: f"{base}?q=停车&page={search_deep}",
        "search 3号楼 加装电梯": f"{base}?q=3号楼加装电梯",
    }


def measure(url, base_n, n, repeat):
    """Both communities in one database, each page timed in both by turns: (seeding seconds,
    the small community's deep search page, its medians, the large community's medians)."""
    from app import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                      "UPLOAD_DIR": tempfile.mkdtemp(), "PROPAGATE_EXCEPTIONS": True})
    people, seed_s = seed(app, [base_n, n])
    (small_id, small_phone), (large_id, large_phone) = people
    clients = []
    for phone in (small_phone, large_phone):
        client = app.test_client()
        response = client.post("/auth/login", data={"phone": phone, "password": PASSWORD})
        assert response.status_code == 302
        clients.append(client)
    small_deep, small_pages = pages_of(app, small_id, base_n)
    large_deep, large_pages = pages_of(app, large_id, n)
    assert large_deep == DEEP_SEARCH_PAGE, "the large community's search has a page 25"
    small, large = {}, {}
    # What the seeding left in this process is not a server's heap: frozen while timing.
    with heap_frozen():
        for name in small_pages:
            small[name], large[name] = timed_pair((clients[0], small_pages[name]),
                                                  (clients[1], large_pages[name]), repeat)
    return seed_s, small_deep, small, large


DEEP_SEARCH_PAGE = 25
DEEP_SEARCH = f"search 停车, page {DEEP_SEARCH_PAGE}"
WARMUP = 5
# The pages the summary table carries (every page is in the script's own table).
SUMMARY_PAGES = ("list, page 1", DEEP_SEARCH, "search 3号楼 加装电梯")


def report(label, n, base_n, small, large, small_deep):
    print(f"\n### {label}: {base_n:,} vs {n:,} proposals (median ms)\n")
    print(f"| page | {base_n:,} | {n:,} | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for name in small:
        shown = small_label(name, small_deep)
        print(f"| {name} | {small[name]:.1f}{shown} | {large[name]:.1f} | "
              f"{large[name] / small[name]:.2f}× |")


def small_label(name, small_deep):
    """A note for the small community's figure when its search had no page 25."""
    if name == DEEP_SEARCH and small_deep < DEEP_SEARCH_PAGE:
        return f" (its last page, {small_deep})"
    return ""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--base", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=31)
    parser.add_argument("--postgres", default=postgres_url(),
                        help="a PostgreSQL URL to bench as well, emptied first (default: "
                             "BENCH_DATABASE_URL or TEST_DATABASE_URL)")
    parser.add_argument("--quick", action="store_true", help="a small run: 10,000 proposals, 7 repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.repeat = min(args.n, 10_000), 7
    os.environ.setdefault("YISHI_INSTANCE", tempfile.mkdtemp())
    targets = []
    scratch = Path(tempfile.mkdtemp())
    targets.append(("SQLite", lambda: f"sqlite:///{scratch / 'bench.sqlite3'}"))
    if args.postgres:
        from app import normalise_database_url

        targets.append(("PostgreSQL", lambda: normalise_database_url(args.postgres)))
    for label, url_for in targets:
        seed_s, small_deep, small, large = measure(url_for(), args.base, args.n, args.repeat)
        print(f"\n{label}: seeded {args.base + args.n:,} proposals in {seed_s:.1f} s")
        report(label, args.n, args.base, small, large, small_deep)
        for name in SUMMARY_PAGES:
            ratio = large[name] / small[name]
            record(f"proposal {name}", f"{args.n:,} proposals in one community, {label}",
                   f"{large[name]:.1f} ms ({ratio:.2f}×)", f"{small[name]:.1f} ms at {args.base:,} proposals{small_label(name, small_deep)}",
                   "under 2× the small community", ratio < 2)


if __name__ == "__main__":
    main()
