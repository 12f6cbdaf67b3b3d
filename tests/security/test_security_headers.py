"""Security headers on pages, API answers, errors and static files; pages the CSP can allow.

The policy: nothing inline (no 'unsafe-inline' or 'unsafe-eval' anywhere), scripts and styles from
our own origin, no plugins, no framing, no foreign form targets. A page that breaks it would be
broken in the browser, so every page the sweep reaches is also read for inline script, inline
style and event-handler attributes (test_csp_browser.py asks Chromium itself).
"""
from html.parser import HTMLParser

from tests.conftest import api_token
from tests.security import permission_matrix as pm
from tests.security.site import pages


def directives(csp):
    parsed = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def check_headers(response, where):
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") in ("same-origin", "strict-origin-when-cross-origin",
                                              "no-referrer"), where
    csp = headers.get("Content-Security-Policy", "")
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (where, csp)
    policy = directives(csp)
    assert policy.get("default-src") == ["'self'"], (where, csp)
    assert policy.get("script-src") == ["'self'"], (where, csp)
    assert policy.get("style-src") == ["'self'"], (where, csp)
    assert policy.get("object-src") == ["'none'"], (where, csp)
    assert policy.get("frame-ancestors") == ["'none'"], (where, csp)
    assert policy.get("base-uri") == ["'self'"], (where, csp)
    assert policy.get("form-action") == ["'self'"], (where, csp)


def test_headers_on_pages_errors_and_static_files(client, make):
    make.community()
    for path, status in [("/", 200), ("/auth/login", 200), ("/auth/register", 200),
                         ("/no/such/page", 404), ("/auth/me", 302), ("/static/css/app.css", 200),
                         ("/healthz", 200)]:
        response = client.get(path)
        assert response.status_code == status, path
        check_headers(response, path)


def test_headers_on_api_answers(client, make):
    user = make.user(make.community(), roles=["staff"])
    bearer = {"Authorization": f"Bearer {api_token(client, user)}"}
    for path, headers, status in [("/api/v1/openapi.json", {}, 200), ("/api/v1/me", {}, 401),
                                  ("/api/v1/me", bearer, 200),
                                  ("/api/v1/proposals/999999", bearer, 404)]:
        response = client.get(path, headers=headers)
        assert response.status_code == status, path
        assert response.mimetype == "application/json", path
        check_headers(response, path)
    response = client.post("/api/v1/auth/token", json={"phone": "abc"})
    assert response.status_code == 422
    check_headers(response, "POST /api/v1/auth/token")


class InlineFinder(HTMLParser):
    """Collects what a strict CSP would block: inline scripts and styles, handlers, javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.found = []
        self._script_inline = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._script_inline = "src" not in attrs
            if attrs.get("type") in ("application/json", "application/ld+json"):
                self._script_inline = False   # data, not code: CSP does not run it
        if tag == "style":
            self.found.append("<style> block")
        for name, value in attrs.items():
            if name == "style":
                self.found.append(f"style= on <{tag}>")
            if name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.found.append(f"javascript: URL on <{tag}>")

    def handle_data(self, data):
        if self._script_inline and data.strip():
            self.found.append("inline <script>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_inline = False


def test_no_page_carries_what_the_csp_would_block(app, people, live_room, client_for):
    offending = []
    for role in (pm.ANONYMOUS, pm.VERIFIED, pm.CHAIR, pm.SECRETARY, pm.ADMIN, pm.STREET_ADMIN,
                 pm.HANDLER):
        client, seen = client_for(role), 0
        for _endpoint, path in pages(app, people, live_room):
            response = client.get(path)
            check_headers(response, path)
            if response.mimetype != "text/html" or response.status_code != 200:
                continue
            seen += 1
            finder = InlineFinder()
            finder.feed(response.get_data(as_text=True))
            offending += [f"{path}: {what}" for what in finder.found]
        assert seen >= 3, f"{role} saw only {seen} pages"
    assert not offending, "\n".join(sorted(set(offending)))
