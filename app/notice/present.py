"""How the board presents postings outside its pages: stable addresses and plain rows for the
feed, the CSV downloads and the JSON API."""
from flask import url_for
from flask_babel import gettext as _

from app.core import locale
from app.core.web import public_url
from app.notice import index, rules, stats


def community_names():
    return dict(index.communities())


def item_url(kind, source_id, external=False):
    """An item's stable address: /notice/<kind>/<source id>, absolute when asked (QR, feed)."""
    kind = getattr(kind, "value", kind)
    path = url_for("notice.item", kind=kind, source_id=source_id)
    return public_url(path) if external else path


# The words a board page shows on every row (a kind's name, a status, a notice's category) in one
# language, each translated once per process and language, not once per row (the catalogues do
# not change while a process runs); and its dates, each written once.

class _Words(dict):
    def __missing__(self, msgid):
        text = self[msgid] = locale.translated(msgid)
        return text


class _Days(dict):
    """{local date: as a board row writes it}: what the `localdt('%Y-%m-%d')` filter gives."""

    MAX = 20000   # more than ten years of days; past it the table starts again

    def __missing__(self, day):
        if len(self) >= self.MAX:
            self.clear()
        text = self[day] = day.strftime("%Y-%m-%d")
        return text


class _Content(dict):
    MAX = 5000   # categories of proposals and matters: a few dozen in a street

    def __missing__(self, text):
        if len(self) >= self.MAX:
            self.clear()
        marked = self[text] = locale.user_content(text)
        return marked


_words = {}
days = _Days()
# What people wrote that many rows share (a proposal's category) as content, marked once.
content = _Content()


def words(code):
    """{msgid: its text} in the language `code`, which must be the one in use now."""
    found = _words.get(code)
    return found if found is not None else _words.setdefault(code, _Words())


def entries_of(postings, now, external=True):
    """Postings (rows of index.LISTED) as plain dicts."""
    names = community_names()
    return [{
        "kind": p.kind, "kind_label": rules.KIND_LABELS[p.kind], "source_id": p.source_id,
        "community_id": p.community_id, "community": names.get(p.community_id, ""),
        "title": p.title, "category": p.category, "status": rules.status_at(p.status, p.status_until, p.status_after, now),
        "summary": p.summary, "year": p.year, "published_dt": p.published_dt,
        "updated_dt": p.updated_dt, "url": item_url(p.kind, p.source_id, external=external),
    } for p in postings]


def stats_rows(overview):
    """One dict per community, and the street's total when there are several."""
    rows = [dict(stats.figures_dict(f), community_id=cid, community=name, year=overview.year)
            for cid, name, f in overview.rows]
    if len(overview.rows) > 1:
        rows.append(dict(stats.figures_dict(overview.total), community_id=None,
                         community=_("全街道合计"), year=overview.year))
    return rows
