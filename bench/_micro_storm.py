"""A micro-project voting storm: every resident of a community casts a ballot at the same moment.

Shared by bench/microprojects.py and tests/integration/test_microprojects_storm.py.

`seed_round(n)` (inside an app context) makes a community of n verified residents, each with an
API token, and a round in its voting phase whose shortlist is fixed; it returns
(round_id, idea_ids, tokens). `storm(url, round_id, picks, tokens)` posts every ballot to
/api/v1/micro/rounds/<id>/ballot at once over aiohttp and returns one `Ack` per resident.
`stored(round_id)` counts what the database holds.
"""
import asyncio
import random
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta


def seed_round(n, fund_fen=100_000_00, projects=4):
    from sqlalchemy import insert

    from app.auth.models import ApiToken, RoleKind, User, UserState, hash_secret
    from app.community.models import Community, CommunityRole, Household, Street
    from app.core.timeutil import utcnow
    from app.extensions import db
    from app.microprojects.models import MicroIdea, MicroRound, Screening
    from app.microprojects.rules import DATE_FIELDS

    stamp = uuid.uuid4().hex[:8]
    street = Street(name=f"基准街道{stamp}")
    community = Community(street=street, name="基准社区")
    db.session.add_all([street, community])
    db.session.flush()
    # The residents, their households and their API tokens by bulk insert (one statement each, no
    # unit-of-work per row): a storm's set-up should cost a fraction of the storm.
    household_ids = db.session.scalars(
        insert(Household).returning(Household.id, sort_by_parameter_order=True),
        [{"community_id": community.id, "building": str(i // 100), "unit": "1", "room": str(i)}
         for i in range(n)]).all()
    phones = _phones(n + 1)
    user_ids = db.session.scalars(
        insert(User).returning(User.id, sort_by_parameter_order=True),
        [{"phone": phones[i], "name": f"居民{i}", "community_id": community.id, "household_id": household_ids[i],
          "state": UserState.VERIFIED} for i in range(n)]).all()
    staff = User(phone=phones[n], name="社工", community=community, state=UserState.VERIFIED)
    staff.roles.append(CommunityRole(community=community, kind=RoleKind.STAFF))
    db.session.add(staff)
    db.session.flush()
    now = utcnow()
    start = now - timedelta(days=31)
    round_ = MicroRound(community_id=community.id, title="基准年度项目", year=now.year, fund_fen=fund_fen,
                        service_cap_fen=fund_fen, goods_cap_fen=fund_fen, works_cap_fen=fund_fen,
                        choice_mode="up_to_k", max_choices=2, created_by_id=staff.id,
                        shortlist_fixed_dt=now - timedelta(days=2),
                        **{name: start + timedelta(days=10 * i) for i, name in enumerate(DATE_FIELDS)})
    db.session.add(round_)
    db.session.flush()
    ideas = [MicroIdea(round_id=round_.id, community_id=community.id, source="online", author_id=user_ids[i],
                       title=f"基准项目{i}", description="基准测试用的项目说明文字。", kind="service",
                       category="其他", screening=Screening.FEASIBLE, estimate_fen=fund_fen // (projects + 1),
                       is_shortlisted=True) for i in range(projects)]
    db.session.add_all(ideas)
    tokens = [secrets.token_urlsafe(32) for _ in user_ids]
    expires = now + timedelta(days=1)
    db.session.execute(insert(ApiToken), [{"user_id": u, "token_hash": hash_secret(raw), "expires_dt": expires}
                                          for u, raw in zip(user_ids, tokens, strict=True)])
    db.session.commit()
    return round_.id, [i.id for i in ideas], tokens


def _phones(n):
    """n distinct made-up mobile numbers."""
    return [f"1{x:010d}" for x in random.sample(range(10**10), n)]


@dataclass
class Ack:
    ok: bool
    receipt: str | None
    error: str | None
    ms: float | None


async def storm(url, round_id, picks, tokens, timeout=120, concurrency=200, path=None):
    """Post every ballot at the same moment (at most `concurrency` connections open at once).
    Returns (acks, seconds from the first request to the last answer)."""
    import aiohttp

    path = path or f"/api/v1/micro/rounds/{round_id}/ballot"
    go = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as session:

        async def cast(i, token):
            await go.wait()
            t0 = time.perf_counter()
            try:
                async with session.post(url + path, json={"picks": picks[i % len(picks)]},
                                        headers={"Authorization": f"Bearer {token}"}) as response:
                    body = await response.json()
            except Exception as exc:  # noqa: BLE001 - a dead server or a timeout is a result here
                return Ack(False, None, type(exc).__name__, None)
            ms = (time.perf_counter() - t0) * 1000
            if response.status == 201:
                return Ack(True, body.get("receipt"), None, ms)
            return Ack(False, None, body.get("error", {}).get("code"), ms)

        tasks = [asyncio.create_task(cast(i, t)) for i, t in enumerate(tokens)]
        await asyncio.sleep(0.1)
        started = time.perf_counter()
        go.set()
        acks = await asyncio.gather(*tasks)
        return acks, time.perf_counter() - started


def stored(round_id):
    """(participations, ballots, distinct receipts, votes per idea) as the database holds them."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.microprojects.models import MicroBallot, MicroParticipation, MicroRound
    from app.microprojects.voting import count_votes

    db.session.rollback()
    voters = db.session.scalar(select(func.count()).select_from(MicroParticipation)
                               .where(MicroParticipation.round_id == round_id))
    ballots = db.session.scalar(select(func.count()).select_from(MicroBallot).where(MicroBallot.round_id == round_id))
    receipts = set(db.session.scalars(select(MicroBallot.receipt).where(MicroBallot.round_id == round_id)))
    counts = count_votes(db.session.get(MicroRound, round_id))
    return voters, ballots, receipts, counts
