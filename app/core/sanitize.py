"""The one place user text becomes HTML: Markdown, then bleach with one allow-list."""
import html
import re

import bleach
import markdown
from markupsafe import Markup

ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "em", "b", "i", "u", "s", "del", "blockquote", "code", "pre",
    "ul", "ol", "li", "h3", "h4", "h5", "h6", "hr", "a", "table", "thead", "tbody",
    "tr", "th", "td",
})
ALLOWED_ATTRIBUTES = {"a": ["href", "title"], "th": ["align"], "td": ["align"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto", "tel"})


_HEADING = re.compile(r"<(/?)h([1-6])(?=[\s>])", re.IGNORECASE)


def _nofollow(attrs, new=False):
    href_key = (None, "href")
    if href_key in attrs:
        attrs[(None, "rel")] = "nofollow noopener"
    return attrs


def render_markdown(text, headings_from=None):
    """Render user Markdown to HTML that cannot run script in anyone's browser.

    The page owns h1 and h2, so the allow-list drops them. A document with its own outline (the
    minutes: `#` title, `##` sections) passes `headings_from=3` to keep its headings, one level
    each, from h3 down, inside the page's outline."""
    if not text:
        return Markup("")
    html = markdown.markdown(text, extensions=["tables", "sane_lists", "nl2br"])
    if headings_from:
        html = _HEADING.sub(lambda m: f"<{m[1]}h{min(int(m[2]) + headings_from - 1, 6)}", html)
    cleaned = bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
    )
    linked = bleach.linkify(cleaned, callbacks=[_nofollow], skip_tags={"pre", "code"})
    return Markup(linked)


def clean_text(text, max_length=None):
    """Plain one-line text: tags stripped, whitespace collapsed."""
    if text is None:
        return ""
    # Jinja escapes on output, so the stored text keeps its plain characters.
    stripped = html.unescape(bleach.clean(str(text), tags=set(), strip=True))
    collapsed = " ".join(stripped.split())
    return collapsed[:max_length] if max_length else collapsed
