"""Where `next` may lead (app/core/web.safe_next): only to this site, as a browser reads it."""
import pytest

from app.core.web import safe_next


@pytest.mark.parametrize("target, expected", [
    ("/proposals", "/proposals"),
    ("/c/1/proposals?state=open#top", "/c/1/proposals?state=open#top"),
    ("/", "/"),
    ("/a\\b", "/a/b"),                 # as the browser reads it
    ("  /notice/", "/notice/"),        # spaces at the ends are trimmed by the browser too
    ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),   # encoded slashes stay a path here
])
def test_a_path_of_this_site_is_followed(target, expected):
    assert safe_next(target, "/home") == expected


@pytest.mark.parametrize("target", [
    None, "",
    "//evil.example", "///evil.example",
    "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example",
    "/\\evil.example", "\\\\evil.example", "\\/evil.example", "/\\\\evil.example",
    "/\t\\evil.example", " //evil.example", "\x00//evil.example", "\x1f/\\evil.example",
    "https://evil.example", "http:/evil.example", "http:evil.example", "HTTPS://evil.example/",
    "javascript:alert(1)", "java\tscript:alert(1)", "data:text/html,<script>alert(1)</script>",
    "evil.example", "proposals", "?x=1",
    "/a\x00b", "/a\x7fb",
])
def test_anything_else_goes_to_the_default(target):
    assert safe_next(target, "/home") == "/home"
