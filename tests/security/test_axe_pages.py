"""axe-core on every HTML page of the URL map, logged in as who may see it, at phone width.

The community is filled through the operations with ordinary content (site.py `furnish`): lists,
tables, forms, the live room with its chat, a raised hand and votes are all populated, so the
checks see what people see. Each page is opened as the first role the permission matrix lets in
(the admin sees the most; the chair and a member get the live room; the handler, the street admin
and a resident their own pages; the sign-up and log-in forms without an account), one browser
context per role, at 360 px, with every folded <details> form opened; the busiest pages once more
in large type. No page may have a serious or critical violation, in Chinese and in English (the
browser's language), and `<html lang>` is right in both. In English each area is opened once
per role (the first page of each blueprint; large type only in Chinese): the markup
is the same in both languages, what English changes is the words, their length and `lang`, and
the catalogue check already refuses an empty translation. The public board pages are checked
without an account by tests/e2e/test_notice_reader.py.
"""
import itertools
from collections import defaultdict

import pytest

from tests.security import permission_matrix as pm
from tests.security.site import log_in, site_pages

pytestmark = pytest.mark.e2e

SERIOUS = {"serious", "critical"}
ORDER = (pm.ADMIN, pm.CHAIR, pm.STREET_ADMIN, pm.HANDLER, pm.ANONYMOUS)
LARGE = "admin in large type"

NAMES = ["张阿姨", "李师傅", "王老师", "赵大姐", "陈叔叔", "刘奶奶"]
TITLES = ["小区东门晚上车辆乱停", "三号楼加装电梯", "中心花园健身器材更换", "楼道灯维修",
          "垃圾分类投放点调整", "社区活动室开放时间"]
MARKDOWN = ("晚上八点以后东门车辆乱停，**消防通道**经常被堵住。\n\n"
            "- 在东门划线并安排夜间巡查\n- 增加访客车位指示牌\n\n"
            "| 项目 | 金额 |\n| --- | --- |\n| 划线 | 3,000 元 |\n\n"
            "详见 https://example.org/plan 的方案说明。")


class Ordinary:
    """`say(kind)` for furnish(): ordinary Chinese text, each one different."""

    def __init__(self):
        self.n = itertools.count(1)

    def __call__(self, kind):
        n = next(self.n)
        if kind == "name":
            return f"{NAMES[n % len(NAMES)]}{n}"
        if kind == "short":
            return str(n % 9 + 1)
        if kind == "label":
            return f"方案{n}"
        if kind == "chat":
            return f"同意第{n}条意见，建议尽快实施。"
        if kind == "md":
            return MARKDOWN
        return f"{TITLES[n % len(TITLES)]}（{n}）"


# Forms folded into <details> (decline, reject, hide...) are checked open.
OPEN_DETAILS = "() => document.querySelectorAll('details').forEach(d => { d.open = true; })"
# Large type changes every size: the busiest pages again in it, as the admin.
LARGE_TYPE = ("meetings.room", "meetings.show", "meetings.minutes", "proposals.show", "matters.show",
              "community.residents", "community.audit_log", "votes.consultation")


def serious_violations(page):
    """axe-core (loaded into every page of the context) on the open page: the serious ones."""
    page.evaluate(OPEN_DETAILS)
    violations = page.evaluate("axe.run({resultTypes: ['violations']}).then(r => r.violations)")
    return [f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(
                str(node["target"]) for node in v["nodes"][:3])
            for v in violations if v["impact"] in SERIOUS]


@pytest.mark.parametrize("language, html_lang", [("zh-CN", "zh-Hans"), ("en-US", "en")])
def test_no_serious_accessibility_violations_on_any_page(browser, live_server, app, db, furnished,
                                                          language, html_lang):
    from axe_playwright_python.sync_playwright import Axe

    from app.auth import operations as accounts

    site = furnished(Ordinary())
    visits, areas_seen = defaultdict(list), set()
    for endpoint, who, path in site_pages(app, site, ORDER):
        if endpoint.startswith("auth.") and endpoint not in ("auth.profile", "auth.change_password"):
            who = pm.ANONYMOUS   # the sign-up and log-in forms are for visitors
        area = (who, endpoint.split(".")[0])
        if language == "zh-CN" or area not in areas_seen:
            visits[who].append((endpoint, path))
        areas_seen.add(area)
        if language == "zh-CN" and endpoint in LARGE_TYPE and who in (pm.ADMIN, pm.CHAIR):
            visits[LARGE].append((endpoint, path))
    site.users[LARGE] = site.users[pm.ADMIN]

    axe_script, found, checked = Axe().axe_script, {}, 0
    for who, pages in sorted(visits.items(), key=lambda visit: visit[0] == LARGE):
        if who == LARGE:   # the last round: the admin's account switched to large type
            accounts.set_large_type(site.users[pm.ADMIN], True)
            db.session.commit()
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale=language,
                                      base_url=live_server.url)
        context.add_init_script(axe_script)
        try:
            page = log_in(context, site.users[who])
            for endpoint, path in pages:
                response = page.goto(path, wait_until="load")
                assert response.status < 400, (who, path, response.status)
                if endpoint in ("meetings.room", "meetings.projector"):   # filled in by its script
                    page.wait_for_selector("#room[data-ready='1']", timeout=10000)
                if who == LARGE:
                    assert page.locator("body.large-type").count() == 1
                assert page.get_attribute("html", "lang") == html_lang, (who, path)
                problems = serious_violations(page)
                if problems:
                    found[f"{who} {path}"] = problems
                checked += 1
        finally:
            context.close()
    assert checked > (60 if language == "zh-CN" else 15)
    assert found == {}, "\n".join(f"{where}:\n  " + "\n  ".join(p) for where, p in found.items())
