"""The demo's hall day: a 居民会议 of about 300 adults on the household base, announced, due to start.

For the demo street (`flask seed-demo`): `seed_hall_day(community)` once the bodies have their
members. The admin switches the 居民会议 to one vote per household, the community gains the adults
it lacks, and the chair announces the meeting eleven days before its start, which is a few
minutes before the seeding, so the demo chair (13900000004) can open the room and start it at any
time after `make run`; the demo secretary (13900000005) keeps its hall. The past is written under
`clock_at`, so every record and its audit carry the same times. Idempotent.
"""
import random
from datetime import timedelta

from app.auth.models import User, UserState
from app.community import operations as community_operations
from app.community.demo import GIVEN, SURNAMES
from app.community.models import Household, MemberRole, Membership
from app.community.rules import ResidentsBase
from app.core.timeutil import clock_at, utcnow
from app.extensions import db
from app.meetings import operations
from app.meetings.models import Meeting

TITLE = "阳光社区居民会议（每户一名代表）"
MEMBERS = 300
NOTICE_DAYS = 11
# The community's people were registered before any of the demo's month happened.
REGISTERED_DAYS_AGO = 40
HOUSEHOLD_SIZES = (2, 1, 3, 2, 2, 1, 2, 3)   # adults per household, in turn

AGENDA = [
    ("表决：《阳光社区居民公约（修订稿）》",
     "修订稿已在公开栏公示。每户一票：赞成、反对或弃权；过半数到会户赞成即通过。"),
    ("表决：中心花园夜间照明延长至 22 点",
     "电费每年约 4,800 元，从社区公共收益中列支。每户一票。"),
    ("居委会通报本年度居民提案办理情况", "通报已答复、正在办理的提案，现场答疑。"),
]
NOTICE = ("本次居民会议以户为单位：每户一名成年家庭成员签到并代表本户表决，一户只计一票。\n\n"
          "有手机的居民进场后扫描大屏上的签到二维码；没有手机的请带上签到卡或身份证件，到签到台由工作人员签到。")


def seed_hall_day(community, now=None):
    found = Meeting.query.filter_by(community_id=community.id, title=TITLE).first()
    if found is not None:
        return found
    now = now or utcnow()
    start = (now - timedelta(minutes=5)).replace(second=0, microsecond=0)
    body = community.body_by_preset("residents_assembly")
    by_phone = {u.phone: u for u in User.query.filter(
        User.phone.in_(["13900000002", "13900000004"]))}
    admin, chair = by_phone["13900000002"], by_phone["13900000004"]
    with clock_at(now - timedelta(days=REGISTERED_DAYS_AGO)):
        _add_adults(community, body, MEMBERS - len(body.voting_members))
    with clock_at(start - timedelta(days=NOTICE_DAYS, hours=1)):
        rule = body.rule
        community_operations.update_body_rule(
            admin, body, quorum=str(rule.quorum), majority_base=rule.majority_base.value,
            notice_days=rule.notice_days, residents_base=ResidentsBase.HOUSEHOLDS.value)
        db.session.flush()   # rows take their times when written: inside the clock
    with clock_at(start - timedelta(days=NOTICE_DAYS)):
        meeting = operations.create_meeting(chair, body, title=TITLE, start_dt=start,
                                            place="社区文化活动中心一楼大厅")
        for title, description in AGENDA:
            operations.add_item(chair, meeting, title=title, description=description)
        operations.announce(chair, meeting, notice_text=NOTICE)
        db.session.flush()
    return meeting


def _add_adults(community, body, count):
    """New households in two new buildings, one to three adults each, all members of the body."""
    if count <= 0:
        return
    rng = random.Random(MEMBERS)
    prefix = f"137{community.id:02d}"
    taken = db.session.query(User.id).filter(User.phone.like(f"{prefix}%")).count()
    password_hash = User.query.filter_by(phone="13900000008").one().password_hash   # the demo's one
    households, users = [], []
    number = 0
    while len(users) < count:
        building, rest = divmod(number, 36)
        household = Household(community_id=community.id, building=str(7 + building),
                              unit=str(rest // 12 + 1), room=f"{rest % 12 // 2 + 1}0{rest % 2 + 1}")
        households.append(household)
        for _ in range(min(HOUSEHOLD_SIZES[number % len(HOUSEHOLD_SIZES)], count - len(users))):
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < .5 else "")
            users.append(User(phone=f"{prefix}{taken + len(users) + 1:06d}", name=name,
                              password_hash=password_hash, community_id=community.id,
                              household=household, state=UserState.VERIFIED, verified_dt=utcnow()))
        number += 1
    db.session.add_all(households + users)
    db.session.add_all(Membership(body=body, user=user, role=MemberRole.MEMBER) for user in users)
    db.session.flush()

