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
    assert meeting_states.count("announced") == 1
    # The demo matter passed stages 1–4 in four meetings with votes, and its resolution is up.
    from app.matters.models import Matter
    from app.votes.models import Vote

    matter = Matter.query.one()
    assert matter.stage.value == "resolution_public" and matter.resolution_published_dt
    assert Vote.query.filter_by(state="closed", passed=True).count() == 4
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
