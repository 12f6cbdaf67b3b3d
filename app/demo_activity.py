"""Demo activity on top of the demo street: proposals in every stage, a meeting, a consultation.

It goes through the real operations, so every trail, notification and audit event is genuine;
what happened in the past week is done under `clock_at`, so that its trail and its records carry
the same times. It sits at the top (beside cli.py) because it uses every area.
"""
from datetime import timedelta

from app.auth.models import User, UserState
from app.community.models import Community, HandlerOrg
from app.core.timeutil import clock_at, utcnow
from app.extensions import db
from app.matters.demo import seed_demo_matter
from app.meetings import operations as meetings
from app.meetings.demo import seed_hall_day
from app.microprojects.demo import seed_demo_rounds
from app.notice import operations as notice_board
from app.proposals import drafts
from app.proposals import operations as proposals
from app.votes import consultations


def seed_activity():
    community = Community.query.order_by(Community.id).first()
    by_phone = {u.phone: u for u in User.query.filter(User.phone.like("139%"))}
    resident, staff, handler = by_phone["13900000008"], by_phone["13900000003"], by_phone["13900000010"]
    chair = by_phone["13900000004"]
    neighbours = (User.query.filter(User.community_id == community.id,
                                    User.state == UserState.VERIFIED, User.phone.like("137%"))
                  .order_by(User.id).limit(12).all())
    org = HandlerOrg.query.filter_by(community_id=community.id, name="阳光物业服务有限公司").one()
    # First the older story: a 四议两公开 matter carried through four real meetings and votes over
    # the past month, its resolution published two days ago.
    seed_demo_matter(community, staff)

    start = utcnow() - timedelta(days=6)

    def day(days, hours=0):
        return clock_at(start + timedelta(days=days, hours=hours))

    def proposal(title, category, problem, suggestion, place, cosigns):
        with day(0):
            item = drafts.create_draft(resident, community, title=title, category=category,
                                          problem=problem, suggestion=suggestion, place=place)
            db.session.flush()
            proposals.publish(resident, item)
        with day(0, hours=2):
            for neighbour in neighbours[:cosigns]:
                proposals.cosign(neighbour, item)
        return item

    proposal("3号楼加装电梯", "设施维修",
             "3 号楼是 7 层老楼，楼里有十几位行动不便的老人，上下楼非常困难。",
             "申请政府加装电梯补贴，由居委会牵头征求全楼住户意见。", "3号楼", cosigns=3)
    parking = proposal("小区停车难，晚上车辆乱停堵住消防通道", "停车交通",
                       "晚上东门附近车辆乱停，消防通道经常被堵。",
                       "划定夜间临时停车位，消防通道画黄线并安排巡查。", "东门", cosigns=5)
    with day(1):
        proposals.accept(staff, parking)
        proposals.assign(staff, parking, org.id)
    with day(4):
        proposals.answer(handler, parking, "B",
                         "已在东门增划 12 个夜间停车位，消防通道已画黄线，每晚 21 点巡查一次。")
    with day(5):
        proposals.rate(resident, parking, "satisfied")
    gym = proposal("健身器材损坏，存在安全隐患", "安全",
                   "中心花园的两台健身器材螺丝松动，有孩子差点摔伤。",
                   "尽快维修，并在器材旁贴上使用须知。", "中心花园", cosigns=5)
    with day(1):
        proposals.accept(staff, gym)
    with day(2):
        proposals.assign(staff, gym, org.id)
    proposal("楼道堆放杂物清理", "环境卫生", "2 号楼楼道堆满纸箱和旧家具，一旦失火很危险。",
             "组织一次集中清理，之后定期检查。", "2号楼", cosigns=5)

    body = community.body_by_preset("representatives_assembly")
    meeting = meetings.create_meeting(chair, body, title="2026 年第四季度居民代表会议",
                                      start_dt=utcnow() + timedelta(days=5), place="社区活动中心二楼")
    db.session.flush()
    meetings.add_item(chair, meeting, title="讨论 3 号楼加装电梯意向", description="听取住户意见。")
    meetings.add_item(chair, meeting, title="小区夜间停车管理办法", description="物业通报试行情况。")
    meetings.announce(chair, meeting, notice_text="请各位代表准时参会；不能到场的可在线参加。")

    consultations.create_consultation(staff, community, title="中心花园绿化改造意见征集",
                                      description="改造预算约 8 万元，请选出您最希望改进的地方。",
                                      labels=["增加座椅", "增加树荫", "儿童游乐区", "夜间照明"], up_to=2,
                                      start_dt=utcnow() - timedelta(hours=1),
                                      end_dt=utcnow() + timedelta(days=7))

    # The hall day: a 居民会议 on the household base, due to start now (app/meetings/demo.py).
    seed_hall_day(community)

    # 民生微实事: this year's round through to implementation, and a second one open for voting.
    residents = (User.query.filter(User.community_id == community.id, User.state == UserState.VERIFIED,
                                   User.phone.like("137%")).order_by(User.id).limit(60).all())
    supervisor = community.body_by_preset("supervisory_committee").memberships[0].user
    seed_demo_rounds(community, staff, residents, supervisor)

    # General notices (居务公开) on the notice board, posted by the community's admin.
    admin = by_phone["13900000002"]
    with day(0):
        notice_board.create(
            admin, community, title="2026 年第三季度社区公共收益收支公开", category="财务公开",
            body="| 项目 | 金额（元） |\n| --- | ---: |\n| 停车位租金收入 | 36,400.00 |\n"
                 "| 广告位收入 | 8,000.00 |\n| 绿化养护支出 | 12,600.00 |\n| 楼道照明维修支出 | 3,150.00 |\n\n"
                 "结余 28,650.00 元，计入公共收益账户。如有疑问，请在公示期内向居务监督委员会反映。",
            publish_now=True)
    notice_board.create(
        admin, community, title="关于开展冬季消防安全检查的通知", category="服务公开",
        body="社区将于下周六上午 9 点至 12 点对各楼道进行消防安全检查，请居民清理楼道堆放的杂物，"
             "电动自行车不要在楼道内充电。",
        publish_now=True)

