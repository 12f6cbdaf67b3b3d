"""The hall's screens in Chromium: the projector shows everything at once at the sizes halls use,
and a screen says when it has lost the server and when it is back, with the room fetched again."""
import pytest
from playwright.sync_api import expect

from app.meetings import live
from app.votes import operations as votes
from tests.e2e.test_live_room import log_in
from tests.integration.live_helpers import Meeting

pytestmark = pytest.mark.e2e

# What the back of the hall must see, each whole on the screen.
PANELS = ["#current-item", "#speaking", "#quorum-count", "#quorum-meter", "#vote-current .vote-count", "#qr svg"]


@pytest.mark.parametrize("width, height", [(1280, 720), (1920, 1080)])
def test_projector_shows_everything_without_scrolling(browser, live_server, make, db, width, height):
    room = Meeting(make, db)
    room.start(db)
    for member in [room.chair, *room.members]:   # in the hall (the chair's projector adds nobody)
        live.check_in(room.secretary, room.meeting, member.id)
    live.give_floor(room.chair, room.meeting, live.add_speaker(room.chair, room.meeting,
                                                                       room.members[0].id).id)
    vote = votes.open_vote(room.chair, room.meeting, kind="named")
    db.session.commit()
    votes.enter_hall_votes(room.secretary, vote, entries={str(room.members[1].id): "yes"})
    db.session.commit()
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  base_url=live_server.url)
    try:
        log_in(context, room.chair)
        page = context.new_page()
        errors = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(f"/meetings/{room.id}/projector")
        page.wait_for_selector("#room[data-ready='1']")
        expect(page.locator("#current-item")).to_have_text("1. 预算")
        expect(page.locator("#speaking")).to_contain_text("成员0 正在发言 · 剩余 ")
        expect(page.locator("#quorum-count")).to_have_text("4 / 5 人")
        expect(page.locator("#vote-current .vote-count")).to_have_text("已投 1 / 实到 4 人")
        for selector in PANELS:
            box = page.locator(selector).bounding_box()
            assert box and box["width"] > 0 and box["height"] > 0, selector
            assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
            assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, (selector, box)
        assert page.evaluate("document.scrollingElement.scrollHeight <= innerHeight")
        assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
        # Type for the back of a hall: the item at least 4 % of the screen's height.
        item_px = page.evaluate("parseFloat(getComputedStyle(document.getElementById('current-item')).fontSize)")
        assert item_px >= 0.04 * height
        # The QR code is large enough to scan from the front rows.
        assert page.locator("#qr svg").bounding_box()["width"] >= 0.25 * height
        page.screenshot(path=f"/tmp/projector-{width}x{height}.png")
        # Once closed, the result takes the running count's place, on the same screen.
        votes.close_vote(room.chair, vote)
        db.session.commit()
        page.reload()
        page.wait_for_selector("#room[data-ready='1']")
        expect(page.locator("#vote-results")).to_contain_text("赞成 1 票")
        for selector in ["#vote-results .vote-result-text", "#qr svg", "#quorum-count"]:
            box = page.locator(selector).bounding_box()
            assert box and box["y"] >= 0 and box["y"] + box["height"] <= height, (selector, box)
        assert page.evaluate("document.scrollingElement.scrollHeight <= innerHeight")
        assert errors == []
    finally:
        context.close()


def test_a_screen_says_when_it_is_offline_and_back_and_catches_up(browser, live_server, make, db):
    room = Meeting(make, db)
    room.start(db)
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  base_url=live_server.url)
    try:
        page = log_in(context, room.members[0])
        page.goto(f"/meetings/{room.id}/room")
        page.wait_for_selector("#room[data-ready='1']")
        banner = page.locator("#conn-banner")
        expect(banner).to_be_hidden()

        context.set_offline(True)
        expect(page.locator("#room")).to_have_attribute("data-conn", "offline")
        expect(banner).to_be_visible()
        expect(banner).to_have_text("网络已断开，正在重连…")
        # While this phone is away, the room moves on without it.
        live.post_chat(room.members[1], room.meeting, "断网时发的消息")
        live.next_item(room.chair, room.meeting)
        db.session.commit()

        context.set_offline(False)
        expect(page.locator("#room")).to_have_attribute("data-conn", "online", timeout=15000)
        expect(banner).to_have_text("已重新连接")
        # Reconnecting fetched the whole room again: what was missed is on the screen.
        expect(page.locator("#chat")).to_contain_text("断网时发的消息")
        expect(page.locator("#current-item")).to_have_text("2. 绿化")
        expect(banner).to_be_hidden(timeout=10000)   # "back" goes away by itself
    finally:
        context.close()


def test_a_refused_connection_says_why_and_links_to_login(browser, live_server, make, db):
    room = Meeting(make, db)
    room.start(db)
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  base_url=live_server.url)
    try:
        page = log_in(context, room.members[0])
        page.goto(f"/meetings/{room.id}/room")
        page.wait_for_selector("#room[data-ready='1']")
        context.clear_cookies()   # the session is gone (logged out in another tab, expired)
        context.set_offline(True)
        expect(page.locator("#room")).to_have_attribute("data-conn", "offline")
        context.set_offline(False)
        expect(page.locator("#room")).to_have_attribute("data-conn", "refused", timeout=15000)
        expect(page.locator("#conn-banner")).to_contain_text("请先登录")
        link = page.locator("#conn-banner a")
        assert link.get_attribute("href") == f"/auth/login?next=%2Fmeetings%2F{room.id}%2Froom"
    finally:
        context.close()
