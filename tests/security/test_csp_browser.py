"""Chromium opens the pages, logged in, and reports every Content-Security-Policy violation: none.

The policy forbids inline script and style; a template that slips one in works in development
only if nobody looks at the console. Here a `securitypolicyviolation` listener (installed before
any page script) and the console both report to the test. The pages are every GET page the
permission matrix opens to a chair (meetings, the live room), a community admin (administration)
or a street admin (the street), each once, on a live meeting with an open vote.
"""
import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.security import permission_matrix as pm
from tests.security.site import log_in, pages

pytestmark = pytest.mark.e2e

LISTENER = """
document.addEventListener('securitypolicyviolation', function (e) {
  console.error('CSP-VIOLATION ' + e.violatedDirective + ' blocked=' + e.blockedURI +
                ' at ' + e.sourceFile + ':' + e.lineNumber);
});
"""


def detector_hears_an_injected_script(page, violations):
    """The detector itself: an inline script added to a page is blocked, and reported."""
    ran = page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.injected = true'; document.body.appendChild(s);
        return window.injected === true; }""")
    for _ in range(100):   # both reports: the page's event and Chromium's console line
        if len(violations) >= 2:
            break
        page.wait_for_timeout(20)
    assert ran is False, "an injected inline script ran: the policy is not enforced"
    assert any("CSP-VIOLATION script-src" in v for v in violations), violations
    assert any("Content Security Policy" in v for v in violations), violations
    violations.clear()


def test_pages_satisfy_the_csp_in_chromium(browser, live_server, app, people, live_room):
    violations, visited, done = [], 0, set()
    for role in (pm.CHAIR, pm.ADMIN, pm.STREET_ADMIN):
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                      base_url=live_server.url)
        context.add_init_script(LISTENER)
        try:
            page = log_in(context, people[role])
            page.on("console", lambda msg, role=role, page=page: violations.append(f"{role} {page.url}: {msg.text}")
                    if "CSP-VIOLATION" in msg.text or "Content Security Policy" in msg.text else None)
            if not visited:
                page.goto("/")
                detector_hears_an_injected_script(page, violations)
            for endpoint, path in pages(app, people, live_room):
                if (endpoint in done or endpoint not in pm.ROUTES
                        or role not in pm.roles_for(endpoint, "GET")):
                    continue   # each page once, as the first of these roles that may open it
                done.add(endpoint)
                try:
                    response = page.goto(path, wait_until="load")
                except PlaywrightError as exc:
                    if "Download is starting" in str(exc):
                        continue   # a CSV export: nothing for a policy to run
                    raise
                assert response.status < 400, (role, path, response.status)
                visited += 1
            page.goto(f"/meetings/{live_room['meeting']}/room")
            page.wait_for_selector("#room[data-ready='1']", timeout=10000)   # its scripts ran
        finally:
            context.close()
    assert visited > 25
    assert not violations, "\n".join(violations)
