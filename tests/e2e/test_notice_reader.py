"""The notice board in Chromium at phone width, without an account: read, filter, search in
Chinese, open an item and its print sheet; and axe-core on every public page of the board, in
Chinese and in English."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.integration.test_notice_board import board, settled  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e

SERIOUS = {"serious", "critical"}


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def test_an_anonymous_reader_filters_searches_opens_and_prints(page, board):  # noqa: F811
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto("/notice/")
    expect(page.get_by_role("heading", level=1)).to_have_text("公开栏")
    expect(page.locator("#result-count")).to_contain_text("共 6 条")
    no_sideways_scroll(page)

    # Filter to proposals with the kind list, then to one community's board.
    page.get_by_label("类型", exact=True).select_option(label="居民提案")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#result-count")).to_contain_text("共 2 条")
    expect(page.locator(".posting-title")).to_have_count(2)
    page.get_by_role("navigation", name="公开类型").get_by_role("link", name="全部").click()
    page.get_by_label("社区", exact=True).select_option(label="月亮社区")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator(".posting-title")).to_have_text(["月亮社区垃圾分类新规"])

    # Search in Chinese across the street.
    page.goto("/notice/")
    page.get_by_label("搜索", exact=True).fill("加装电梯")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#result-count")).to_contain_text("共 1 条")
    page.get_by_role("link", name="3号楼加装电梯").click()
    page.wait_for_url(re.compile(rf".*/notice/proposal/{board.p_lift.id}$"))
    expect(page.locator("#posting-status")).to_have_text("已办结")
    expect(page.locator("#replies")).to_contain_text("已申请加装电梯补贴")
    expect(page.locator("#replies")).to_contain_text("提案人评价：满意")
    no_sideways_scroll(page)

    # The print sheet: a QR code back to this page; on paper the buttons are gone.
    page.get_by_role("link", name="打印版（A4 张贴）").click()
    page.wait_for_url(re.compile(r".*/print$"))
    expect(page.get_by_role("img", name="扫码查看网上原文")).to_be_visible()
    expect(page.locator(".sheet-url")).to_contain_text(f"/notice/proposal/{board.p_lift.id}")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="打印")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_have_text("3号楼加装电梯")
    page.emulate_media(media="screen")
    assert [p for p in problems if "Content Security Policy" in p] == []


@pytest.mark.parametrize("language, html_lang", [("zh_Hans_CN", "zh-Hans"), ("en", "en")])
def test_no_serious_accessibility_violations_on_any_public_page(page, board, db,  # noqa: F811
                                                                 language, html_lang):
    from axe_playwright_python.sync_playwright import Axe

    from app.notice import index

    matter = _public_matter(board, db)
    index.refresh("resolution", matter.id)
    pages = [
        "/notice/", "/notice/?kind=proposal&q=停车", "/notice/?q=没有这样的内容",
        f"/notice/proposal/{board.p_lift.id}", f"/notice/proposal/{board.p_lift.id}/print",
        f"/notice/meeting/{board.m_ended.id}", f"/notice/meeting/{board.m_announced.id}/print",
        f"/notice/general/{board.n_finance.id}", f"/notice/general/{board.n_finance.id}/print",
        f"/notice/resolution/{matter.id}", f"/notice/resolution/{matter.id}/print",
        "/notice/stats", f"/notice/stats?community={board.c.id}",
    ]
    axe = Axe()
    found = {}
    page.goto("/notice/")
    page.context.add_cookies([{"name": "locale", "value": language, "url": page.url}])   # the switch's
    for path in pages:
        page.goto(path)
        assert page.get_attribute("html", "lang") == html_lang, path
        results = axe.run(page)
        serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                   for v in results.response["violations"] if v["impact"] in SERIOUS]
        if serious:
            found[path] = serious
        no_sideways_scroll(page)
    # Large type changes every size on the page: check the busiest page in it too.
    page.context.add_cookies([{"name": "large_type", "value": "1", "url": page.url}])
    page.goto("/notice/stats")
    serious = [v["id"] for v in axe.run(page).response["violations"] if v["impact"] in SERIOUS]
    if serious:
        found["/notice/stats (large type)"] = serious
    no_sideways_scroll(page)
    assert found == {}


def _public_matter(w, db):
    """A matter at stage 5 (决议公开), as the matters area leaves it after the resolution vote."""
    from app.core.timeutil import utcnow
    from app.matters.models import Matter
    from app.matters.workflow import MatterStage

    published = utcnow() - timedelta(days=2)
    matter = Matter(community_id=w.c.id, title="中心花园改造工程", kind="工程建设与修缮",
                    stage=MatterStage.resolution_public, plan="更换健身器材，铺设透水砖。",
                    budget_fen=8_600_000, created_by_id=w.staff.id, objection_days=7,
                    resolution_published_dt=published, updated_dt=published)
    db.session.add(matter)
    db.session.commit()
    return matter
