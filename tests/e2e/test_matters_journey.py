"""A matter's stage-4 vote in the live room, then the public reads the resolution notice with its
trail in an anonymous browser, at 360 px."""
import pytest
from playwright.sync_api import expect

from app.core.timeutil import utcnow
from app.meetings import live
from app.matters import agenda
from app.meetings import operations as meetings
from tests.conftest import PASSWORD
from tests.e2e.test_live_room import log_in
from tests.integration.test_matters_flow import (  # noqa: F401
    World, background_settled,
)

pytestmark = pytest.mark.e2e


def test_resolution_voted_in_the_room_then_read_by_the_public(browser, live_server, make, db):
    w = World(make, db)
    matter = w.matter(title="中心花园改造")
    for key in ["party_branch_committee", "two_committees", "party_members_assembly"]:
        w.decide(matter, key)
    assert matter.stage.value == "resolution"

    # The representatives' assembly: the matter on its agenda, the chair online, three in the hall.
    assembly = w.meeting("representatives_assembly", title="居民代表会议（第四季度）")
    agenda.schedule(w.staff, matter, assembly)
    w.announce(assembly)
    chair = w.chairs["representatives_assembly"]
    chair.set_password(PASSWORD)
    meetings.start(chair, assembly)
    hall = w.members["representatives_assembly"][1:]
    for member in hall:
        live.check_in(chair, assembly, member.id)
    db.session.commit()

    errors = []
    contexts = [browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                    base_url=live_server.url) for _ in range(2)]
    try:
        room = log_in(contexts[0], chair)
        room.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        room.on("dialog", lambda dialog: dialog.accept())
        room.goto(f"/meetings/{assembly.id}/room")
        room.wait_for_selector("#room[data-ready='1']")
        expect(room.locator("#current-item")).to_contain_text("中心花园改造")
        expect(room.locator("#quorum-text")).to_contain_text("实到 4 人")

        room.get_by_role("button", name="开始表决").click()
        room.locator("#vote-current").get_by_role("button", name="赞成").click()
        expect(room.locator("#my-receipt")).to_be_visible()
        for member, choice in zip(hall, ["yes", "yes", "no"]):
            room.locator(f"#hall-entry [data-hall-user='{member.id}'][data-choice='{choice}']").click()
        expect(room.locator("#vote-current")).to_contain_text("已投 4 / 实到 4 人")
        room.locator("#close-vote").click()
        expect(room.locator("#vote-results")).to_contain_text("赞成 3 票")

        # Anyone, without an account, reads the notice at the matter's stable address.
        public = contexts[1].new_page()
        public.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        public.goto(f"/c/{w.c.id}/matters/")
        public.get_by_role("link", name="中心花园改造").click()
        notice = public.locator("#resolution-notice")
        expect(notice).to_contain_text("决议公告")
        expect(notice).to_contain_text("公示期 7 天")
        expect(public.locator("#matter-stage")).to_contain_text("决议公开")
        resolution = public.locator("#stage-resolution")
        expect(resolution).to_contain_text("已完成")
        expect(resolution).to_contain_text("居民代表会议（第四季度）")
        expect(resolution).to_contain_text("应到 4 人，实到 4 人（现场 3 人，线上 1 人）")
        expect(resolution).to_contain_text("赞成 3 票")
        for key in ["proposal", "consultation", "review"]:
            expect(public.locator(f"#stage-{key} .trail-state")).to_have_text("已完成")
            expect(public.locator(f"#stage-{key} a", has_text="会议纪要")).to_have_count(1)
        expect(public.locator("#stage-resolution_public .trail-state")).to_have_text("进行中")
        expect(public.locator("#stage-implementation .trail-state")).to_have_text("未开始")
        assert public.locator("#manage").count() == 0
        public.locator("#stage-review a", has_text="会议纪要").click()
        expect(public.locator("#minutes")).to_contain_text("党员大会会议纪要")
        public.go_back()
        assert public.evaluate("document.documentElement.scrollWidth") <= 360
        assert errors == []
    finally:
        for context in contexts:
            context.close()
    db.session.refresh(matter)
    assert matter.stage.value == "resolution_public" and matter.resolution_published_dt <= utcnow()
