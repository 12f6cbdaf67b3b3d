"""How the board presents postings outside its pages: stable addresses and plain rows for the
feed, the CSV downloads and the JSON API."""
from flask import url_for
from flask_babel import gettext as _

from app.core.web import public_url
from app.notice import index, stats


def community_names():
    return dict(index.communities())


def item_url(kind, source_id, external=False):
    """An item's stable address: /notice/<kind>/<source id>, absolute when asked (QR, feed)."""
    kind = getattr(kind, "value", kind)
    path = url_for("notice.item", kind=kind, source_id=source_id)
    return public_url(path) if external else path


def entries_of(postings, now, external=True):
    """Postings as plain dicts."""
    names = community_names()
    return [{
        "kind": p.kind, "kind_label": p.kind_label, "source_id": p.source_id,
        "community_id": p.community_id, "community": names.get(p.community_id, ""),
        "title": p.title, "category": p.category, "status": p.status_at(now),
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
