"""Every page in both languages: in English no Chinese character outside what people wrote, in
Chinese no English left in the interface; `<html lang>` right in both.

The community is furnished through the operations (site.py `furnish`) with every text its users
write between 〖 and 〗 (names, titles, Markdown, the names of the community, its bodies and its
organisation), so the crawl can tell user content from the interface without knowing any copy.
Templates may also mark content that stays as written (a legal name, a language's own name) with
`data-uc` or a `lang` attribute other than the page's: the crawl skips those elements. Each page is
opened as every role the permission matrix lets in, with `Accept-Language: en` for half of the
roles and with the footer's switch set for the other half.
"""
import itertools
import re
from html.parser import HTMLParser

import pytest

from tests.conftest import login
from tests.security import permission_matrix as pm
from tests.security.conftest import FreshClient
from tests.security.site import site_pages

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
USER = re.compile(r"〖[^〗]*〗")
# Latin words a Chinese page may show: names of formats, standards and products, units.
LATIN_OK = {"API", "JSON", "CSV", "QR", "PDF", "Atom", "RSS", "Markdown", "URL", "PNG", "JPG", "JPEG",
            "Bearer", "Authorization", "Token", "token", "Socket", "IO", "ID", "id", "A4", "OpenAPI",
            "KB", "MB", "GB", "SMTP", "Wi", "Fi", "HTTPS", "http", "https", "www", "com", "cn", "org",
            "example", "English", "PostgreSQL", "SQLite", "Redis", "XLSX", "Excel", "WPS", "vs"}
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Not words: addresses, paths, codes (audit actions like proposal.answered), hashes, receipt codes.
NOT_WORDS = re.compile(r"\w+://\S+|(?<!\w)/[\w/.-]+|\b[a-z_]+(?:\.[a-z_]+)+\b|[\w-]*\d[\w-]*"
                       r"|\b[A-Z]{4,}(?:-[A-Z]{4,})+\b")
VISIBLE_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-confirm")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
ROLES = (pm.ADMIN, pm.STAFF, pm.CHAIR, pm.SECRETARY, pm.MEMBER, pm.VERIFIED, pm.RESIDENT,
         pm.STREET_ADMIN, pm.HANDLER, pm.ANONYMOUS)



class Interface(HTMLParser):
    """The text of a page a reader sees as interface: text nodes and visible attributes, without
    scripts, styles, codes (<code>: stable identifiers, as in the audit log), and elements marked
    as content (data-uc, or another language's lang)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.skipping = []        # the stack of open elements, True where skipped
        self.parts = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
            return
        skipped = (bool(self.skipping and self.skipping[-1]) or tag in ("script", "style", "code")
                   or "data-uc" in attrs or (attrs.get("lang") not in (None, self.lang)))
        if not skipped:
            self.parts.extend(attrs[name] for name in VISIBLE_ATTRIBUTES if attrs.get(name))
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.parts.append(attrs["value"])
        if tag not in VOID:
            self.skipping.append(skipped)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.skipping:
            self.skipping.pop()

    def handle_endtag(self, tag):
        if tag in VOID or tag == "html":
            return
        if self.skipping:
            self.skipping.pop()

    def handle_data(self, data):
        if not (self.skipping and self.skipping[-1]):
            self.parts.append(data)

    def text(self):
        return USER.sub(" ", " ".join(self.parts))


def interface_of(html):
    parser = Interface()
    parser.feed(html)
    return parser.lang, parser.text()


class Marked:
    """`say(kind)` for furnish(): every text a user writes, marked 〖…〗 as user content."""

    def __init__(self):
        self.n = itertools.count(1)

    def __call__(self, kind):
        n = next(self.n)
        if kind == "short":
            return str(n % 9 + 1)
        if kind == "md":
            return f"〖居民写的说明 {n}〗\n\n- 〖第一条〗\n- 〖第二条〗"
        return {"name": f"〖居民{n}〗", "label": f"〖方案{n}〗", "chat": f"〖同意第{n}条意见〗"}.get(
            kind, f"〖居民写的标题{n}〗")


@pytest.fixture()
def marked_site(people, furnished, db):
    """The furnished community with the names the fixtures gave (people, community, bodies,
    organisation) marked as user content too."""
    from app.community.models import Body, Community, HandlerOrg, Street

    def mark_names():
        for model in (Community, Street, Body, HandlerOrg):
            for row in model.query:
                if not row.name.startswith("〖"):
                    row.name = f"〖{row.name}〗"

    # Marked before the community is furnished too, so the records and notifications it writes
    # carry the marked names.
    mark_names()
    db.session.commit()
    site = furnished(Marked())
    mark_names()
    for user in site.users.values():
        if user is not None and not user.name.startswith("〖"):
            user.name = f"〖{user.name}〗"
    db.session.commit()
    return site


def crawl(app, site, language):
    """{(who, path): (status, html lang, interface text)} for every page every role may open."""
    seen = {}
    for index, who in enumerate(ROLES):
        if who not in site.users:
            continue
        client = FreshClient(app, app.response_class, use_cookies=True)
        if site.users[who] is not None:
            login(client, site.users[who])
        headers = {}
        if language == "en" and index % 2:
            client.post("/language", data={"locale": "en"})      # the footer's switch
            headers = {"Accept-Language": "zh-CN,zh;q=0.9"}
        elif language == "en":
            headers = {"Accept-Language": "en-US,en;q=0.9"}
        else:
            headers = {"Accept-Language": "zh-CN,zh;q=0.9"}
        for endpoint, _who, path in site_pages(app, site, (who,)):
            if _who != who or endpoint == "auth.logout":
                continue
            response = client.get(path, headers=headers)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            lang, text = interface_of(response.get_data(as_text=True))
            seen[(who, path)] = (endpoint, lang, text)
    return seen


@pytest.fixture()
def crawled(app, marked_site):
    return lambda language: crawl(app, marked_site, language)


def test_in_english_no_chinese_outside_what_people_wrote(crawled):
    pages = crawled("en")
    assert len(pages) > 60
    wrong_lang = {key: lang for key, (_e, lang, _t) in pages.items() if lang != "en"}
    assert wrong_lang == {}
    chinese = {f"{who} {path}": sorted(set(HAN.findall(text)))[:12]
               for (who, path), (_e, _l, text) in pages.items() if HAN.search(text)}
    assert chinese == {}, "\n".join(f"{where}: {''.join(chars)}" for where, chars in sorted(chinese.items()))


def test_in_chinese_no_english_left_in_the_interface(crawled):
    pages = crawled("zh")
    assert len(pages) > 60
    assert {key: lang for key, (_e, lang, _t) in pages.items() if lang != "zh-Hans"} == {}
    english = {}
    for (who, path), (_e, _l, text) in pages.items():
        words = {w for w in LATIN_WORD.findall(NOT_WORDS.sub(" ", text)) if w not in LATIN_OK}
        if words:
            english[f"{who} {path}"] = sorted(words)[:12]
    assert english == {}, "\n".join(f"{where}: {' '.join(words)}" for where, words in sorted(english.items()))


def test_the_crawl_tells_content_from_interface():
    html = ('<html lang="en"><body><p>Hello <bdi data-uc>居民写的</bdi> 〖张三〗</p>'
            '<button lang="zh-Hans">简体中文</button><script>var x = "中文";</script>'
            '<img alt="图" src="x.png"><input type="submit" value="提交"><br><p>end</p></body></html>')
    lang, text = interface_of(html)
    assert lang == "en"
    assert HAN.findall(text) == ["图", "提", "交"] and "end" in text and "Hello" in text
