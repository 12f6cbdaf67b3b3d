"""A hybrid meeting in the browser: a named and a secret vote, online casts and hall entries in
one result, shown on the member's phone and on the hall's projector."""
import re

import pytest
from playwright.sync_api import expect

from app.meetings import live
from tests.e2e.test_live_room import log_in
from tests.integration.live_helpers import Meeting

pytestmark = pytest.mark.e2e


def test_named_and_secret_votes_in_a_hybrid_meeting(browser, live_server, make, db):
    room = Meeting(make, db)
    room.start(db)
    live.check_in(room.secretary, room.meeting, room.members[0].id)   # in the hall, no phone
    db.session.commit()
    errors = []
    contexts = [browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                    base_url=live_server.url) for _ in range(3)]
    try:
        chair, member, secretary = (log_in(c, u) for c, u in
                                    zip(contexts, (room.chair, room.members[1], room.secretary)))
        joins = []   # the secretary's screen asking for the whole room again
        secretary.on("websocket", lambda ws: ws.on(
            "framesent", lambda frame: joins.append(frame) if '["join"' in str(frame) else None))
        for page in (chair, member, secretary):
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto(f"/meetings/{room.id}/room")
            page.wait_for_selector("#room[data-ready='1']")
        projector = contexts[2].new_page()
        projector.goto(f"/meetings/{room.id}/projector")
        projector.wait_for_selector("#room[data-ready='1']")
        expect(chair.locator("#quorum-text")).to_contain_text("实到 4 人")

        # A named vote: the member votes on the phone, the secretary enters the hall's hand.
        assert member.locator("#open-vote-form").is_hidden()
        expect(member.locator("#vote-results-h")).to_be_hidden()   # no empty "closed votes" heading
        joined = len(joins)
        chair.get_by_role("button", name="开始表决").click()
        member.get_by_role("button", name="赞成").click()
        expect(member.locator("#my-receipt")).to_contain_text(re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}"))
        receipt = member.locator("#my-receipt .receipt").inner_text()
        expect(member.locator("#vote-current")).to_contain_text("您已投票")
        secretary.locator(f"#hall-entry [data-hall-user='{room.members[0].id}'][data-choice='yes']").click()
        expect(secretary.locator("#hall-entry")).to_contain_text("已录入")
        expect(chair.locator("#hall-entry")).to_contain_text("已录入")       # every officer's screen
        expect(chair.locator("#vote-current")).to_contain_text("已投 2 / 实到 4 人")
        assert joined >= 1 and len(joins) == joined   # ticked off in place, no re-read of the room
        chair.locator("#close-vote").click()
        expect(projector.locator("#vote-results")).to_contain_text("预算（记名）：未通过")
        expect(projector.locator("#vote-results")).to_contain_text("赞成 2 票")
        expect(member.locator("#vote-results")).to_contain_text("应到 5 人，实到 4 人")
        expect(member.get_by_role("heading", name="已结束的表决")).to_be_visible()

        # The member checks the receipt on the public list.
        member.get_by_role("link", name="回执码公示与核对").click()
        member.get_by_label("我的回执码").fill(receipt.lower())
        member.get_by_role("button", name="查找").click()
        expect(member.locator("#receipt-found")).to_contain_text("赞成")
        member.go_back()
        member.go_back()
        member.wait_for_selector("#room[data-ready='1']")

        # A secret vote: online ballots plus the hall's counted paper ballots.
        chair.get_by_label("无记名（不能追溯到个人）").check()
        chair.get_by_role("button", name="开始表决").click()
        member.get_by_role("button", name="反对").click()
        expect(member.locator("#my-receipt")).to_be_visible()
        chair.get_by_role("button", name="赞成").click()
        form = secretary.locator("#hall-totals-form")
        form.get_by_label("赞成").fill("1")
        form.get_by_role("button", name="录入合计").click()
        expect(chair.locator("#vote-current")).to_contain_text("已投 3 / 实到 4 人")
        chair.locator("#close-vote").click()
        result = projector.locator("#vote-results li").first
        expect(result).to_contain_text("（无记名）：未通过")
        expect(result).to_contain_text("赞成 2 票，反对 1 票，弃权 0 票")
        assert member.evaluate("document.documentElement.scrollWidth") <= 360
        assert errors == []
    finally:
        for context in contexts:
            context.close()
