"""Pages of a list too long to count on every view (a community's audit log: hundreds of thousands
of events): the rows are counted up to a cap, and past it the pager offers the next page while
there is one. And totals too large to count on every view, kept a minute (`kept_count`)."""
import threading

from cachetools import TTLCache
from sqlalchemy import func, literal_column, select

from app.extensions import db

COUNT_CAP = 10_000

# Counting a large community's proposals, or a street's residents, reads a whole index on every
# view; a count whose size reaches KEPT_COUNT_MIN is kept, per process, up to KEPT_COUNT_SECONDS
# (a figure such as "共 12,345 项" that old is as good as exact). Small counts are always fresh.
KEPT_COUNT_MIN = 5000
KEPT_COUNT_SECONDS = 60
_kept = TTLCache(maxsize=1000, ttl=KEPT_COUNT_SECONDS)
_kept_lock = threading.Lock()   # cachetools caches are not thread-safe by themselves


def kept_count(key, compute, size=None):
    """compute(), or the value it gave for `key` (which names the database) up to
    KEPT_COUNT_SECONDS ago when that value was large: `size(value)` (the value itself by default)
    at least KEPT_COUNT_MIN."""
    with _kept_lock:
        value = _kept.get(key)
    if value is not None:
        return value
    value = compute()
    if (size or (lambda v: v))(value) >= KEPT_COUNT_MIN:
        with _kept_lock:
            _kept[key] = value
    return value


class Page:
    """One page of a list, as the pager macro reads it; `total` may be capped (`is_capped`)."""

    def __init__(self, items, total, page, per_page, is_capped=False):
        self.items, self.total, self.page, self.per_page = items, total, page, per_page
        self.is_capped = is_capped
        self.pages = max(1, -(-total // per_page))
        self.has_prev = page > 1
        self.has_next = page < self.pages
        self.prev_num, self.next_num = page - 1, page + 1


def page_by_ids(ids, model, page=1, per_page=50, options=()):
    """One page of `model`'s rows read ids first: `ids` selects the id column in the list's order
    (with its filters), so counting and finding the page read an index alone, whatever the
    planner thinks of the rows; then only the page's rows are loaded, with loader `options`.

    (Selecting whole rows, PostgreSQL may walk the primary key backwards for "one community,
    newest first", filtering as it goes: 42 ms for the community whose residents were imported
    first on a street of 200,000, against 0.1 ms from the (community, id) index.)"""
    page = max(1, page)
    total = db.session.scalar(select(func.count()).select_from(ids.order_by(None).subquery()))
    found = db.session.scalars(ids.offset((page - 1) * per_page).limit(per_page)).all()
    rows = {row.id: row for row in db.session.scalars(
        select(model).where(model.id.in_(found)).options(*options))} if found else {}
    return Page([rows[i] for i in found], total, page, per_page)


class CappedPage:
    """What the pager macro reads (page, pages, has_prev/has_next, prev_num/next_num), with
    `is_capped` when the total is only known to exceed `COUNT_CAP`."""

    def __init__(self, query, page=1, per_page=50, cap=None):
        """`query`: a select of ORM rows in the list's order."""
        cap = COUNT_CAP if cap is None else cap
        self.page, self.per_page = page, per_page
        rows = db.session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)).all()
        self.items = rows[:per_page]
        counted = db.session.scalar(select(func.count()).select_from(
            query.with_only_columns(literal_column("1")).order_by(None).limit(cap + 1).subquery()))
        self.is_capped = counted > cap
        self.total = cap if self.is_capped else counted
        self.pages = max(1, -(-self.total // per_page))
        self.has_prev = page > 1
        self.has_next = len(rows) > per_page
        self.prev_num, self.next_num = page - 1, page + 1
