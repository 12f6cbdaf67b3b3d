"""A proposal's whole life in Chromium at phone width: written, co-signed, accepted, answered,
rated 不满意, re-handled, rated 满意, and its trail on the public page."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def log_in(page, user):
    page.context.clear_cookies()
    page.goto("/auth/login")
    page.get_by_label("手机号").fill(user.phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/$"))


def open_action(page, name):
    page.locator(f"#act-{name} summary").click()


def test_a_proposal_goes_round_the_whole_loop(page, make, db):
    from app.community.models import HandlerKind, HandlerMember, HandlerOrg
    from app.core.timeutil import utcnow
    from app.proposals.models import Proposal, ProposalSettings

    community = make.community("阳光社区")
    author = make.user(community, name="张阿姨")
    neighbours = [make.user(community, name=f"邻居{i}", room=f"30{i}") for i in range(2)]
    staff = make.user(community, name="王书记", roles=["staff"])
    handler = make.user(None, name="物业小陈")
    org = HandlerOrg(street=community.street, community=community, kind=HandlerKind.PROPERTY,
                     name="阳光物业")
    db.session.add_all([org, HandlerMember(org=org, user=handler),
                        ProposalSettings(community_id=community.id, cosign_threshold=2,
                                         window_days=14, review_days=7, reply_days=30,
                                         rehandle_days=15, categories_text="停车交通\n设施维修")])
    earlier = Proposal(community_id=community.id, author_id=neighbours[1].id, title="小区停车难，车位不足",
                       category="停车交通", problem="晚上没有车位。", suggestion="增加车位。",
                       state="collecting", published_dt=utcnow())
    db.session.add(earlier)
    db.session.commit()

    # The author writes; similar proposals appear while the title is typed.
    log_in(page, author)
    page.get_by_role("link", name="提案", exact=True).click()
    page.get_by_role("link", name="我要提案").click()
    page.wait_for_load_state()   # the form is there before its script listens to the title
    page.get_by_label("标题").press_sequentially("3号楼停车位不够")
    page.locator("#similar a", has_text="小区停车难，车位不足").wait_for()
    page.get_by_label("标题").fill("3号楼楼下乱停车，堵住消防通道")
    page.get_by_label("类别").select_option("停车交通")
    page.get_by_label("问题").fill("每天晚上3号楼楼下停满了车，消防车进不来。")
    page.get_by_label("建议").fill("重新划线，设置禁停标志。")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("草稿已保存")).to_be_visible()
    page.get_by_role("button", name="发布提案").click()
    expect(page.locator("#proposal-state")).to_have_text("征集附议中")
    expect(page.locator("#countdown")).to_contain_text("还剩 13 天")
    url = page.url

    # Two neighbours co-sign; the second brings it to review.
    for neighbour in neighbours:
        log_in(page, neighbour)
        page.goto(url)
        page.get_by_role("button", name="附议", exact=True).click()
        expect(page.get_by_text("附议成功")).to_be_visible()
    expect(page.locator("#proposal-state")).to_have_text("审查中")

    # Staff accept and assign to the property company.
    log_in(page, staff)
    page.goto(url)
    page.get_by_role("button", name="立案", exact=True).click()
    open_action(page, "assign")
    page.get_by_label("承办单位").select_option(label="阳光物业（物业服务企业）")
    page.get_by_role("button", name="确认交办").click()
    expect(page.locator("#proposal-state")).to_have_text("办理中")
    expect(page.locator("#countdown")).to_contain_text("答复期限")

    def handler_answers(category, body):
        log_in(page, handler)
        page.get_by_role("link", name="承办", exact=True).click()
        page.get_by_role("link", name="3号楼楼下乱停车，堵住消防通道").click()
        open_action(page, "answer")
        page.get_by_label("答复类别").select_option(category)
        page.get_by_label("答复内容").fill(body)
        page.get_by_role("button", name="提交答复").click()
        expect(page.locator("#proposal-state")).to_have_text("已答复")

    def author_rates(label):
        log_in(page, author)
        page.goto(url)
        open_action(page, "rate")
        page.get_by_label("您对答复是否满意？").select_option(label=label)
        page.get_by_role("button", name="提交评价").click()

    handler_answers("B", "已通知物业，下月重新划线。")
    author_rates("不满意")
    expect(page.locator("#proposal-state")).to_have_text("办理中")
    expect(page.get_by_text("重新办理中")).to_be_visible()
    handler_answers("A", "已重新划线并安装禁停标志。")
    author_rates("满意")
    expect(page.locator("#proposal-state")).to_have_text("已办结")

    # Anyone, without logging in, reads the whole trail.
    page.context.clear_cookies()
    page.goto(url)
    trail = page.locator("#timeline").inner_text()
    for step in ("发布", "附议", "立案", "交办", "答复", "评价", "重新办理", "办结"):
        assert step in trail, step
    replies = page.locator("#replies").inner_text()
    assert "第 2 次答复" in replies and "不满意" in replies and "满意" in replies
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
