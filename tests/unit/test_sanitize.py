"""User Markdown is rendered and cleaned with one allow-list: no script survives."""
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


def test_plain_text_is_stripped_and_kept_readable():
    assert clean_text("  <b>停车</b>   难 & 乱 ") == "停车 难 & 乱"
    assert clean_text("x" * 50, 10) == "x" * 10
