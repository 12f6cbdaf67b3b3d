"""The public receipts page on a 360 px phone: long codes and the chain head wrap, the hall's paper
ballots are said in words."""
import pytest

from app.meetings import live
from app.votes import operations as votes
from tests.integration.live_helpers import Meeting
from tests.integration.test_votes_meeting import cast_committed

pytestmark = pytest.mark.e2e


def test_receipts_page_does_not_scroll_sideways_at_360_px(page, make, db):
    room = Meeting(make, db, preset="representatives_assembly")   # public receipts
    room.start(db)
    for user in (room.chair, room.members[0]):
        live.join_online(user, room.meeting)
    for user in room.members[1:]:
        live.check_in(room.secretary, room.meeting, user.id)
    db.session.commit()
    vote = votes.open_vote(room.chair, room.meeting, kind="secret",
                           title="关于小区北门外停车位重新划线和夜间照明改造的预算方案表决")
    db.session.commit()
    mine = cast_committed(room.chair, vote.id, "yes", "r" * 20)
    cast_committed(room.members[0], vote.id, "no", "s" * 20)
    votes.enter_hall_votes(room.secretary, vote, totals={"yes": 1, "no": 1})
    votes.close_vote(room.chair, vote)
    db.session.commit()

    page.goto(f"/votes/{vote.id}/receipts?code={mine}")
    assert page.locator("#receipt-found").is_visible()
    hall = page.locator("[data-hall-totals]")
    assert hall.get_attribute("data-hall-totals") == "2"
    assert "ballots=" not in page.locator("main").inner_text()
    assert "现场纸质票 2 张：赞成 1，反对 1，弃权 0" in hall.inner_text()
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth"), \
        page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
