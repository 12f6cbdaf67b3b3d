"""The README and docs/: links stay inside the repository and lead somewhere, every setting the
code reads is documented, and `make bench` finds its table."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _anchor(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page):
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {_anchor(h) for h in re.findall(r"^#+ (.*)$", text, re.M)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_are_relative_and_lead_somewhere(page):
    for link in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
        assert "://" not in link, f"{page.name}: {link} leaves the repository"
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        assert target.exists(), f"{page.name}: {link}"
        if anchor and target.suffix == ".md":
            assert anchor in _anchors(target), f"{page.name}: {link} (no such heading)"


def test_every_setting_read_from_the_environment_is_documented():
    sources = [ROOT / "app" / "config.py", ROOT / "app" / "core" / "db.py", ROOT / "wsgi.py",
               ROOT / "deploy" / "gunicorn.conf.py", ROOT / "app" / "notice" / "caching.py"]
    names = set()
    for source in sources:
        names |= set(re.findall(r'(?:environ\.get|environ\[|_bool)\(?\s*"([A-Z][A-Z0-9_]+)"',
                                source.read_text(encoding="utf-8")))
    documented = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert {"DATABASE_URL", "SECRET_KEY", "MAIL_SERVER"} <= names
    assert not {n for n in names if f"`{n}`" not in documented}


def test_the_bench_table_has_its_markers_in_the_readme_and_docs():
    import sys

    sys.path.insert(0, str(ROOT))
    from bench import _report

    assert set(_report.DOCS) == {"README.md", "docs/benchmarks.md"}
    for name in _report.DOCS:
        text = (ROOT / name).read_text(encoding="utf-8")
        assert text.count(_report.MARK_BEGIN) == text.count(_report.MARK_END) == 1, name
        between = text[text.index(_report.MARK_BEGIN):text.index(_report.MARK_END)]
        # The summary table of one run, beside its same-run baselines.
        assert between.count("| measured | setting | Yishi | bare baseline, same run |") == 1, name
