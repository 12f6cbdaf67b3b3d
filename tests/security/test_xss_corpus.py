"""An XSS corpus in every text a user writes, then every page that shows it opened in Chromium.

The community is filled through the operations, as its users would fill it (site.py `furnish`):
names and addresses at sign-up, proposals, comments, replies and every reason, meetings, agendas,
notes, chat, votes and their options, consultations, matters with objections and reports, notices,
requests to convene, a handling organisation's name. Every plain text gets one payload behind a
marker (【x7】), every Markdown text the whole corpus (【m7】). One-line fields drop tags on input;
the corpus also writes tags as entities, which that cleaning decodes into real tags in the
database, so escaping on output is what is tested, field by field.

Then every HTML page of the URL map is opened as a role that may see it (public pages also without
an account), the live room as a member and as the chair (who sends one more payload through the
chat box and sees it come back live), and the feed. The browser ignores the Content-Security-Policy
here, so a payload that got through would really run: the CSP is test_csp_browser.py's business,
escaping is this file's. On every page:

- no dialog opened, and `window.__xss` (what the payloads set) is still undefined;
- nothing a payload would bring is in the DOM: no event-handler attribute, no javascript:/data:
  link, no inline script, iframe, object or embed;
- where a plain text shows, it shows as the text that was written (or as stored: tags dropped,
  entities decoded), quotes, angle brackets and `{{7*7}}` included (checked at each marker
  outside rendered Markdown, and in form fields);
- a form field holding Markdown holds all of it (nothing closed the <textarea>).
"""
import re
from collections import defaultdict
from xml.etree import ElementTree

import pytest

from app.core.sanitize import clean_text
from tests.security import permission_matrix as pm
from tests.security.site import log_in, site_pages

pytestmark = pytest.mark.e2e

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    "<svg onload=alert(1)>",
    '<a href="javascript:window.__xss=1">x</a>',
    "[x](javascript:alert(1))",
    '"><img src=x onerror=alert(1)>',
    "' autofocus onfocus='window.__xss=1' x='",
    '" autofocus onfocus="window.__xss=1" x="',
    "</textarea><script>alert(1)</script>",
    "</title><svg/onload=window.__xss=1>",
    "{{7*7}} {{ config }} {% raw %}",
    '<a href="data:text/html,<script>alert(1)</script>">d</a>',
    "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '![i](x" onerror="alert(1))',
    "<details open ontoggle=window.__xss=1>",
    '<a href="jav&#x09;ascript:alert(1)">t</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "[a](JaVaScRiPt:alert(1))",
    '<http://x.example/"onmouseover="alert(1)>',
    "`<b onmouseover=alert(1)>` <!-- --><script>alert(1)</script>",
    "&lt;script&gt;window.__xss=1&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;",
]
# clean_text() strips tags from one-line fields and then unescapes entities: written as entities,
# a tag reaches the database as a real tag, and only escaping on output keeps it text. Every plain
# text starts with one (breaking out of quoted attributes too), then its written form, then one of
# the corpus in turn. Names hold 32 characters, address parts 16: shorter ones there.
BREAKOUT = "&quot;&#39;&gt;&lt;svg onload=window.__xss=1&gt;"     # "'><svg onload=window.__xss=1>
WRITTEN = "\"'><svg onload=window.__xss=1>"
NAMES = ["&quot;&gt;&lt;svg onload=alert(1)&gt;", "&#39;&gt;&lt;svg onload=alert(1)&gt;",
         "&lt;img src onerror=alert(1)&gt;"]
SHORT = ["&lt;b&gt;1", "2&quot;&gt;", "{{7*7}}", "&lt;i&gt;3", "4&lt;/td&gt;"]
MARKER = re.compile(r"【x\d+】")
CHECKED = 32   # the checked length from a marker: every plain field holds at least this much
# Where stored plain text is re-read as Markdown on purpose (minutes, plans sent with a notice,
# the room's item description): the DOM checks apply, the text check does not.
MARKDOWN = ".md, .minutes, #minutes, #current-item-description, .markdown, [data-markdown]"


class Corpus:
    """`say(kind)` for furnish(): the next payload with a marker; remembers what was said."""

    def __init__(self):
        self.n = 0
        self.plain = {}      # marker -> the raw text
        self.markdown = []

    def __call__(self, kind):
        self.n += 1
        if kind == "short":
            return SHORT[self.n % len(SHORT)]
        if kind == "md":
            text = f"【m{self.n}】 " + "\n\n".join(PAYLOADS) + "\n\n" + " ".join(PAYLOADS)
            self.markdown.append(text)
            return text
        marker = f"【x{self.n}】"
        if kind == "name":
            self.plain[marker] = marker + NAMES[self.n % len(NAMES)]
        else:
            self.plain[marker] = marker + BREAKOUT + WRITTEN + PAYLOADS[self.n % len(PAYLOADS)]
        return self.plain[marker]

    def expected(self, marker):
        """What a page may show from the marker on: the text as written (fields that keep it), as
        clean_text() stored it (tags dropped, entities decoded), or cleaned once more (a board
        summary, an agenda item named after a matter): always as text, never as markup."""
        raw = self.plain[marker]
        once = clean_text(raw)
        return tuple(text[:CHECKED] for text in (raw, once, clean_text(once)))


# What a payload would leave in the page if it got through, whatever the policy let run.
DOM_CHECK = """() => {
  const bad = [];
  const squash = v => v.replace(/[\\u0000-\\u0020]/g, '').toLowerCase();
  for (const el of document.querySelectorAll('*')) {
    const tag = el.localName.toLowerCase();
    if (['iframe', 'frame', 'object', 'embed', 'base', 'applet', 'portal'].includes(tag))
      bad.push('<' + tag + '>');
    // A data block the browser never runs (the page's translated words, through tojson) is not
    // a script; it must be the one the template writes, by its id.
    const data = el.type === 'application/json' && el.id === 'i18n-messages';
    if (tag === 'script' && !data && !(el.src && new URL(el.src, location.href).origin === location.origin))
      bad.push('inline <script>');
    if (tag === 'meta' && (el.getAttribute('http-equiv') || '').toLowerCase() === 'refresh')
      bad.push('<meta refresh>');
    for (const a of el.attributes) {
      const name = a.name.toLowerCase(), value = squash(a.value);
      if (name.startsWith('on') || name === 'srcdoc' || name === 'formaction')
        bad.push(tag + '[' + name + ']');
      if (['href', 'src', 'action', 'xlink:href', 'data', 'poster', 'background', 'ping'].includes(name)
          && /^(javascript|vbscript|data):/.test(value)
          && !(tag === 'img' && value.startsWith('data:image/')))
        bad.push(tag + '[' + name + '=' + a.value.slice(0, 40) + ']');
    }
  }
  return bad;
}"""

# Every marker of a plain text: the text from it, whether it is inside rendered Markdown; and
# every form field's value holding a payload.
TEXT_CHECK = """(markdown) => {
  const found = [], fields = [];
  const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
  const re = /【x\\d+】/g;
  let node;
  while ((node = walker.nextNode())) {
    const text = node.data.replace(/\\s+/g, ' ');
    const el = node.parentElement;
    if (el && (el.localName === 'textarea' || el.localName === 'script')) continue;
    for (const m of text.matchAll(re)) {
      const where = el ? el.localName + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : '')
                       : '';
      found.push([m[0], text.slice(m.index, m.index + 80), !!(el && el.closest(markdown)), where]);
    }
  }
  for (const el of document.querySelectorAll('input, textarea, option')) {
    const value = el.localName === 'option' ? el.textContent : el.value;
    if (value.includes('【')) fields.push([el.localName + '#' + el.id + '[' + el.name + ']', value]);
  }
  return [found, fields];
}"""


def check_feed(xml, corpus):
    """The feed parses, and each entry's title is the text as written or stored."""
    problems = []
    for title in ElementTree.fromstring(xml).iter("{http://www.w3.org/2005/Atom}title"):
        for m in MARKER.finditer(title.text or ""):
            if not title.text[m.start():].startswith(corpus.expected(m.group())):
                problems.append(f"feed title {title.text[:60]!r}")
    return problems


def check_page(page, corpus, label):
    """Problems of the page that is open, as lines for the report."""
    problems = []
    if page.evaluate("() => window.__xss") is not None:
        problems.append("window.__xss was set: a payload ran")
    problems += [f"in the DOM: {b}" for b in page.evaluate(DOM_CHECK)]
    if page.evaluate("document.contentType") != "text/html":   # the feed, shown as its source
        return [f"{label}: {p}" for p in problems]
    found, fields = page.evaluate(TEXT_CHECK, MARKDOWN)
    for marker, text, in_markdown, where in found:
        if in_markdown:
            continue
        expected = corpus.expected(marker)
        if not text.startswith(expected):
            problems.append(f"shown as {text!r} in <{where}>, written as {expected[0]!r}")
    for where, value in fields:
        value = value.replace("\r\n", "\n")
        if "【m" in value and value.strip() not in [m.strip() for m in corpus.markdown]:
            problems.append(f"form field {where} does not hold the whole Markdown: {value[:120]!r}")
        for m in MARKER.finditer(value):
            expected = corpus.expected(m.group())
            if not value[m.start():].startswith(expected):
                problems.append(f"form field {where} holds {value[m.start():][:60]!r}, "
                                f"written {expected[0]!r}")
    return [f"{label}: {p}" for p in problems]


# The first of these a page lets in opens it: the admin sees the most, the others what is theirs.
ORDER = (pm.ADMIN, pm.CHAIR, pm.STREET_ADMIN, pm.HANDLER, pm.ANONYMOUS)
# Public pages are opened without an account as well: the board's frame is built differently then.
ALSO_ANONYMOUS = ("notice.", "proposals.show", "matters.show", "matters.index", "matters.minutes",
                  "votes.receipts")


def test_no_payload_runs_or_shows_unescaped_on_any_page(browser, live_server, app, furnished):
    corpus = Corpus()
    site = furnished(corpus)
    visits = defaultdict(list)
    for endpoint, who, path in site_pages(app, site, ORDER):
        if endpoint.startswith("auth.") and endpoint not in ("auth.profile", "auth.change_password"):
            who = pm.ANONYMOUS   # the sign-up and log-in forms are for visitors
        visits[who].append((endpoint, path, False))
        if who in ORDER and who != pm.ANONYMOUS and endpoint.startswith(ALSO_ANONYMOUS) \
                and pm.ANONYMOUS in pm.roles_for(endpoint):
            visits[pm.ANONYMOUS].append((endpoint, path, True))   # 404 when not published
    visits[pm.ANONYMOUS].append(("notice.feed", "/notice/feed.atom", False))

    problems, dialogs, opened = [], [], 0
    for who, pages in visits.items():
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                      base_url=live_server.url, bypass_csp=True)
        try:
            page = log_in(context, site.users[who])
            page.on("dialog", lambda d, who=who, page=page: (
                dialogs.append(f"{who} {page.url}: {d.message}"), d.dismiss()))
            for endpoint, path, unpublished_may_404 in pages:
                response = page.goto(path, wait_until="load")
                if unpublished_may_404 and response.status == 404:
                    continue
                assert response.status < 400, (who, path, response.status)
                if endpoint in ("meetings.room", "meetings.projector"):   # filled in by its script
                    page.wait_for_selector("#room[data-ready='1']", timeout=10000)
                    if who == pm.CHAIR:   # one more payload, through the chat box, back live
                        said = corpus("chat")
                        page.locator("#chat-text").fill(said)
                        page.get_by_role("button", name="发送").click()
                        marker = MARKER.match(said).group()
                        page.locator("#chat").get_by_text(marker).wait_for(timeout=5000)
                if endpoint == "proposals.new" and who == pm.ADMIN:   # similar titles, by script
                    title = site.titles["answered"]
                    page.locator("[name=title]").fill(title)
                    page.locator("#similar a").first.wait_for(timeout=5000)
                if endpoint == "notice.feed":
                    problems += check_feed(response.text(), corpus)
                problems += check_page(page, corpus, f"{who} {path}")
                opened += 1
        finally:
            context.close()
    assert opened > 70
    dialogs = [f"dialog opened: {d}" for d in dialogs]
    assert not dialogs + problems, "\n".join(dialogs + problems)
