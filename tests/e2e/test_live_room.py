"""Two browsers in one meeting: the chair moves to the next item, the member's page follows live."""
import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.integration.live_helpers import Meeting

pytestmark = pytest.mark.e2e


def log_in(context, user):
    page = context.new_page()
    page.goto("/auth/login")
    page.get_by_label("手机号").fill(user.phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/")
    return page


def test_chair_moves_the_agenda_and_the_member_follows(browser, live_server, make, db):
    room = Meeting(make, db)
    room.start(db)
    errors = []
    contexts = [browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                    base_url=live_server.url) for _ in range(2)]
    try:
        chair, member = log_in(contexts[0], room.chair), log_in(contexts[1], room.members[0])
        for page in (chair, member):
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(f"/meetings/{room.id}/room")
            page.wait_for_selector("#room[data-ready='1']")
        assert member.locator("#current-item").inner_text() == "1. 预算"
        assert member.locator("#next-item").is_hidden()            # chair-only controls stay hidden
        # The member appears present on the chair's screen without a reload.
        expect(chair.locator("#present")).to_contain_text("成员0")
        chair.locator("#next-item").click()
        expect(member.locator("#current-item")).to_have_text("2. 绿化")
        assert member.locator("#agenda li[aria-current='step']").inner_text().startswith("绿化")
        # The member raises a hand; the chair sees it, gives the floor, and both count down.
        member.locator("#raise-hand").click()
        chair.get_by_role("button", name="请发言").click()
        expect(member.locator("#speaking")).to_contain_text("成员0 正在发言")
        assert "剩余 3:00" in member.locator("#speaking").inner_text() or \
            "剩余 2:5" in member.locator("#speaking").inner_text()
        # Chat reaches the other screen.
        member.locator("#chat-text").fill("同意绿化方案")
        member.get_by_role("button", name="发送").click()
        expect(chair.locator("#chat")).to_contain_text("同意绿化方案")
        assert member.evaluate("document.documentElement.scrollWidth") <= 360
        assert errors == []
    finally:
        for context in contexts:
            context.close()
