"""A demo matter carried through stages 1–4 by real meetings and votes, its resolution published.

For the demo street (`flask seed-demo`): call `seed_demo_matter(community, staff)` once the bodies
have their members. Idempotent: a second call returns the matter already there. It commits after
each meeting, as the room does, so the areas listening to meetings hear of each one.
"""
from datetime import timedelta

from app.community.models import MemberRole
from app.core.timeutil import clock_at, utcnow
from app.extensions import db
from app.matters import agenda, operations, workflow
from app.matters.models import Matter
from app.meetings import live as meetings_live
from app.meetings import operations as meetings
from app.votes import operations as votes

TITLE = "中心花园绿化改造"
PLAN = """### 改造内容

1. 更换中心花园损坏的健身器材 6 件；
2. 铺设透水砖步道约 300 平方米；
3. 增加遮阳座椅 10 张、夜间照明 8 盏。

### 资金

使用社区公益金，预算 86,000 元，超出部分不予支出。

### 实施

由两委组织，物业配合，分两期施工，预计 60 天完成；每两周公开一次进度。"""

STAGES = [workflow.PARTY_BRANCH, workflow.TWO_COMMITTEES, workflow.PARTY_ASSEMBLY,
          "representatives_assembly"]


def seed_demo_matter(community, staff, now=None):
    found = Matter.query.filter_by(community_id=community.id, title=TITLE).first()
    if found is not None:
        return found
    now = now or utcnow()
    # Each step is done on its own day (clock_at), so that the matter's history, the meetings,
    # the votes and their audit trail all carry the same times; the last meeting was two days ago,
    # so the resolution is still open to objections.
    with clock_at(now - timedelta(days=33)):
        matter = operations.create(staff, community, title=TITLE, kind="工程建设与修缮", plan=PLAN,
                                   budget_fen=8_600_000)
    for index, preset in enumerate(STAGES):
        body = community.body_by_preset(preset)
        voters = [m.user for m in body.memberships if m.is_voting]
        chair = next(m.user for m in body.memberships if m.role is MemberRole.CHAIR)
        start = now - timedelta(days=23 - 7 * index)
        with clock_at(start - timedelta(days=body.rule.notice_days + 1)):
            meeting = meetings.create_meeting(staff, body, title=f"{body.meeting_name}（{TITLE}）",
                                              start_dt=start, place="社区活动中心二楼")
            agenda.schedule(staff, matter, meeting)
            meetings.announce(staff, meeting)
        with clock_at(start):
            meetings.start(chair, meeting)
            for user in voters:
                meetings_live.check_in(chair, meeting, user.id)
        with clock_at(start + timedelta(minutes=20)):
            vote = votes.open_vote(chair, meeting)
            # Everyone present in the hall raises a hand; one in ten votes against.
            entries = {u.id: ("no" if i % 10 == 9 else "yes") for i, u in enumerate(voters)}
            votes.enter_hall_votes(chair, vote, entries=entries)
        with clock_at(start + timedelta(minutes=30)):
            votes.close_vote(chair, vote)
        with clock_at(start + timedelta(hours=1)):
            meetings.end_meeting(chair, meeting)
            db.session.commit()
    return matter
