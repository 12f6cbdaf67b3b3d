"""A page's number of SQL statements does not grow with the data (issue 21, point 4): each list and
detail page of each area, and each API list endpoint, is opened as its users open it with a community
of 10 things, then of 60, and must execute the same number of statements both times."""
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import insert

from app.auth.models import ApiToken
from app.community.models import HandlerKind, HandlerMember, HandlerOrg
from app.core.notify import Notification
from app.core.timeutil import utcnow
from app.proposals.models import (Proposal, ProposalComment, ProposalCosign, ProposalFollow,
                                  ProposalReply)
from app.proposals.workflow import ProposalState
from tests.conftest import login
from tests.integration.querycount import apart, statements_of

SMALL, LARGE = 10, 60


@pytest.fixture(autouse=True)
def settled(db):
    """Check-ins and hall entries start the room's presence and progress messages in background
    threads that read the database a moment later: let them finish before the tables are emptied."""
    import time

    from app.meetings import live as meeting_live
    from app.votes import operations as vote_ops

    yield
    deadline = time.monotonic() + 5
    while (getattr(meeting_live, "_presence_pending", None) or getattr(vote_ops, "_progress_pending", None)) \
            and time.monotonic() < deadline:
        time.sleep(0.05)


class Street:
    """One community of a street with its staff (admin and staff), a resident, the street's admin,
    a handler of its property company, and residents made on demand."""

    def __init__(self, app, make, db):
        self.app, self.make, self.db = app, make, db
        self.c = make.community("阳光社区")
        self.street = self.c.street
        self.admin = make.user(self.c, name="李管理员", roles=["admin", "staff"])
        self.resident = make.user(self.c, name="张阿姨", room="102")
        self.street_admin = make.user(None, name="街道王科长", street_admin_of=self.street)
        self.org = HandlerOrg(street=self.street, community=self.c, kind=HandlerKind.PROPERTY, name="阳光物业")
        self.handler = make.user(None, name="物业小陈")
        db.session.add_all([self.org, HandlerMember(org=self.org, user=self.handler)])
        db.session.commit()
        self.browsers = {}
        self._room = 200

    def people(self, n):
        """n new verified residents, each in a household of their own."""
        made = []
        for _ in range(n):
            self._room += 1
            made.append(self.make.user(self.c, name=f"居民{self._room}", room=str(self._room), password=None))
        return made

    def browser(self, who):
        """A test client logged in as `who` ("admin", "resident", "handler"), kept for the test."""
        if who not in self.browsers:
            client = self.app.test_client()
            # The phone is read here: the thread has no session to load an expired user with.
            apart(login, client, SimpleNamespace(phone=getattr(self, who).phone))
            self.browsers[who] = client
        return self.browsers[who]

    def token(self, who):
        _, raw = ApiToken.issue(getattr(self, who), 1)
        self.db.session.commit()
        return {"Authorization": f"Bearer {raw}"}


@pytest.fixture()
def street(app, make, db, monkeypatch):
    # The board's page cache off: every visitor's page is rendered, so its queries are counted.
    monkeypatch.setitem(app.config, "NOTICE_CACHE_TTL", 0)
    return Street(app, make, db)


def counts(street, pages):
    """{(who, page): statements} for pages given as {page: url} per who: "admin" and the like open
    them logged in; "api:<who>" opens them with a bearer token of <who>."""
    found = {}
    for who, urls in pages.items():
        if who.startswith("api:"):
            client, kwargs = street.app.test_client(), {"headers": street.token(who[4:])}
        else:
            client, kwargs = street.browser(who), {}
        for page, url in urls.items():
            found[(who, page)] = len(statements_of(client, url, **kwargs))
    return found


def assert_flat(small, large):
    grown = {page: (small[page], large[page]) for page in small if small[page] != large[page]}
    assert not grown, f"statements grew with the data ({SMALL} -> {LARGE}): {grown}"


# -- proposals -------------------------------------------------------------------------------------

STATES = [ProposalState.collecting, ProposalState.under_review, ProposalState.accepted,
          ProposalState.assigned, ProposalState.answered, ProposalState.declined]


def add_proposals(street, n):
    """n published proposals by n authors in every state, each co-signed, followed and commented by
    neighbours; the assigned ones overdue with the handler, the answered ones with its reply.
    Returns the last one, with n comments, co-signs, followers."""
    people = street.people(n)
    now = utcnow()
    made = []
    for i, author in enumerate(people):
        state = STATES[i % len(STATES)]
        p = Proposal(community_id=street.c.id, author_id=author.id, title=f"提案{author.id}：楼道灯维修",
                     category="设施维修", problem="楼道灯坏了，晚上看不见台阶。", suggestion="尽快更换。",
                     place="3号楼", state=state.value, published_dt=now - timedelta(days=20),
                     created_dt=now - timedelta(days=21), cosign_count=2,
                     review_started_dt=now - timedelta(days=19), decline_ground=None)
        if state in (ProposalState.assigned, ProposalState.answered):
            p.handler_org_id, p.assigned_dt = street.org.id, now - timedelta(days=18)
            p.reply_due_dt = now - timedelta(days=1)     # overdue: on the street's overview
        if state is ProposalState.declined:
            p.decline_ground, p.decline_reason = "not_community_affair", "不属于社区事务。"
        made.append(p)
    street.db.session.add_all(made)
    street.db.session.flush()
    rows = {"cosign": [], "follow": [], "comment": [], "reply": []}
    for i, p in enumerate(made):
        for other in (people[(i + 1) % n], people[(i + 2) % n]):
            rows["cosign"].append({"proposal_id": p.id, "user_id": other.id, "created_dt": now})
            rows["follow"].append({"proposal_id": p.id, "user_id": other.id, "created_dt": now})
            rows["comment"].append({"proposal_id": p.id, "author_id": other.id, "body": "同意，**尽快**。",
                                    "created_dt": now, "is_hidden": False})
        if p.state == ProposalState.answered.value:
            rows["reply"].append({"proposal_id": p.id, "org_id": street.org.id, "author_id": street.handler.id,
                                  "category": "B", "body": "已安排电工。", "is_late": False,
                                  "created_dt": now, "rating": "satisfied", "rated_dt": now})
    # The detail page's proposal: answered, with every neighbour's co-sign, follow and comment.
    last = made[-1]
    last.state, last.handler_org_id, last.cosign_count = ProposalState.answered.value, street.org.id, n
    for other in people[:-1]:
        if other.id not in {people[0].id, people[1].id}:   # those two co-signed it above already
            rows["cosign"].append({"proposal_id": last.id, "user_id": other.id, "created_dt": now,
                                   "rating": "satisfied"})
            rows["follow"].append({"proposal_id": last.id, "user_id": other.id, "created_dt": now})
        rows["comment"].append({"proposal_id": last.id, "author_id": other.id, "body": "我也遇到过。",
                                "created_dt": now, "is_hidden": other.id % 5 == 0,
                                "hidden_by_id": street.admin.id if other.id % 5 == 0 else None,
                                "hidden_reason": "人身攻击" if other.id % 5 == 0 else None})
    for reply in range(2):
        rows["reply"].append({"proposal_id": last.id, "org_id": street.org.id, "author_id": street.handler.id,
                              "category": "B", "body": f"第{reply + 1}次答复。", "is_late": False,
                              "created_dt": now})
    for model, key in ((ProposalCosign, "cosign"), (ProposalFollow, "follow"), (ProposalComment, "comment"),
                       (ProposalReply, "reply")):
        if rows[key]:
            street.db.session.execute(insert(model), rows[key])
    street.db.session.commit()
    return last


def proposal_pages(street, detail):
    c = street.c.id
    pages = {who: {"list": f"/c/{c}/proposals/", "list of one state": f"/c/{c}/proposals/?state=assigned",
                   "proposal": f"/c/{c}/proposals/{detail.id}"} for who in ("admin", "resident")}
    pages["admin"]["staff queue"] = f"/c/{c}/proposals/queue"
    pages["street_admin"] = {"street overview": f"/street/{street.street.id}/proposals"}
    pages["handler"] = {"handler queue": "/proposals/handling", "proposal": f"/c/{c}/proposals/{detail.id}"}
    pages["api:resident"] = {"GET /api/v1/proposals": "/api/v1/proposals"}
    pages["api:admin"] = {"GET /api/v1/proposals": "/api/v1/proposals?state=answered"}
    pages["api:handler"] = {"GET /api/v1/proposals?handling": "/api/v1/proposals?handling=true"}
    return pages


def test_proposal_pages(street):
    small = counts(street, proposal_pages(street, add_proposals(street, SMALL)))
    large = counts(street, proposal_pages(street, add_proposals(street, LARGE - SMALL)))
    assert_flat(small, large)


def test_street_overview_does_not_grow_with_its_communities(street):
    """The street's overviews count each community's residents, bodies and proposals in a few
    queries, not a few per community."""
    pages = {"street_admin": {"street": f"/street/{street.street.id}/",
                              "proposals": f"/street/{street.street.id}/proposals"}}
    add_proposals(street, SMALL)
    before = counts(street, pages)
    for i in range(3):
        community = street.make.community(f"第{i}社区", street=street.street)
        person = street.make.user(community, name=f"第{i}社区居民", room=str(300 + i))
        street.db.session.add(Proposal(community_id=community.id, author_id=person.id, title="楼道灯",
                                       category="设施维修", problem="坏了。", suggestion="修。", place="1号楼",
                                       state=ProposalState.under_review.value, created_dt=utcnow(),
                                       published_dt=utcnow() - timedelta(days=30),
                                       review_started_dt=utcnow() - timedelta(days=30)))
        street.db.session.commit()
    after = counts(street, pages)
    assert after == before, (before, after)
    page = street.browser("street_admin").get(f"/street/{street.street.id}/").get_data(as_text=True)
    assert page.count('href="/c/') >= 4


def test_a_large_streets_residents_are_kept_a_minute_but_those_waiting_are_counted_afresh(street, monkeypatch):
    """Counting 200,000 residents on every view of the street's overview is kept a minute; the
    admin acts on those waiting for verification, so that figure is always today's."""
    import re

    from app.core import paging

    monkeypatch.setattr(paging, "KEPT_COUNT_MIN", 1)
    monkeypatch.setattr(paging, "_kept", type(paging._kept)(maxsize=10, ttl=60))

    def row():
        page = street.browser("street_admin").get(f"/street/{street.street.id}/").get_data(as_text=True)
        cells = re.search(rf'/c/{street.c.id}/admin/residents">[^<]*</a></td>\s*<td>(\d+)</td><td>(\d+)</td>', page)
        return int(cells.group(1)), int(cells.group(2))

    residents, pending = row()
    street.make.user(street.c, name="新来的居民", room="901", verified=False)
    street.people(1)
    assert row() == (residents, pending + 1)
    monkeypatch.setattr(paging, "_kept", type(paging._kept)(maxsize=10, ttl=60))   # the minute is over
    assert row() == (residents + 1, pending + 1)


# -- requests to convene ---------------------------------------------------------------------------

def add_convene_requests(street, n):
    """n requests to convene the two bodies that have a legal share, each joined by n residents."""
    from app.meetings.models import ConveneRequest, ConveneSupporter

    bodies = [street.c.body_by_preset(key) for key in ("representatives_assembly", "residents_assembly")]
    people = street.people(n)
    for i in range(n):
        request = ConveneRequest(community_id=street.c.id, body=bodies[i % 2], created_by_id=people[i].id,
                                 subject=f"提议{i}：讨论加装电梯")
        request.supporters = [ConveneSupporter(user_id=p.id) for p in people]
        street.db.session.add(request)
    street.db.session.commit()


def test_requests_to_convene(street):
    pages = {who: {"convene": f"/c/{street.c.id}/convene"} for who in ("admin", "resident")}
    add_convene_requests(street, SMALL)
    small = counts(street, pages)
    add_convene_requests(street, LARGE - SMALL)
    assert_flat(small, counts(street, pages))


# -- meetings, their votes, the matters they decide, the notice board ------------------------------

def add_meetings(street, n):
    """A body of n members (and the resident) and a meeting of it with n agenda items, each voted on (a named vote
    entered from the hall), n chat messages, ended with its minutes; n - 1 more meetings on the
    list, announced. Returns the meeting."""
    from app.meetings import live
    from app.meetings import operations as meetings
    from app.votes import operations as votes

    db = street.db
    body = street.c.body_by_preset("representatives_assembly")
    if not any(m.user_id == street.admin.id for m in body.memberships):
        street.make.member(body, street.admin, role="chair")
        street.make.member(body, street.resident)   # the resident is a representative
    members = street.people(n)
    for member in members:
        street.make.member(body, member)
    start = utcnow() + timedelta(minutes=10)   # announced 30 days ago, due now
    meeting = meetings.create_meeting(street.admin, body, title=f"居民代表会议（{n}项）", start_dt=start,
                                      place="社区活动中心")
    for i in range(n):
        meetings.add_item(street.admin, meeting, title=f"第{i + 1}项：楼道灯", description="**说明**")
    meetings.announce(street.admin, meeting, now=start - timedelta(days=30), notice_text="请准时参会。")
    meetings.start(street.admin, meeting)
    for member in members:
        live.check_in(street.admin, meeting, member.id)
    db.session.commit()
    for i, member in enumerate(members):
        live.post_chat(member, meeting, f"发言{i}")
    db.session.commit()
    for i in range(n):
        live.next_item(street.admin, meeting, i)
        vote = votes.open_vote(street.admin, meeting)
        db.session.commit()
        votes.enter_hall_votes(street.admin, vote, entries={m.id: "yes" if k % 3 else "no"
                                                            for k, m in enumerate(members[:5])})
        db.session.commit()
        votes.close_vote(street.admin, vote)
        db.session.commit()
    meetings.end_meeting(street.admin, meeting)
    db.session.commit()
    for i in range(n - 1):
        other = meetings.create_meeting(street.admin, body, title=f"会议{i}", start_dt=utcnow() + timedelta(days=40),
                                        place="社区活动中心")
        meetings.add_item(street.admin, other, title="议题", description="说明")
        meetings.announce(street.admin, other)
    db.session.commit()
    return meeting


def add_matters(street, n, meeting):
    """n matters at every stage by n drafters, each decided at `meeting` (a step per vote of it,
    up to four), objected to, reported on and followed by n residents. Returns the last one."""
    from app.matters.models import Matter, MatterFollow, MatterObjection, MatterReport, MatterStep
    from app.matters.workflow import MatterStage, Outcome
    from app.votes.models import Vote

    db = street.db
    people = street.people(n)
    stages = list(MatterStage)
    vote_ids = [v.id for v in Vote.query.filter_by(meeting_id=meeting.id).order_by(Vote.id).limit(4)]
    now = utcnow()
    made = [Matter(community_id=street.c.id, title=f"事项{p.id}：加装电梯", kind="其他",
                   stage=stages[i % len(stages)], plan="## 方案\n\n分两期。", budget_fen=1200000,
                   created_by_id=p.id, objection_days=7, resolution_published_dt=now - timedelta(days=3))
            for i, p in enumerate(people)]
    last = made[-1]
    last.stage = MatterStage.implementation
    db.session.add_all(made)
    db.session.flush()
    steps, objections, reports, follows = [], [], [], []
    for matter in made:
        for k, vote_id in enumerate(vote_ids[:min(4, stages.index(matter.stage))]):
            steps.append({"matter_id": matter.id, "round": 1, "stage": stages[k], "meeting_id": meeting.id,
                          "vote_id": vote_id, "passed": True, "quorum_met": True, "is_merged": False,
                          "outcome": Outcome.advanced, "from_stage": stages[k], "to_stage": stages[k + 1],
                          "result_text": "通过", "attendance_text": "到会", "actor_id": street.admin.id,
                          "created_dt": now})
    for i, p in enumerate(people):
        objections.append({"matter_id": last.id, "round": 1, "author_id": p.id, "text": "费用太高。",
                           "created_dt": now, "answer": "已核算。" if i % 2 else None,
                           "answered_dt": now if i % 2 else None,
                           "answered_by_id": street.admin.id if i % 2 else None})
        reports.append({"matter_id": last.id, "author_id": street.admin.id if i % 2 else p.id,
                        "text": f"完成{i}%", "percent_done": min(i, 100), "spent_fen": i * 100, "created_dt": now})
        follows.append({"matter_id": last.id, "user_id": p.id, "created_dt": now})
    for model, rows in ((MatterStep, steps), (MatterObjection, objections), (MatterReport, reports),
                        (MatterFollow, follows)):
        if rows:
            db.session.execute(insert(model), rows)
    db.session.commit()
    return last


def add_notices(street, n):
    from app.notice import operations as notices

    made = [notices.create(street.admin, street.c, title=f"第{i}期财务公开", category="财务公开",
                           body="| 项目 | 金额 |\n| --- | --- |\n| 拨款 | 12,000 元 |", publish_now=True)
            for i in range(n)]
    street.db.session.commit()
    return made[-1]


def add_notifications(street, n):
    for who in (street.admin, street.resident):
        street.db.session.execute(insert(Notification), [
            {"user_id": who.id, "text": f"您关注的提案有新进展（{i}）", "url": f"/c/{street.c.id}/proposals/",
             "is_read": i % 2 == 0, "created_dt": utcnow()} for i in range(n)])
    street.db.session.commit()


def grow(street, n):
    """n more of everything: proposals, a meeting of n votes (and n - 1 more meetings), matters
    decided at it, notices, notifications; the board's index rebuilt (the direct inserts sent no
    signals). Returns the detail pages' records."""
    from app.notice import index

    found = {"proposal": add_proposals(street, n), "meeting": add_meetings(street, n)}
    found["matter"] = add_matters(street, n, found["meeting"])
    found["notice"] = add_notices(street, n)
    add_notifications(street, n)
    index.reindex()
    return found


def every_page(street, made):
    c, meeting, matter, proposal = street.c.id, made["meeting"].id, made["matter"].id, made["proposal"].id
    pages = proposal_pages(street, made["proposal"])
    for who in ("admin", "resident"):
        pages[who] |= {
            "matters": f"/c/{c}/matters/", "matter": f"/c/{c}/matters/{matter}",
            "meetings": f"/c/{c}/meetings", "meeting": f"/meetings/{meeting}",
            "room": f"/meetings/{meeting}/room", "minutes": f"/meetings/{meeting}/minutes",
            "board": "/notice/", "board of the community": f"/notice/?community={c}",
            "board: a proposal": f"/notice/proposal/{proposal}", "board: a meeting": f"/notice/meeting/{meeting}",
            "board: a resolution": f"/notice/resolution/{matter}",
            "board: a notice": f"/notice/general/{made['notice'].id}",
            "statistics": "/notice/stats", "feed": "/notice/feed.atom",
            "notifications": "/notifications",
        }
    pages["admin"]["residents"] = f"/c/{c}/admin/residents"
    for who in ("api:admin", "api:resident"):
        pages.setdefault(who, {})
        pages[who] |= {"GET /api/v1/proposals": "/api/v1/proposals",
                       "GET /api/v1/notices": "/api/v1/notices",
                       "GET /api/v1/matters": f"/api/v1/matters?community_id={c}",
                       "GET /api/v1/meetings/<id>": f"/api/v1/meetings/{meeting}",
                       "GET /api/v1/meetings/<id>/votes": f"/api/v1/meetings/{meeting}/votes"}
    return pages


def test_every_list_and_detail_page(street):
    small = counts(street, every_page(street, grow(street, SMALL)))
    large = counts(street, every_page(street, grow(street, LARGE - SMALL)))
    assert_flat(small, large)


# -- the seeded street (app/street_seed.py) at 10 and at 1,000 of everything -----------------------

def small_street(n):
    """One community with n residents, proposals, matters, notices and notifications, and meetings
    (at most 200, two votes each), built by the street's own bulk builder. Each thing has more of its
    own (co-signs, comments, members, ballots) in the larger street, so a detail page's N+1 shows."""
    from app.street_seed import Plan

    each, members, meetings = (2, 12, n) if n < 100 else (10, 30, min(n, 200))
    return Plan(communities=1, residents=max(80, n), proposals=n, cosigns=each * n, comments=each * n,
                matters=n, meetings=meetings, votes_per_meeting=2, ballots=2 * meetings * members,
                audit_events=0, notices=n, notifications=n, assembly_size=members, months=4)


def seeded_pages(db):
    """{who: {page: url}} of the seeded street: each area's list and the detail of its newest thing."""
    from sqlalchemy import func, select

    from app.community.models import Body
    from app.community.models import Street as StreetRow
    from app.matters.models import Matter
    from app.matters.workflow import MatterStage
    from app.meetings.models import Meeting
    from app.notice.models import Notice
    from app.proposals.models import Proposal
    from app.votes.models import Vote

    def newest(column, *where):
        return db.session.scalar(select(func.max(column)).where(*where))

    street_id = newest(StreetRow.id)
    c = newest(Proposal.community_id)
    proposal = newest(Proposal.id, Proposal.state == "closed")
    matter = newest(Matter.id, Matter.stage == MatterStage.result_public)
    meeting, vote, notice = newest(Meeting.id), newest(Vote.id), newest(Notice.id)
    assembly = newest(Body.id, Body.community_id == c, Body.preset == "residents_assembly")
    common = {
        "community": f"/c/{c}/", "proposals": f"/c/{c}/proposals/", "proposal": f"/c/{c}/proposals/{proposal}",
        "matters": f"/c/{c}/matters/", "matter": f"/c/{c}/matters/{matter}", "meetings": f"/c/{c}/meetings",
        "board": "/notice/", "board: a proposal": f"/notice/proposal/{proposal}",
        "board: a meeting": f"/notice/meeting/{meeting}", "board: a resolution": f"/notice/resolution/{matter}",
        "board: a notice": f"/notice/general/{notice}", "statistics": "/notice/stats", "feed": "/notice/feed.atom",
        "notifications": "/notifications", "convene": f"/c/{c}/convene",
    }
    api = {"GET /api/v1/proposals": "/api/v1/proposals", "GET /api/v1/notices": "/api/v1/notices",
           "GET /api/v1/notices/stats": "/api/v1/notices/stats",
           "GET /api/v1/matters": f"/api/v1/matters?community_id={c}",
           "GET /api/v1/proposals/<id>/comments": f"/api/v1/proposals/{proposal}/comments",
           "GET /api/v1/matters/<id>/trail": f"/api/v1/matters/{matter}/trail"}
    return {
        "resident": dict(common),
        "chair": common | {"meeting": f"/meetings/{meeting}", "minutes": f"/meetings/{meeting}/minutes",
                           "receipts": f"/votes/{vote}/receipts", "new meeting": f"/c/{c}/meetings/new"},
        "admin": common | {"residents": f"/c/{c}/admin/residents", "audit log": f"/c/{c}/admin/audit",
                           "staff queue": f"/c/{c}/proposals/queue", "bodies": f"/c/{c}/admin/bodies",
                           "the residents' assembly": f"/c/{c}/admin/bodies/{assembly}"},
        "street_admin": {"street": f"/street/{street_id}/", "street proposals": f"/street/{street_id}/proposals"},
        "handler": {"handler queue": "/proposals/handling"},
        "api:resident": api,
        "api:chair": {"GET /api/v1/meetings/<id>/votes": f"/api/v1/meetings/{meeting}/votes",
                      "GET /api/v1/meetings/<id>": f"/api/v1/meetings/{meeting}"},
    }


def seeded_counts(app, db, n):
    from app.community.demo import DEMO_PASSWORD
    from app.street_seed import STREET_LOGINS, StreetBuilder
    from tests.conftest import _password_hash

    with db.engine.begin() as conn:
        StreetBuilder(conn, small_street(n), password_hash=_password_hash(DEMO_PASSWORD)).build()
    from app.notice import index

    index.reindex()
    pages = seeded_pages(db)
    db.session.remove()
    found = {}
    for who, urls in pages.items():
        role = who.removeprefix("api:")
        phone = STREET_LOGINS[role if role != "admin" else "admin"][0]
        client = app.test_client()
        apart(login, client, SimpleNamespace(phone=phone), DEMO_PASSWORD)
        kwargs = {}
        if who.startswith("api:"):
            token = apart(client.post, "/api/v1/auth/token", json={"phone": phone, "password": DEMO_PASSWORD})
            kwargs = {"headers": {"Authorization": f"Bearer {token.get_json()['token']}"}}
        for page, url in urls.items():
            found[(who, page)] = len(statements_of(client, url, **kwargs))
    return found


def test_pages_of_a_seeded_street(app, db, monkeypatch):
    """The street's builder at 10 and at 1,000 of each thing: every page the same statements."""
    from tests.conftest import _empty_tables

    monkeypatch.setitem(app.config, "NOTICE_CACHE_TTL", 0)
    small = seeded_counts(app, db, 10)
    db.session.remove()
    _empty_tables(db)
    large = seeded_counts(app, db, 1000)
    # Fewer is allowed: the two streets' newest things differ in shape (the small one's newest
    # proposals may hold the resident's co-sign, which one more statement reads); more is an N+1.
    grown = {page: (small[page], large[page]) for page in small if large[page] > small[page]}
    assert not grown, f"statements grew with the data (10 -> 1,000): {grown}"
