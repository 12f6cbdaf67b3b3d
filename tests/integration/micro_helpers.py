"""A community ready for a micro-project round: staff, residents, a 议事会 with a chair and members,
a supervisory committee, a handler organisation; and moving a round's clock to a phase."""
from datetime import timedelta

from app.community.models import HandlerKind, HandlerOrg
from app.core.timeutil import utcnow
from app.meetings import live
from app.meetings import operations as meetings
from app.microprojects import operations as ops
from app.microprojects.rules import DATE_FIELDS, PHASES, Dates
from app.votes import operations as votes

COUNCIL = "deliberation_council"


def dates_for(phase, now=None):
    """Phase dates ten days apart, placed so that `now` is one day into `phase`."""
    now = now or utcnow()
    index = [p.value for p in PHASES].index(phase)
    start = now - timedelta(days=10 * index + 1)
    return Dates(*(start + timedelta(days=10 * i) for i in range(len(DATE_FIELDS))))


def move_to(db, round_, phase):
    for name, value in zip(DATE_FIELDS, dates_for(phase).ordered()):
        setattr(round_, name, value)
    db.session.commit()


class MicroWorld:
    def __init__(self, make, db, residents=3):
        self.make, self.db = make, db
        self.c = make.community()
        self.staff = make.user(self.c, name="孙社工", roles=("staff",), building="9", room="901")
        self.residents = [make.user(self.c, name=f"居民{i}", building="2", room=f"{i}01") for i in range(residents)]
        self.resident = self.residents[0]
        self.stranger = make.user(make.community(name="别的社区"), name="外人")
        council = self.c.body_by_preset(COUNCIL)
        self.chair = make.user(self.c, name="议事会主持", building="8", room="801", password=None)
        make.member(council, self.chair, role="chair")
        self.council = [self.chair] + [make.user(self.c, name=f"议事会成员{i}", building="8", room=f"8{i}",
                                                 password=None) for i in range(4)]
        for person in self.council[1:]:
            make.member(council, person)
        self.supervisor = make.user(self.c, name="监委会成员", building="7", room="701")
        make.member(self.c.body_by_preset("supervisory_committee"), self.supervisor)
        self.org = HandlerOrg(street_id=self.c.street_id, community_id=self.c.id, kind=HandlerKind.SOCIAL_ORG,
                              name="阳光社工服务中心")
        db.session.add(self.org)
        db.session.commit()

    def round(self, phase="collecting", **kw):
        values = dict(title="2026 年民生微实事", year=2026, fund_fen=100_000_00, dates=dates_for(phase),
                      max_choices=2)
        values.update(kw)
        found = ops.create_round(self.staff, self.c, **values)
        self.db.session.commit()
        return found

    def idea(self, round_, title="楼道加装扶手", cost_fen=20_000_00, author=None, kind="works"):
        idea = ops.submit_idea(author or self.resident, round_, title=title,
                               description="老人上下楼不方便，希望在楼道两侧加装扶手。", beneficiaries="老年居民",
                               place="2号楼", kind=kind, category="为老服务", cost_fen=cost_fen)
        self.db.session.commit()
        return idea

    def deliberate(self, round_, yes=4, no=0):
        """A 议事会 meeting with the screened list on its agenda, announced, held, voted, ended."""
        start = utcnow() + timedelta(minutes=10)
        meeting = meetings.create_meeting(self.staff, self.c.body_by_preset(COUNCIL), title="议事会会议",
                                          start_dt=start, place="社区会议室")
        self.db.session.flush()
        item = ops.schedule_deliberation(self.staff, round_, meeting)
        meetings.announce(self.staff, meeting, now=start - timedelta(days=30))
        self.db.session.commit()
        meetings.start(self.chair, meeting)
        for user in self.council:
            live.check_in(self.chair, meeting, user.id)
        index = next(i for i, it in enumerate(meeting.items) if it.id == item.id)
        if index != meeting.current_item:
            live.next_item(self.chair, meeting, index)
        self.db.session.commit()
        vote = votes.open_vote(self.chair, meeting)
        self.db.session.commit()
        choices = ["yes"] * yes + ["no"] * no + ["abstain"] * (len(self.council) - yes - no)
        votes.enter_hall_votes(self.chair, vote, entries={u.id: c for u, c in zip(self.council, choices)})
        self.db.session.commit()
        votes.close_vote(self.chair, vote)
        self.db.session.commit()
        meetings.end_meeting(self.chair, meeting)
        self.db.session.commit()
        self.db.session.refresh(round_)
        return meeting, vote


def settle_background():
    """Let the live room's background messages finish before the tables are emptied."""
    import time

    from app.meetings import live as meeting_live
    from app.votes import operations as vote_ops

    deadline = time.monotonic() + 5
    while (meeting_live._presence_pending or vote_ops._progress_pending) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.05)
