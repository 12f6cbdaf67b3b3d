"""The demo street: loaded once on an empty database, and every README login works."""
import re
from datetime import timedelta

from app.auth.models import User
from app.community.demo import DEMO_LOGINS, DEMO_PASSWORD
from app.community.models import Community, Household
from tests.conftest import ROOT


def test_seed_demo_once_and_every_login_works(app, client, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert Community.query.count() == 2
    for community in Community.query:
        residents = User.query.filter_by(community_id=community.id).count()
        assert residents >= 200
        assert Household.query.filter_by(community_id=community.id).count() >= 60
        sizes = {b.preset: len(b.voting_members) for b in community.bodies}
        assert len(sizes) == 7
        assert sizes["party_branch_committee"] == 5 and sizes["supervisory_committee"] == 3
        assert sizes["representatives_assembly"] == 30 and sizes["party_members_assembly"] == 40
    # A newcomer sees a living street: proposals at several stages, a meeting, a consultation.
    from app.meetings.models import Meeting
    from app.proposals.models import Proposal
    from app.votes.models import Consultation

    states = {p.state.value if hasattr(p.state, "value") else p.state for p in Proposal.query}
    assert {"collecting", "under_review", "assigned", "closed"} <= states
    meeting_states = [m.state.value for m in Meeting.query]
    assert meeting_states.count("announced") == 2      # the representatives' meeting, the hall day
    assert not any("会议会议" in m.title for m in Meeting.query)
    # The demo matter passed stages 1–4 in four meetings with votes, and its resolution is up.
    from app.matters.models import Matter
    from app.votes.models import Vote

    matter = Matter.query.filter_by(title="中心花园绿化改造").one()
    assert matter.stage.value == "resolution_public" and matter.resolution_published_dt
    # Four for the matter, and the 议事会's vote on each micro-project round's shortlist.
    assert Vote.query.filter_by(state="closed", passed=True).count() == 6
    # 民生微实事: one round through to implementation (its large project a matter), one voting now.
    from app.microprojects.models import MicroRound

    phases = sorted(r.phase().phase.value for r in MicroRound.query)
    assert phases == ["implementation", "voting"]
    assert Matter.query.count() == 2
    assert client.get(f"/notice/resolution/{matter.id}").status_code == 200
    assert Consultation.query.count() == 1
    # The street's past carries one set of times: each trail says what the record says.
    from app.core.audit import AuditEvent
    from app.core.timeutil import utcnow

    def audited(action, obj):
        return AuditEvent.query.filter_by(action=action, object_type=obj.__tablename__,
                                          object_id=obj.id).one().created_dt

    published = Proposal.query.filter(Proposal.published_dt.isnot(None)).all()
    assert published and all(audited("proposal.publish", p) == p.published_dt for p in published)
    for meeting in Meeting.query.filter(Meeting.ended_dt.isnot(None)):
        assert audited("meeting.started", meeting) == meeting.started_dt == meeting.start_dt
        assert audited("meeting.ended", meeting) == meeting.ended_dt
    last_vote = Vote.query.order_by(Vote.closed_dt.desc()).first()
    assert matter.resolution_published_dt >= last_vote.closed_dt
    assert utcnow() - matter.resolution_published_dt < timedelta(days=3)   # still open to objections
    assert AuditEvent.query.filter(AuditEvent.created_dt > utcnow()).count() == 0
    # Its people were registered before any of that happened.
    first_act = min(e.created_dt for e in AuditEvent.query.filter(AuditEvent.object_type.in_(
        ["proposals", "matters", "meetings"])))
    assert max(u.created_dt for u in User.query) < first_act
    _the_hall_day_is_ready_to_start(db)
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "not loaded" in again.output
    assert Community.query.count() == 2

    for phone, _name, _key in DEMO_LOGINS:
        response = client.post("/auth/login", data={"phone": phone, "password": DEMO_PASSWORD})
        assert response.status_code == 302, phone
        client.post("/auth/logout")


def test_readme_lists_every_demo_login():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "| role | phone | password |" in readme
    rows = re.findall(r"^\|\s*[^|]+\|\s*(1\d{10})\s*\|\s*(\S+)\s*\|", readme, re.M)
    assert {phone for phone, _ in rows} == {phone for phone, _, _ in DEMO_LOGINS}
    assert {password for _, password in rows} == {DEMO_PASSWORD}


def _the_hall_day_is_ready_to_start(db):
    """A 居民会议 of about 300 adults on the household base, announced 11 days before a start a few
    minutes ago: the demo chair can start it, the demo secretary keeps its hall."""
    from app.core.audit import AuditEvent
    from app.core.timeutil import utcnow
    from app.meetings import operations
    from app.meetings.models import Meeting
    from app.meetings.workflow import MeetingState

    sunshine = Community.query.filter_by(name="阳光社区").one()
    body = sunshine.body_by_preset("residents_assembly")
    assert body.residents_base == "households"
    meeting = Meeting.query.filter_by(body_id=body.id, state=MeetingState.ANNOUNCED).one()
    members = [m.user for m in meeting.members if m.is_voting]
    households = {u.household_id for u in members}
    assert 290 <= len(members) <= 310 and None not in households and len(households) >= 120
    adults = User.query.filter(User.community_id == sunshine.id, User.state == "verified",
                               User.household_id.isnot(None)).count()
    assert len(members) == adults                       # every adult living in the community
    now = utcnow()
    assert timedelta(0) < now - meeting.start_dt < timedelta(minutes=30)
    assert meeting.start_dt - meeting.announced_dt == timedelta(days=11)
    assert AuditEvent.query.filter_by(action="meeting.announced", object_type="meetings",
                                      object_id=meeting.id).one().created_dt == meeting.announced_dt
    rule_changed = AuditEvent.query.filter_by(action="body.rule_changed", object_type="bodies",
                                              object_id=body.id).one().created_dt
    assert rule_changed < meeting.announced_dt
    assert meeting.items and any(item.title.startswith("表决") for item in meeting.items)
    by_phone = {u.phone: u for u in User.query.filter(User.phone.in_(["13900000004", "13900000005"]))}
    chair, secretary = by_phone["13900000004"], by_phone["13900000005"]
    assert meeting.can_chair(chair) and meeting.member(secretary).role.value == "secretary"
    operations.start(chair, meeting)
    db.session.commit()
    assert meeting.state is MeetingState.LIVE
