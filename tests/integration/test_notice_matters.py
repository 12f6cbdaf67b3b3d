"""Matters (四议两公开) on the board: nothing before the resolution is public; then the resolution
notice with its objection window and trail, the progress, and the result notice."""
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree as ET

import pytest

from app.core.timeutil import utcnow
from app.matters import operations as matters
from app.matters import agenda, decisions
from app.matters.workflow import MatterStage
from app.meetings import live
from app.meetings import operations as meetings
from app.notice import stats
from app.notice.models import NoticePosting
from app.votes import operations as votes
from tests.integration.test_notice_board import settled  # noqa: F401  (autouse fixture)

ATOM = "{http://www.w3.org/2005/Atom}"
BODIES = ["party_branch_committee", "two_committees", "party_members_assembly",
          "representatives_assembly", "supervisory_committee"]


class World:
    """A community whose deciding bodies each have a chair and three members (three present meet
    every quorum), and a staff member who drafts matters and calls the meetings."""

    def __init__(self, make, db):
        self.db = db
        self.c = make.community()
        self.staff = make.user(self.c, name="孙委员", roles=("staff",), password=None)
        self.members = {}
        for index, key in enumerate(BODIES):
            body = self.c.body_by_preset(key)
            people = [make.user(self.c, name=f"{body.name}{i}", building=f"1{index}", room=f"{i}",
                                password=None) for i in range(4)]
            make.member(body, people[0], role="chair")
            for person in people[1:]:
                make.member(body, person)
            self.members[key] = people

    def matter(self, title):
        matter = matters.create(self.staff, self.c, title=title, kind="工程建设与修缮",
                                plan="更换健身器材，铺设透水砖，增加十张座椅。", budget_fen=8_600_000)
        self.db.session.commit()
        return matter

    def meeting(self, key):
        body = self.c.body_by_preset(key)
        meeting = meetings.create_meeting(self.staff, body, title=f"{body.name}会议",
                                          start_dt=utcnow() + timedelta(minutes=10), place="社区会议室")
        self.db.session.flush()
        return meeting

    def announce(self, meeting):
        meetings.announce(self.staff, meeting, now=meeting.start_dt - timedelta(days=30))
        self.db.session.commit()

    def hold_vote(self, meeting):
        """Start, check three in, vote yes on the matter's item in the hall, close, end."""
        chair, *rest = self.members[meeting.body.preset]
        voters = [chair] + rest[:2]
        meetings.start(chair, meeting)
        for user in voters:
            live.check_in(chair, meeting, user.id)
        index = next(i for i, item in enumerate(meeting.items) if item.matter_id)
        if index != meeting.current_item:
            live.next_item(chair, meeting, index)
        self.db.session.commit()
        vote = votes.open_vote(chair, meeting)
        self.db.session.commit()
        votes.enter_hall_votes(chair, vote, entries={u.id: "yes" for u in voters})
        self.db.session.commit()
        votes.close_vote(chair, vote)
        self.db.session.commit()
        meetings.end_meeting(chair, meeting)
        self.db.session.commit()

    def decide(self, matter, key):
        meeting = self.meeting(key)
        meetings.add_item(self.staff, meeting, title="其他事务")
        agenda.schedule(self.staff, matter, meeting)
        self.announce(meeting)
        self.hold_vote(meeting)
        self.db.session.refresh(matter)
        return meeting


def to_resolution_public(world, matter):
    for key in BODIES[:4]:
        world.decide(matter, key)
    assert matter.stage is MatterStage.resolution_public
    return matter


@pytest.fixture()
def world(make, db):
    return World(make, db)


def text(response):
    return response.get_data(as_text=True)


def on_board(client, kind=None):
    body = client.get("/api/v1/notices", query_string={"kind": kind} if kind else {}).get_json()
    return [(i["kind"], i["title"]) for i in body["items"]]


def test_a_matter_reaches_the_board_only_when_its_resolution_is_published(client, world, db):
    w = world
    matter = w.matter(title="中心花园改造工程")
    for key in BODIES[:3]:
        w.decide(matter, key)
        # Stages 1–4 are deliberation: not on the board, not at any address.
        assert ("resolution", "中心花园改造工程") not in on_board(client)
        assert client.get(f"/notice/resolution/{matter.id}").status_code == 404
        assert client.get(f"/api/v1/notices/resolution/{matter.id}").status_code == 404
    assert "中心花园改造工程" not in text(client.get("/notice/?q=花园"))

    w.decide(matter, BODIES[3])
    assert ("resolution", "中心花园改造工程") in on_board(client, "resolution")
    assert client.get(f"/notice/result/{matter.id}").status_code == 404
    page = text(client.get(f"/notice/resolution/{matter.id}"))
    assert "公示中，可提出异议" in page and "公示期（异议期）" in page
    assert "更换健身器材" in page                                  # the plan
    assert "居民代表会议（或居民会议）决议" in page and "党员大会审议" in page  # the trail
    assert "应到 4 人，实到 3 人" in page                           # with each meeting's attendance
    assert f"/c/{matter.community_id}/matters/{matter.id}" in page  # where to object
    assert "matters.css" in page
    row = NoticePosting.query.filter_by(kind="resolution", source_id=matter.id).one()
    assert row.status_at(row.status_until) == "公示期满"
    assert "中心花园改造工程" in text(client.get("/notice/?q=花园"))

    published = matter.resolution_published_dt
    decisions.start_implementation(w.staff, matter, now=published + timedelta(days=7))
    db.session.commit()
    matters.add_report(w.staff, matter, text="已完成器材更换。", percent_done=60, spent_fen=5_000_000)
    db.session.commit()
    page = text(client.get(f"/notice/resolution/{matter.id}"))
    assert "组织实施" in page and "完成 60%" in page and "已完成器材更换" in page

    matters.add_report(w.staff, matter, text="全部完工并验收。", percent_done=100, spent_fen=8_350_000)
    supervisory = w.meeting("supervisory_committee")
    agenda.schedule(w.staff, matter, supervisory)
    w.announce(supervisory)
    w.hold_vote(supervisory)
    db.session.refresh(matter)
    assert ("result", "中心花园改造工程") in on_board(client, "result")
    result = text(client.get(f"/notice/result/{matter.id}"))
    assert "实施结果已公开" in result and "居务监督委员会" in result and "全部完工并验收" in result
    sheet = client.get(f"/notice/result/{matter.id}/print")
    assert sheet.status_code == 200 and '<svg class="qr"' in text(sheet)
    feed = ET.fromstring(client.get("/notice/feed.atom?kind=result").data)
    assert [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")] == ["中心花园改造工程"]
    detail = client.get(f"/api/v1/notices/result/{matter.id}").get_json()["detail"]
    assert [s["key"] for s in detail["trail"]][-1] == "result_public"
    assert detail["reports"][-1]["percent_done"] == 100

    figures = {cid: f for cid, _, f in stats.overview(stats.rules.local_year(utcnow())).rows}
    assert figures[w.c.id].matters_decided == 1


def test_reindex_keeps_matters_and_their_stages(client, world, db, app):
    w = world
    early = w.matter(title="早期事项不公开")
    public = to_resolution_public(w, w.matter(title="公开的决议事项"))
    db.session.execute(NoticePosting.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["notice", "reindex"])
    assert "resolution 1" in result.output and "result 0" in result.output, result.output
    assert NoticePosting.query.filter_by(kind="resolution", source_id=public.id).count() == 1
    assert NoticePosting.query.filter_by(source_id=early.id, kind="resolution").count() == 0
    # The meetings that decided it are on the board as meetings, with their outcomes.
    assert ("meeting", "居民代表会议会议") in on_board(client, "meeting")


def test_reports_and_objections_on_a_public_matter_move_its_posting_on(client, world, make, db):
    """What the matter's record says after each step is what the board lists: the feed's and the
    API's "updated" time, a new ETag for a reader holding the old feed, the search words."""
    from app.notice.feed import rfc3339

    w = world
    matter = to_resolution_public(w, w.matter(title="北门道路修缮"))
    resident = make.user(w.c, name="赵居民", building="9", room="901", password=None)
    published = matter.resolution_published_dt

    def listed():
        """The board's feed (with the ETag a reader keeps) and the API list, as a reader sees them."""
        response = client.get("/notice/feed.atom?kind=resolution")
        entry = next(e for e in ET.fromstring(response.data).findall(f"{ATOM}entry")
                     if e.find(f"{ATOM}title").text == "北门道路修缮")
        items = client.get("/api/v1/notices", query_string={"kind": "resolution"}).get_json()["items"]
        api = next(i for i in items if i["title"] == "北门道路修缮")
        return response.headers["ETag"], entry.find(f"{ATOM}updated").text, api["updated_dt"]

    etag, updated, _ = listed()
    assert updated == rfc3339(published)
    assert client.get("/notice/feed.atom?kind=resolution",
                      headers={"If-None-Match": etag}).status_code == 304

    def moved_to(when):
        nonlocal etag
        again = client.get("/notice/feed.atom?kind=resolution", headers={"If-None-Match": etag})
        assert again.status_code == 200          # the reader's copy is stale: a new feed, not a 304
        etag, updated, api_updated = listed()
        assert updated == rfc3339(when)
        assert datetime.fromisoformat(api_updated) == when.replace(tzinfo=timezone.utc)

    objection = decisions.raise_objection(resident, matter, "路面加宽会占用消防通道。",
                                        now=published + timedelta(days=1))
    db.session.commit()
    moved_to(published + timedelta(days=1))
    decisions.answer_objection(w.staff, objection, "已与消防部门核实，通道宽度符合要求。",
                             now=published + timedelta(days=2))
    db.session.commit()
    moved_to(published + timedelta(days=2))
    decisions.accept_answer(resident, objection, now=published + timedelta(days=3))
    db.session.commit()
    moved_to(published + timedelta(days=3))
    page = text(client.get(f"/notice/resolution/{matter.id}"))
    assert "收到异议 1 条" in page and "更新于" in page

    decisions.start_implementation(w.staff, matter, now=published + timedelta(days=7))
    db.session.commit()
    assert "北门道路修缮" not in text(client.get("/notice/?q=防滑"))
    matters.add_report(w.staff, matter, text="坡道铺设了防滑条。", percent_done=40, spent_fen=100_000,
                       now=published + timedelta(days=8))
    db.session.commit()
    moved_to(published + timedelta(days=8))
    assert "北门道路修缮" in text(client.get("/notice/?q=防滑"))   # the report's words are searchable
