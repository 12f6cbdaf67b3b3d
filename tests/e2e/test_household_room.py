"""A household-base 居民会议 in the browser: the meter in households on the chair's screen and the
projector, and a household's second adult sees, without tapping, that the household has voted."""
import pytest
from playwright.sync_api import expect

from app.meetings import live
from tests.e2e.test_live_room import log_in
from tests.integration.test_meetings_households import Assembly

pytestmark = pytest.mark.e2e


def test_the_household_votes_once_and_its_other_adult_sees_who(browser, live_server, make, db):
    hall = Assembly(make, db)
    live.check_in(hall.chair, hall.meeting, hall.li.id)   # 李四 in the hall, no phone
    db.session.commit()
    errors = []
    contexts = [browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                    base_url=live_server.url) for _ in range(3)]
    try:
        chair, wife, husband = (log_in(c, u) for c, u in zip(contexts, (hall.chair, hall.wife, hall.husband)))
        for page in (chair, wife, husband):
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto(f"/meetings/{hall.id}/room")
            page.wait_for_selector("#room[data-ready='1']")
        projector = contexts[0].new_page()
        projector.goto(f"/meetings/{hall.id}/projector")
        projector.wait_for_selector("#room[data-ready='1']")
        for page in (chair, husband, projector):
            expect(page.locator("#quorum-text")).to_contain_text("应到 4 户，实到 3 户")
            expect(page.locator("#quorum-meter")).to_have_attribute("data-unit", "户")

        chair.get_by_role("button", name="开始表决").click()
        expect(husband.get_by_role("button", name="赞成")).to_be_visible()
        wife.get_by_role("button", name="赞成").click()
        expect(wife.locator("#my-receipt")).to_be_visible()
        # No tap on the husband's phone: the buttons go and the screen says who voted.
        notice = husband.locator("#vote-current [data-household-voted]")
        expect(notice).to_contain_text("本户已由 王阿姨 投票")
        expect(notice).to_have_attribute("data-household-voted", str(hall.wife.id))
        expect(husband.get_by_role("button", name="赞成")).to_have_count(0)
        expect(chair.locator("#vote-current")).to_contain_text("已投 1 / 实到 3 户")
        husband.reload()
        husband.wait_for_selector("#room[data-ready='1']")
        expect(husband.locator("#vote-current [data-household-voted]")).to_contain_text("王阿姨")
        assert not errors, errors
    finally:
        for context in contexts:
            context.close()
