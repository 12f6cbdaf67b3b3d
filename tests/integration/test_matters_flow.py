"""A matter through 四议两公开 with real meetings and votes: the whole journey, a failed stage
sending it back, every shortcut refused, objections and their deadline."""
from datetime import timedelta

import pytest

from app.core.refusal import Refused
from app.core.timeutil import utcnow
from app.matters import operations as matters
from app.matters import agenda, decisions, queries
from app.matters.models import Matter, MatterStep
from app.matters.signals import matter_changed
from app.matters.workflow import MatterStage as S
from app.meetings import live
from app.meetings import operations as meetings
from app.votes import operations as votes

BODIES = ["party_branch_committee", "two_committees", "party_members_assembly",
          "representatives_assembly", "residents_assembly", "supervisory_committee"]


class World:
    """A community with a staff member, residents, and every deciding body with a chair and three
    members (four voting members: three present meet every quorum)."""

    def __init__(self, make, db, merged=False):
        self.make, self.db = make, db
        self.c = make.community()
        self.staff = make.user(self.c, name="孙委员", roles=("staff",))
        self.resident = make.user(self.c, name="王居民", building="2", room="201")
        self.neighbour = make.user(self.c, name="赵邻居", building="3", room="301")
        self.pending = make.user(self.c, name="钱待审", verified=False, building="4", password=None)
        self.stranger = make.user(make.community(name="别的社区"), name="外人", password=None)
        self.chairs, self.members = {}, {}
        for index, key in enumerate(BODIES):
            body = self.c.body_by_preset(key)
            # Body members never log in here: no password spares a slow hash per person.
            chair = make.user(self.c, name=f"{body.name}主持", building=f"1{index}", password=None)
            make.member(body, chair, role="chair")
            people = [make.user(self.c, name=f"{body.name}成员{i}", building=f"1{index}", room=f"{i}",
                                password=None) for i in range(3)]
            for person in people:
                make.member(body, person)
            self.chairs[key], self.members[key] = chair, [chair] + people
        if merged:   # 一肩挑: the party branch's chair also chairs the two committees
            make.member(self.c.body_by_preset("two_committees"), self.chairs["party_branch_committee"],
                        role="chair")

    def body(self, key):
        return self.c.body_by_preset(key)

    def matter(self, title="中心花园改造", budget_fen=8_600_000):
        matter = matters.create(self.staff, self.c, title=title, kind="工程建设与修缮",
                                plan="更换健身器材，铺设透水砖，增加十张座椅。", budget_fen=budget_fen)
        self.db.session.commit()
        return matter

    def meeting(self, key, title=None):
        # Announced 30 days before (see `announce`) and due now, so that it may start at once.
        start = utcnow() + timedelta(minutes=10)
        body = self.body(key)
        meeting = meetings.create_meeting(self.staff, body, title=title or f"{body.name}会议",
                                          start_dt=start, place="社区会议室")
        self.db.session.flush()
        return meeting

    def announce(self, meeting, notice_text=None):
        meetings.announce(self.staff, meeting, now=meeting.start_dt - timedelta(days=30),
                          notice_text=notice_text)
        self.db.session.commit()

    def hold_vote(self, meeting, yes=3, no=0, present=None, chair_key=None, end=True):
        """Start the meeting, check people in, vote on the matter's item in the hall, close, end."""
        key = meeting.body.preset
        chair = self.chairs[chair_key or key]
        voters = self.members[chair_key or key] if present is None else present
        meetings.start(chair, meeting)
        for user in voters:
            live.check_in(chair, meeting, user.id)
        index = next(i for i, item in enumerate(meeting.items) if item.matter_id)
        if index != meeting.current_item:
            live.next_item(chair, meeting, index)
        self.db.session.commit()
        vote = votes.open_vote(chair, meeting)
        self.db.session.commit()
        choices = ["yes"] * yes + ["no"] * no
        entries = {user.id: choice for user, choice in zip(voters, choices)}
        votes.enter_hall_votes(chair, vote, entries=entries)
        self.db.session.commit()
        votes.close_vote(chair, vote)
        self.db.session.commit()
        if end:
            meetings.end_meeting(chair, meeting)
            self.db.session.commit()
        return vote

    def decide(self, matter, key, **kw):
        """One stage: a meeting of `key`, the matter on its agenda, announced, voted."""
        meeting = self.meeting(key)
        meetings.add_item(self.staff, meeting, title="其他事务")
        agenda.schedule(self.staff, matter, meeting)
        self.announce(meeting)
        vote = self.hold_vote(meeting, **kw)
        self.db.session.refresh(matter)
        return meeting, vote


@pytest.fixture(autouse=True)
def background_settled(db):
    """Check-ins and hall entries start the room's presence and progress messages in background
    threads that read the database a moment later: let them finish before the tables are emptied."""
    import time

    from app.meetings import live as meeting_live
    from app.votes import operations as vote_ops

    yield
    deadline = time.monotonic() + 5
    while (meeting_live._presence_pending or vote_ops._progress_pending) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.05)   # the last message is being built once the entry is dropped


@pytest.fixture()
def world(make, db):
    return World(make, db)


@pytest.fixture()
def changes():
    heard = []

    def listener(matter_id, **kw):
        heard.append((matter_id, kw["action"], kw["from_stage"], kw["to_stage"]))

    matter_changed.connect(listener)
    yield heard
    matter_changed.disconnect(listener)


def to_resolution_public(world, matter):
    for key in ["party_branch_committee", "two_committees", "party_members_assembly",
                "representatives_assembly"]:
        world.decide(matter, key)
    assert matter.stage is S.resolution_public
    return matter


def test_the_whole_journey_from_draft_to_published_result(world, db, changes):
    w = world
    matter = w.matter()
    assert matter.stage is S.proposal and matter.budget_text == "86,000.00 元"

    w.decide(matter, "party_branch_committee")
    assert matter.stage is S.consultation
    w.decide(matter, "two_committees")
    assert matter.stage is S.review
    # Stage 3: the plan goes out with the assembly's notice.
    meeting, _ = w.decide(matter, "party_members_assembly")
    assert "更换健身器材" in meeting.notice_text and f"事项 #{matter.id} 方案" in meeting.notice_text
    assert matter.stage is S.resolution
    with pytest.raises(Refused):
        matters.update(w.staff, matter, title=matter.title, kind=matter.kind, plan="改过的方案内容很长。")
    assert matter.resolution_published_dt is None

    resolution, vote = w.decide(matter, "representatives_assembly")
    assert matter.stage is S.resolution_public and matter.resolution_published_dt is not None
    assert matter.objection_days == 7

    # Every decision is on record with its meeting, vote, numbers and attendance.
    steps = MatterStep.query.filter_by(matter_id=matter.id).order_by(MatterStep.id).all()
    assert [s.stage for s in steps] == [S.proposal, S.consultation, S.review, S.resolution]
    assert all(s.passed and s.quorum_met and s.meeting_id and s.vote_id for s in steps)
    assert steps[-1].vote_id == vote.id and steps[-1].meeting_id == resolution.id
    assert "应到 4 人，实到 4 人（现场 4 人，线上 0 人）" == steps[-1].attendance_text
    assert "赞成 3 票" in steps[-1].result_text and "通过" in steps[-1].result_text

    # Stage 5 → 6 only after the window.
    published = matter.resolution_published_dt
    with pytest.raises(Refused) as early:
        decisions.start_implementation(w.staff, matter, now=published + timedelta(days=6))
    assert early.value.code == "window_open"
    decisions.start_implementation(w.staff, matter, now=published + timedelta(days=7))
    db.session.commit()
    assert matter.stage is S.implementation

    # Stage 6: reports, public, followers told.
    matters.follow(w.resident, matter)
    db.session.commit()
    matters.add_report(w.staff, matter, text="已完成器材更换。", percent_done=60, spent_fen=5_000_000)
    db.session.commit()
    from app.core.notify import Notification

    told = Notification.query.filter_by(user_id=w.resident.id).all()
    assert any("完成 60%" in n.text for n in told)

    # Stage 7: needs a final report, then the supervisory committee's vote.
    supervisory = w.meeting("supervisory_committee")
    with pytest.raises(Refused) as refused:
        agenda.schedule(w.staff, matter, supervisory)
    assert refused.value.code == "no_final_report"
    matters.add_report(w.staff, matter, text="全部完工并验收。", percent_done=100, spent_fen=8_350_000)
    agenda.schedule(w.staff, matter, supervisory)
    w.announce(supervisory)
    w.hold_vote(supervisory)
    db.session.refresh(matter)
    assert matter.stage is S.result_public and matter.result_published_dt is not None

    assert [c[1] for c in changes] == ["created", "advanced", "advanced", "advanced",
                                       "resolution_published", "implementation_started",
                                       "report_published", "report_published", "result_published"]
    assert all(c[0] == matter.id for c in changes)

    from app.matters.trail import trail

    entries = trail(matter)
    assert [e["state"] for e in entries] == ["done"] * 7
    assert entries[3]["meetings"][0]["attendance"].startswith("应到 4 人，实到 4 人")
    assert entries[3]["minutes_url"].endswith(f"/minutes/{resolution.id}")
    assert entries[6]["meetings"][0]["body"] == "居务监督委员会"


def test_a_failed_stage_three_vote_sends_the_matter_back_to_stage_one(world, db, changes):
    w = world
    matter = w.matter()
    w.decide(matter, "party_branch_committee")
    w.decide(matter, "two_committees")
    meeting, vote = w.decide(matter, "party_members_assembly", yes=1, no=2)
    assert vote.passed is False
    assert matter.stage is S.proposal and matter.round == 2
    last = matter.steps[-1]
    assert last.stage is S.review and not last.passed and last.outcome.value == "sent_back"
    assert "党员大会表决" in last.reasons and "未通过" in last.reasons
    assert changes[-1][1:] == ("sent_back", "review", "proposal")
    # The plan may be revised again, and staff can add the assembly's reasons from the minutes.
    matters.update(w.staff, matter, title=matter.title, kind=matter.kind,
                   plan="缩小范围：只更换健身器材，座椅明年再议。", budget_fen=3_000_000)
    decisions.add_reasons(w.staff, matter, last.id, "多数党员认为座椅位置影响消防通道。")
    db.session.commit()
    assert "消防通道" in last.reasons

    from app.matters.trail import trail

    states = [e["state"] for e in trail(matter)]
    assert states == ["current", "pending", "failed", "pending", "pending", "pending", "pending"]
    # Round two goes through again from stage 1.
    to_resolution_public(world, matter)
    assert matter.round == 2 and "缩小范围" in matter.plan


def test_a_vote_cannot_decide_without_quorum(world, db):
    """The room refuses to open a vote without the quorum; a result without it decides nothing."""
    w = world
    matter = w.matter()
    meeting = w.meeting("party_branch_committee")
    agenda.schedule(w.staff, matter, meeting)
    w.announce(meeting)
    chair = w.chairs["party_branch_committee"]
    meetings.start(chair, meeting)
    live.check_in(chair, meeting, chair.id)
    db.session.commit()
    with pytest.raises(Refused) as refused:
        votes.open_vote(chair, meeting)
    assert refused.value.code == "no_quorum"
    for user in w.members["party_branch_committee"][1:3]:
        live.check_in(chair, meeting, user.id)
    vote = votes.open_vote(chair, meeting)
    db.session.commit()
    # Were a result ever to come without the quorum (the signal's contract allows it), it is void.
    decisions.on_vote_closed(vote, meeting=meeting, item=meeting.items[0], actor=chair,
                           result={"passed": True, "quorum_met": False, "members": 4, "present": 2,
                                   "text": "应到 4 人，实到 2 人；未达到法定人数，表决无效"})
    db.session.commit()
    assert matter.stage is S.proposal
    assert [(s.outcome.value, s.passed) for s in matter.steps] == [("invalid", False)]


@pytest.mark.parametrize("stage,key", [
    (S.proposal, "two_committees"), (S.proposal, "party_members_assembly"),
    (S.proposal, "representatives_assembly"), (S.proposal, "supervisory_committee"),
])
def test_the_wrong_body_cannot_take_a_matter(world, db, stage, key):
    matter = world.matter()
    with pytest.raises(Refused) as refused:
        agenda.schedule(world.staff, matter, world.meeting(key))
    assert refused.value.code in {"wrong_body", "merge_not_allowed"}
    assert matter.stage is S.proposal


def test_no_path_publishes_a_matter_that_skipped_a_stage(world, db, changes):
    """Every shortcut: the wrong body through the meetings' own agenda, starting implementation,
    reporting, confirming, objecting — nothing moves a matter past a stage it has not passed."""
    w = world
    matter = w.matter()
    # A representatives' assembly votes on an item carrying the matter, added behind the matters
    # area's back (the meetings API accepts any matter_id): the vote passes, nothing moves.
    meeting = w.meeting("representatives_assembly")
    meetings.add_item(w.staff, meeting, title="绕过程序", matter_id=matter.id)
    w.announce(meeting)
    vote = w.hold_vote(meeting)
    assert vote.passed is True
    db.session.refresh(matter)
    assert matter.stage is S.proposal and matter.steps == [] and matter.resolution_published_dt is None
    from app.core.audit import AuditEvent

    ignored = AuditEvent.query.filter_by(action="matter.vote_ignored", object_id=matter.id).one()
    assert "党支部委员会" in ignored.reason
    # Operations that would skip ahead are refused at stage 1.
    with pytest.raises(Refused):
        decisions.start_implementation(w.staff, matter, now=utcnow() + timedelta(days=30))
    with pytest.raises(Refused):
        matters.add_report(w.staff, matter, text="提前施工了。", percent_done=100, spent_fen=0)
    with pytest.raises(Refused):
        decisions.raise_objection(w.resident, matter, "我反对这个决议。")
    with pytest.raises(Refused):
        agenda.schedule(w.staff, matter, w.meeting("supervisory_committee"))

    # Past stages 1 and 2, a stage-3 assembly whose notice lost the plan decides nothing.
    w.decide(matter, "party_branch_committee")
    w.decide(matter, "two_committees")
    assembly = w.meeting("party_members_assembly")
    agenda.schedule(w.staff, matter, assembly)
    w.announce(assembly, notice_text="请准时参加。")   # the organiser replaced the notice
    w.hold_vote(assembly)
    db.session.refresh(matter)
    assert matter.stage is S.review
    assert AuditEvent.query.filter_by(action="matter.vote_ignored", object_id=matter.id).count() == 2
    # An announced assembly can no longer take the plan with its notice: refused.
    late = w.meeting("party_members_assembly")
    meetings.add_item(w.staff, late, title="其他")
    w.announce(late, notice_text="通知")
    with pytest.raises(Refused) as refused:
        agenda.schedule(w.staff, matter, late)
    assert refused.value.code == "notice_sent"
    # A second vote of a stage already passed (a stale two-committees item) moves nothing either.
    stale = w.meeting("two_committees")
    meetings.add_item(w.staff, stale, title="旧议题", matter_id=matter.id)
    w.announce(stale)
    w.hold_vote(stale)
    db.session.refresh(matter)
    assert matter.stage is S.review and matter.resolution_published_dt is None
    assert "resolution_published" not in [c[1] for c in changes]
    assert Matter.query.filter(Matter.resolution_published_dt.isnot(None)).count() == 0


def test_merged_first_stage_where_one_person_holds_both_posts(make, db):
    w = World(make, db, merged=True)
    matter = w.matter()
    meeting = w.meeting("two_committees")
    agenda.schedule(w.staff, matter, meeting)
    w.announce(meeting)
    w.hold_vote(meeting)
    db.session.refresh(matter)
    assert matter.stage is S.review
    assert [(s.stage, s.is_merged, s.meeting_id) for s in matter.steps] == [
        (S.proposal, True, meeting.id), (S.consultation, True, meeting.id)]
    from app.matters.trail import trail

    assert trail(matter)[0]["is_merged"] and trail(matter)[1]["is_merged"]


def test_without_one_person_holding_both_posts_the_stages_are_not_merged(world, db):
    matter = world.matter()
    with pytest.raises(Refused) as refused:
        agenda.schedule(world.staff, matter, world.meeting("two_committees"))
    assert refused.value.code == "merge_not_allowed"


def test_objections_their_three_day_deadline_and_the_assembly(world, db):
    w = world
    matter = to_resolution_public(w, w.matter())
    published = matter.resolution_published_dt
    day = timedelta(days=1)

    # Only verified residents of the community object, only inside the window.
    with pytest.raises(Refused):
        decisions.raise_objection(w.pending, matter, "我也有意见要提。", now=published + day)
    with pytest.raises(Refused):
        decisions.raise_objection(w.stranger, matter, "我也有意见要提。", now=published + day)
    with pytest.raises(Refused) as closed:
        decisions.raise_objection(w.resident, matter, "公示期过了才提的意见。", now=published + 7 * day)
    assert closed.value.code == "window_closed"
    first = decisions.raise_objection(w.resident, matter, "座椅离我家窗户太近，晚上吵。", now=published + day)
    second = decisions.raise_objection(w.neighbour, matter, "预算偏高，请公开比价。", now=published + 2 * day)
    db.session.commit()
    assert first.answer_due_dt == published + 4 * day

    # Three days to answer: exactly at the deadline not yet overdue, a second later overdue.
    assert not first.is_overdue(published + 4 * day)
    assert first.is_overdue(published + 4 * day + timedelta(seconds=1))
    assert decisions.overdue_objections(matter, published + 5 * day + timedelta(minutes=1)) == [first, second]
    decisions.answer_objection(w.staff, first, "座椅移到花园中央，远离住宅。", now=published + 2 * day)
    decisions.answer_objection(w.staff, second, "比价材料已张贴在公告栏。", now=published + 6 * day)
    db.session.commit()
    assert not first.is_overdue(published + 30 * day)
    assert second.is_overdue(published + 30 * day)   # answered late stays flagged
    with pytest.raises(Refused):
        decisions.answer_objection(w.staff, first, "再答复一次。", now=published + 3 * day)
    with pytest.raises(Refused):
        decisions.answer_objection(w.resident, second, "我来答复。")
    with pytest.raises(Refused):
        decisions.accept_answer(w.neighbour, first)
    decisions.accept_answer(w.resident, first)
    db.session.commit()

    # The second objection is unresolved: implementation is refused until the assembly decides.
    after = published + 8 * day
    with pytest.raises(Refused) as refused:
        decisions.start_implementation(w.staff, matter, now=after)
    assert refused.value.code == "objections_unresolved"
    with pytest.raises(Refused):
        agenda.schedule(w.staff, matter, w.meeting("representatives_assembly"))
    assembly = w.meeting("party_members_assembly")
    item = agenda.schedule(w.staff, matter, assembly)
    assert second.item_id == item.id and first.item_id is None
    assert "预算偏高" in assembly.notice_text
    w.announce(assembly)
    with pytest.raises(Refused) as refused:
        decisions.start_implementation(w.staff, matter, now=after)
    assert refused.value.code == "objections_pending"
    w.hold_vote(assembly)   # the assembly lets the resolution stand
    db.session.refresh(matter)
    assert matter.stage is S.resolution_public and second.review_passed is True
    decisions.start_implementation(w.staff, matter, now=after)
    db.session.commit()
    assert matter.stage is S.implementation
    assert "收到异议 2 条" in matter.steps[-1].result_text


def test_objections_upheld_by_the_assembly_send_the_matter_back(world, db):
    w = world
    matter = to_resolution_public(w, w.matter())
    published = matter.resolution_published_dt
    objection = decisions.raise_objection(w.resident, matter, "方案占用了消防通道。",
                                        now=published + timedelta(hours=3))
    decisions.answer_objection(w.staff, objection, "我们再研究。", now=published + timedelta(days=1))
    db.session.commit()
    assembly = w.meeting("party_members_assembly")
    agenda.schedule(w.staff, matter, assembly)
    w.announce(assembly)
    w.hold_vote(assembly, yes=1, no=3)
    db.session.refresh(matter)
    assert matter.stage is S.proposal and matter.resolution_published_dt is None
    assert "消防通道" in matter.steps[-1].reasons
    # The public can no longer read it until it is resolved again.
    with pytest.raises(Refused) as refused:
        matters.get_matter(None, matter.id)
    assert refused.value.status == 404


def test_escalated_proposal_opens_a_matter_and_is_answered_by_its_result(world, db):
    from app.proposals import operations as proposals
    from app.proposals import drafts
    from app.proposals.models import Proposal

    w = world
    p = drafts.create_draft(w.resident, w.c, title="小区路面破损严重", category="设施维修",
                               problem="东门到3号楼的路面坑洼，老人经常绊倒。", suggestion="用维修资金整体翻修路面。")
    proposals.publish(w.resident, p)
    proposals.cosign(w.neighbour, p)
    proposals.take_to_review(w.staff, p)
    db.session.commit()
    proposals.escalate(w.staff, p, "涉及公共维修资金")
    db.session.commit()
    matter = Matter.query.filter_by(proposal_id=p.id).one()
    assert matter.title == "小区路面破损严重" and "老人经常绊倒" in matter.plan
    assert matter.created_by_id == w.staff.id and matter.stage is S.proposal
    followers = {u.id for u in matters.followers(matter)}
    assert {w.resident.id, w.neighbour.id, w.staff.id} <= followers
    # The author may follow its progress before publication.
    assert matters.get_matter(w.resident, matter.id) is matter
    # Opening again returns the same matter.
    assert matters.open_for_proposal(w.staff, db.session.get(Proposal, p.id)) is matter

    matter.plan += "\n\n翻修东门至3号楼路面约 400 平方米。"
    db.session.commit()
    to_resolution_public(w, matter)
    proposal = db.session.get(Proposal, p.id)
    assert [r.category for r in proposal.replies] == ["B"]
    assert f"/matters/{matter.id}" in proposal.replies[0].body
    decisions.start_implementation(w.staff, matter, now=matter.resolution_published_dt + timedelta(days=7))
    matters.add_report(w.staff, matter, text="路面翻修完成。", percent_done=100, spent_fen=12_000_000)
    supervisory = w.meeting("supervisory_committee")
    agenda.schedule(w.staff, matter, supervisory)
    w.announce(supervisory)
    w.hold_vote(supervisory)
    db.session.refresh(proposal)
    assert [r.category for r in proposal.replies] == ["B", "A"]
    assert proposal.state == "escalated"


def test_supervisory_committee_not_confirming_keeps_it_in_implementation(world, db):
    w = world
    matter = to_resolution_public(w, w.matter())
    decisions.start_implementation(w.staff, matter, now=matter.resolution_published_dt + timedelta(days=7))
    matters.add_report(w.staff, matter, text="全部完工并验收。", percent_done=100, spent_fen=100)
    db.session.commit()
    meeting = w.meeting("supervisory_committee")
    agenda.schedule(w.staff, matter, meeting)
    w.announce(meeting)
    w.hold_vote(meeting, yes=2, no=2)
    db.session.refresh(matter)
    assert matter.stage is S.implementation and matter.result_published_dt is None
    assert matter.steps[-1].outcome.value == "not_confirmed"


def test_only_committee_members_draft_and_schedule(world, db):
    w = world
    with pytest.raises(Refused):
        matters.create(w.resident, w.c, title="居民自己建事项", kind="公共资金使用", plan="这是一个很长的方案。")
    representative = w.members["representatives_assembly"][1]
    with pytest.raises(Refused):
        matters.create(representative, w.c, title="代表起草的事项", kind="公共资金使用",
                       plan="这是一个很长的方案。")
    with pytest.raises(Refused) as refused:
        matters.create(w.staff, w.c, title="短", kind="不存在的类别", plan="短", budget_fen=-5)
    assert set(refused.value.details) == {"title", "kind", "plan", "budget"}
    # A member of the party branch committee is a committee member (两委成员) too.
    branch_member = w.members["party_branch_committee"][1]
    matter = matters.create(branch_member, w.c, title="支委提出的事项", kind="公共资金使用",
                            plan="这是支部委员提出的方案。")
    db.session.commit()
    with pytest.raises(Refused):
        agenda.schedule(representative, matter, w.meeting("party_branch_committee"))
    other_c = w.make.community(name="第二社区")
    other_staff = w.make.user(other_c, name="别处委员", roles=("staff",), password=None)
    with pytest.raises(Refused):
        agenda.schedule(other_staff, matter, w.meeting("party_branch_committee"))


def test_settings_never_below_seven_days(world, db, app):
    w = world
    with pytest.raises(Refused):
        matters.update_settings(w.staff, w.c, kinds=["公共资金使用"], objection_days=6)
    matters.update_settings(w.staff, w.c, kinds=["公共资金使用", "养老服务补贴"], objection_days=10)
    db.session.commit()
    assert matters.effective_objection_days(w.c) == 10
    assert "养老服务补贴" in matters.settings_for(w.c).kinds
    with pytest.raises(Refused):
        matters.update_settings(w.resident, w.c, kinds=["x"], objection_days=10)
    # The app-wide default is used where a community has none, never under 7.
    other = w.make.community(name="另一个社区")
    app.config["MATTER_OBJECTION_DAYS"] = 3
    try:
        assert matters.effective_objection_days(other) == 7
        app.config["MATTER_OBJECTION_DAYS"] = 9
        assert matters.effective_objection_days(other) == 9
    finally:
        app.config.pop("MATTER_OBJECTION_DAYS")


def test_who_reads_a_matter_before_it_is_published(world, db):

    w = world
    matter = w.matter()
    branch = w.members["party_branch_committee"][2]
    supervisor = w.members["supervisory_committee"][2]
    party_member = w.members["party_members_assembly"][2]
    representative = w.members["representatives_assembly"][2]

    def readers():
        found = []
        for name, user in [("branch", branch), ("supervisor", supervisor), ("party", party_member),
                           ("representative", representative), ("resident", w.resident),
                           ("anonymous", None)]:
            try:
                matters.get_matter(user, matter.id)
                found.append(name)
            except Refused:
                pass
        return found

    assert readers() == ["branch", "supervisor"]
    w.decide(matter, "party_branch_committee")
    w.decide(matter, "two_committees")
    assert readers() == ["branch", "supervisor", "party"]
    w.decide(matter, "party_members_assembly")
    assert readers() == ["branch", "supervisor", "party", "representative"]
    assert queries.list_matters(w.c, w.resident).total == 0
    assert queries.list_matters(w.c, representative).total == 1
    w.decide(matter, "representatives_assembly")
    assert readers() == ["branch", "supervisor", "party", "representative", "resident", "anonymous"]


def test_demo_matter_reaches_its_public_notice_once(world, db):
    from app.matters.demo import seed_demo_matter

    matter = seed_demo_matter(world.c, world.staff)
    db.session.commit()
    assert matter.stage is S.resolution_public and len(matter.steps) == 4
    assert all(s.passed and s.meeting.minutes_text for s in matter.steps)
    assert seed_demo_matter(world.c, world.staff) is matter
    assert Matter.query.count() == 1
