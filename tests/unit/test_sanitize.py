"""User Markdown is rendered and cleaned with one allow-list: no script survives."""
import re

import pytest

from app.core.sanitize import clean_text, render_markdown

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[点我](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<svg onload=alert(1)>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<p onclick=\"alert(1)\">点</p>",
    "![x](x\" onerror=\"alert(1))",
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]


@pytest.mark.parametrize("payload", XSS)
def test_no_script_survives(payload):
    html = str(render_markdown(payload)).lower()
    for needle in ("<script", "onerror", "onload", "onclick", "ontoggle", "javascript:", "<iframe",
                   "<svg", "style=", "<img"):
        assert needle not in html, html


def test_markdown_still_works():
    html = str(render_markdown("**加粗** 和 [链接](https://example.org)\n\n- 一\n- 二"))
    assert "<strong>加粗</strong>" in html
    assert 'href="https://example.org"' in html and 'rel="nofollow noopener"' in html
    assert "<li>一</li>" in html


@pytest.mark.parametrize("headings_from, levels", [
    (None, ["h3"]),                 # the page owns h1 and h2: a text's own are dropped...
    (3, ["h3", "h4", "h5"]),        # ...but a document keeps its outline below the page's
    (5, ["h5", "h6", "h6"]),        # never below h6
])
def test_a_documents_headings_keep_their_outline(headings_from, levels):
    html = str(render_markdown("# 纪要\n\n## 议程\n\n### 1. 预算\n\n正文", headings_from=headings_from))
    assert re.findall(r"<(h\d)>", html) == levels
    assert "纪要" in html and "1. 预算" in html


@pytest.mark.parametrize("payload", XSS)
def test_shifted_headings_let_no_script_through(payload):
    html = str(render_markdown("# 标题\n\n" + payload, headings_from=3)).lower()
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html


def test_plain_text_is_stripped_and_kept_readable():
    assert clean_text("  <b>停车</b>   难 & 乱 ") == "停车 难 & 乱"
    assert clean_text("x" * 50, 10) == "x" * 10
