"""The demo street's micro-project rounds (民生微实事) in 阳光社区, through the real operations.

`seed_demo_rounds(community, staff, residents)` makes two rounds so that `make run` shows every
phase: this year's round carried through ideas, screening, the 议事会's vote, the residents' ballots
(online and on paper), the funded result and implementation (one project done, accepted and
confirmed and rated, one with an overdue milestone); and a second round open for voting now, which
the demo resident has not voted in yet. Each step is done under `clock_at` on its own day, so the
records and the audit trail carry the times they would have. Idempotent.
"""
from datetime import timedelta

from app.community.models import HandlerOrg, MemberRole
from app.core.timeutil import clock_at, utcnow
from app.extensions import db
from app.meetings import live as meetings_live
from app.meetings import operations as meetings
from app.microprojects import implementation as impl, operations as ops, voting
from app.microprojects.models import MicroRound
from app.microprojects.rules import Dates
from app.votes import operations as votes

FIRST = "2026 年阳光社区民生微实事"
SECOND = "2026 年阳光社区民生微实事（第二批）"

IDEAS = [  # title, what, for whom, where, kind, category, rough cost in 元, estimate in 元 or a ground
    ("楼道加装扶手", "3 号楼、5 号楼老人多，楼道没有扶手，上下楼容易摔倒。希望在楼道两侧加装不锈钢扶手。",
     "老年居民", "3号楼、5号楼", "works", "为老服务", 40000, 38000),
    ("儿童游乐区地面改造", "儿童游乐区是水泥地，孩子摔倒容易受伤，希望铺设塑胶地垫并更换破损滑梯。",
     "社区儿童及家长", "中心花园", "works", "儿童与家庭", 90000, 85000),
    ("长者助餐服务", "社区独居老人吃饭难，希望引入社会组织提供每周五天的助餐配送服务。",
     "独居和高龄老人", "社区活动中心", "service", "为老服务", 60000, 56000),
    ("社区图书角", "活动中心有空房间，可以改成图书角，采购图书和书架，周末开放。",
     "全体居民", "社区活动中心一楼", "goods", "文化体育", 30000, 26000),
    ("小区监控升级", "东门和地下车库的监控画面模糊，晚上看不清，希望更换高清摄像头。",
     "全体居民", "东门、地下车库", "goods", "安全", 250000, "over_cap"),
    ("东门加装路灯", "东门外小路晚上很黑，老人出门不安全。",
     "全体居民", "东门", "works", "安全", 20000, "already_planned"),
]
SECOND_IDEAS = [
    ("垃圾分类亭改造", "现有垃圾分类亭破旧，没有洗手池，希望改造并加装雨棚和洗手池。",
     "全体居民", "各楼栋", "works", "环境改善", 50000, 48000),
    ("青少年暑期托管", "暑假双职工家庭孩子无人看管，希望社会组织开办暑期托管班。",
     "双职工家庭", "社区活动中心", "service", "儿童与家庭", 40000, 36000),
    ("健身步道划线", "中心花园步道没有标识，希望划线并设置里程标识牌。",
     "全体居民", "中心花园", "works", "文化体育", 15000, 12000),
]


def _dates(now, days):
    return Dates(*(now + timedelta(days=d) for d in days))


def _submit(round_, people, staff, ideas, when):
    made = []
    for index, (title, what, whom, where, kind, category, cost, _) in enumerate(ideas):
        with clock_at(when + timedelta(hours=index)):
            if index == len(ideas) - 1 and len(ideas) > 3:   # gathered at a door-to-door visit
                idea = ops.submit_idea(staff, round_, title=title, description=what, beneficiaries=whom,
                                       place=where, kind=kind, category=category, cost_fen=cost * 100,
                                       source="visit", source_name="6号楼李阿姨")
            else:
                idea = ops.submit_idea(people[index], round_, title=title, description=what, beneficiaries=whom,
                                       place=where, kind=kind, category=category, cost_fen=cost * 100)
        with clock_at(when + timedelta(days=1, hours=index)):
            for neighbour in people[index + 1:index + 1 + (7 - index)]:
                ops.cosign(neighbour, idea)
        made.append(idea)
    return made


def _screen(round_, staff, ideas, specs, org, when):
    for index, (idea, spec) in enumerate(zip(ideas, specs)):
        outcome = spec[-1]
        with clock_at(when + timedelta(hours=index)):
            if isinstance(outcome, int):
                ops.screen(staff, idea, feasible=True, estimate_fen=outcome * 100, handler_org_id=org.id,
                           reason="符合民生微实事资金使用范围，场地和实施条件具备；估算按市场询价。")
            elif outcome == "over_cap":
                ops.screen(staff, idea, feasible=False, ground=outcome,
                           reason="估算约 25 万元，超过货物类项目 20 万元的上限；建议纳入街道安防改造计划。")
            else:
                ops.screen(staff, idea, feasible=False, ground=outcome,
                           reason="街道城建科已将东门路灯列入今年市政照明计划，预计下月施工。")


def _council_vote(community, staff, round_, start):
    body = community.body_by_preset("deliberation_council")
    voters = [m.user for m in body.memberships if m.is_voting]
    chair = next(m.user for m in body.memberships if m.role is MemberRole.CHAIR)
    with clock_at(start - timedelta(days=body.rule.notice_days + 1)):
        meeting = meetings.create_meeting(staff, body, title=f"{body.meeting_name}（{round_.title}候选名单）",
                                          start_dt=start, place="社区活动中心二楼")
        ops.schedule_deliberation(staff, round_, meeting)
        meetings.announce(staff, meeting)
    with clock_at(start):
        meetings.start(chair, meeting)
        for user in voters:
            meetings_live.check_in(chair, meeting, user.id)
    with clock_at(start + timedelta(minutes=20)):
        vote = votes.open_vote(chair, meeting)
        votes.enter_hall_votes(chair, vote, entries={u.id: "yes" for u in voters})
    with clock_at(start + timedelta(minutes=30)):
        votes.close_vote(chair, vote)
    with clock_at(start + timedelta(hours=1)):
        meetings.end_meeting(chair, meeting)
        db.session.commit()


def _ballots(round_, voters, choices, when):
    for index, user in enumerate(voters):
        with clock_at(when + timedelta(minutes=7 * index)):
            voting.cast(user, round_.id, choices[index % len(choices)])


def seed_demo_rounds(community, staff, residents, supervisor, now=None):
    if MicroRound.query.filter_by(community_id=community.id, title=FIRST).first() is not None:
        return
    now = now or utcnow()
    org = HandlerOrg.query.filter_by(community_id=community.id, name="邻里互助服务社").first() or \
        HandlerOrg.query.filter_by(community_id=community.id).first()
    people = residents[:40]

    # -- this year's first round: through to implementation ------------------------------------
    with clock_at(now - timedelta(days=44)):
        first = ops.create_round(staff, community, title=FIRST, year=now.year, fund_fen=150_000_00,
                                 dates=_dates(now, (-44, -38, -32, -26, -19, -14, 330)),
                                 choice_mode="within_fund", max_choices=3, matter_threshold_fen=50_000_00)
        db.session.commit()
    ideas = _submit(first, people, staff, IDEAS, now - timedelta(days=43))
    db.session.commit()
    _screen(first, staff, ideas, IDEAS, org, now - timedelta(days=37))
    db.session.commit()
    _council_vote(community, staff, first, now - timedelta(days=30))
    handrail, playground, meals, books = ideas[:4]
    _ballots(first, people, [[handrail.id, meals.id, books.id], [playground.id, handrail.id],
                             [meals.id, books.id, handrail.id], [playground.id, books.id]],
             now - timedelta(days=25))
    with clock_at(now - timedelta(days=20)):
        paper_voters = residents[40:46]
        for person in paper_voters:
            voting.record_paper_voter(staff, first, person.phone)
        voting.set_paper_totals(staff, first, {handrail.id: 5, meals.id: 4, playground.id: 2, books.id: 1})
        db.session.commit()
    with clock_at(now - timedelta(days=18)):
        voting.settle(first)
        db.session.commit()   # a funded project above 50,000 元 opens its 四议两公开 matter now
    with clock_at(now - timedelta(days=14)):
        for idea in voting.funded(first):
            impl.assign(staff, idea, org.id, [residents[0].phone] if idea is handrail else [])
        db.session.commit()
    with clock_at(now - timedelta(days=13)):
        impl.add_milestone(staff, handrail, title="材料采购", due_dt=now - timedelta(days=10), percent=40)
        impl.add_milestone(staff, handrail, title="安装完成", due_dt=now - timedelta(days=4), percent=100)
        impl.add_milestone(staff, meals, title="确定助餐服务机构", due_dt=now - timedelta(days=6), percent=30)
        impl.add_milestone(staff, meals, title="开始配送", due_dt=now + timedelta(days=10), percent=100)
    with clock_at(now - timedelta(days=10)):
        impl.complete_milestone(staff, handrail.milestones[0], note="不锈钢扶手 120 米已到货。")
        impl.add_spending(staff, handrail, amount_fen=16_800_00, note="不锈钢扶手材料")
    with clock_at(now - timedelta(days=5)):
        impl.complete_milestone(staff, handrail.milestones[1], note="3 号楼、5 号楼全部楼道安装完毕。")
        impl.add_spending(staff, handrail, amount_fen=19_650_00, note="安装人工")
    with clock_at(now - timedelta(days=3)):
        impl.accept(staff, handrail, "扶手安装牢固，高度符合适老化标准，验收合格。")
    with clock_at(now - timedelta(days=2)):
        impl.confirm(supervisor, handrail)
    with clock_at(now - timedelta(days=1)):
        for index, person in enumerate(people[:9]):
            impl.rate(person, handrail, ("satisfied", "satisfied", "basic")[index % 3])
    db.session.commit()

    # -- a second round, open for voting now -------------------------------------------------------
    with clock_at(now - timedelta(days=12)):
        second = ops.create_round(staff, community, title=SECOND, year=now.year, fund_fen=80_000_00,
                                  dates=_dates(now, (-12, -9, -6, -2, 12, 30, 360)),
                                  choice_mode="up_to_k", max_choices=2)
        db.session.commit()
    more = _submit(second, people[10:], staff, SECOND_IDEAS, now - timedelta(days=11))
    db.session.commit()
    _screen(second, staff, more, SECOND_IDEAS, org, now - timedelta(days=8, hours=12))
    db.session.commit()
    _council_vote(community, staff, second, now - timedelta(days=5))
    _ballots(second, people[20:35], [[more[0].id, more[1].id], [more[2].id]], now - timedelta(days=1))
    db.session.commit()
