"""民生微实事 in the browser: a resident on a 360 px phone picks projects within the fund and sees
the money left as they choose; after the vote the notice board shows the funded result."""
import re

import pytest
from playwright.sync_api import expect

from app.microprojects import operations as ops
from tests.e2e.test_live_room import log_in
from tests.integration.micro_helpers import MicroWorld, move_to, settle_background

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def background_settled(db):
    yield
    settle_background()


def test_a_resident_picks_within_the_fund_and_the_board_shows_the_result(browser, live_server, make, db):
    w = MicroWorld(make, db)
    round_ = w.round("collecting", choice_mode="within_fund", fund_fen=100_000_00)
    ideas = [w.idea(round_, title, kind="service", cost_fen=cost)
             for title, cost in (("长者助餐服务", 50_000_00), ("社区图书角", 40_000_00), ("儿童游乐区改造", 30_000_00))]
    move_to(db, round_, "screening")
    for idea in ideas:
        ops.screen(w.staff, idea, feasible=True, estimate_fen=idea.cost_fen, reason="可行，按市场询价估算。")
    db.session.commit()
    move_to(db, round_, "deliberation")
    w.deliberate(round_)
    move_to(db, round_, "voting")

    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN", base_url=live_server.url)
    errors = []
    try:
        page = log_in(context, w.resident)
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(f"/c/{w.c.id}/micro/{round_.id}/ballot")
        left = page.locator("#money-left")
        expect(left).to_have_text("100,000")
        box = {idea.id: page.locator(f"input[name=pick][value='{idea.id}']") for idea in ideas}
        box[ideas[0].id].check()
        expect(left).to_have_text("50,000")
        box[ideas[1].id].check()
        expect(left).to_have_text("10,000")
        # The third no longer fits: marked, and choosing it anyway shows the overrun and stops the cast.
        expect(page.locator("label.project").nth(2)).to_have_class(re.compile("unaffordable"))
        box[ideas[2].id].check()
        expect(left).to_have_text("-20,000")
        expect(page.locator("#over-fund")).to_be_visible()
        expect(page.locator("#cast")).to_be_disabled()
        box[ideas[2].id].uncheck()
        expect(page.locator("#over-fund")).to_be_hidden()
        # Nothing is wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.locator("#cast").click()
        expect(page.locator("#receipt")).to_contain_text(re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}"))
        receipt = page.locator("#receipt").get_attribute("data-receipt")

        # After the vote: the board shows the result with its rule and money, and the receipt.
        move_to(db, round_, "results")
        board = context.new_page()
        board.goto(f"/notice/micro/{round_.id}")
        rows = board.locator("#result-table tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.nth(0)).to_have_attribute("data-funded", "true")
        expect(board.locator("#funding-rule")).to_be_visible()
        expect(board.locator("#money-line")).to_have_attribute("data-committed", str(90_000_00))
        assert board.evaluate("document.documentElement.scrollWidth") <= 360   # the board fits a phone too
        board.goto(f"/notice/micro/{round_.id}/receipts?code={receipt}")
        expect(board.locator("#found")).to_contain_text("长者助餐服务")
        assert not errors, errors
    finally:
        context.close()
