"""The board's index: kept in step with the sources by signals, rebuilt by `flask notice reindex`.

The index is derived data. Each source area sends a signal after it commits a change; the
subscribers here ask the source's adapter whether the record is public now and rewrite (or drop)
its one posting row and its search terms in a small transaction of their own. If that ever fails
the source's change still stands, the failure is logged, and a reindex puts the board right; an
item's own page always reads the source, so it is never stale.
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass

from cachetools import LRUCache
from flask import current_app, has_request_context, request
from sqlalchemy import delete, func, insert, literal, select, true, update
from sqlalchemy.exc import IntegrityError

from app.community.models import Community
from app.core.chinese import index_terms, normalise, search_terms
from app.core.db import after_commit
from app.core.paging import Page
from app.core.timeutil import utcnow
from app.extensions import db
from app.matters.signals import matter_changed
from app.meetings.signals import meeting_changed
from app.microprojects.signals import round_changed
from app.notice import rules, sources
from app.notice.models import TERM_INDEX, NoticeIndexState, NoticePosting, NoticeTerm
from app.proposals.signals import proposal_changed
from app.votes.signals import vote_closing_in_transaction
from app.votes.verify import add_published_source

log = logging.getLogger(__name__)

PER_PAGE = 20
SEARCH_TEXT_MAX = 4000

postings = NoticePosting.__table__
terms_table = NoticeTerm.__table__
state_table = NoticeIndexState.__table__


# -- writing ---------------------------------------------------------------------------------

def terms_of(title, text):
    """The two-character words (and Latin words) a search can find the posting by."""
    return index_terms(f"{title}\n{text}", NoticeTerm.MAX_TERMS)


def _searchable(title, text):
    # Matched with ILIKE for one-character and Latin queries; normalised like the queries are.
    return normalise(f"{title}\n{text}")[:SEARCH_TEXT_MAX]


def row_of(kind, source_id, entry, now):
    return {
        "kind": rules.PostingKind(kind).value, "source_id": source_id,
        "community_id": entry.community_id, "title": entry.title[:200],
        "category": (entry.category or "")[:64], "year": rules.local_year(entry.published_dt),
        "published_dt": entry.published_dt, "updated_dt": entry.updated_dt,
        "status": entry.status.label[:64], "status_until": entry.status.until,
        "status_after": (entry.status.after or None) and entry.status.after[:64],
        "summary": entry.summary[:240], "search_text": _searchable(entry.title, entry.text),
        "indexed_dt": now,
    }


def write(executor, kind, source_id, entry, now=None):
    """Make the index say what `entry` says (None: the posting is not public, drop it).

    `executor` is the session (same transaction as the change) or a connection of its own.
    """
    now = now or utcnow()
    kind = rules.PostingKind(kind).value
    bump(executor, now)
    existing = executor.execute(select(postings.c.id).where(
        postings.c.kind == kind, postings.c.source_id == source_id)).scalar()
    if existing is not None:
        TERM_INDEX.delete(executor, existing)
    if entry is None:
        if existing is not None:
            executor.execute(delete(postings).where(postings.c.id == existing))
        return None
    values = row_of(kind, source_id, entry, now)
    if existing is not None:
        executor.execute(update(postings).where(postings.c.id == existing).values(**values))
        posting_id = existing
    else:
        posting_id = executor.execute(insert(postings).values(**values)).inserted_primary_key[0]
    TERM_INDEX.insert(executor, posting_id, terms_of(entry.title, entry.text))
    return posting_id


def bump(executor, now=None):
    """Move the index's version on (in the writer's transaction): cached pages are then stale."""
    now = now or utcnow()
    moved = executor.execute(update(state_table).where(state_table.c.id == 1)
                             .values(version=state_table.c.version + 1, changed_dt=now))
    if moved.rowcount == 0:
        executor.execute(insert(state_table).values(id=1, version=1, changed_dt=now))


# Built once: these run on every board request. A board page needs the communities' names and
# the index's version: one round trip reads both (a row per community, the version on each; one
# row of NULL names when there is no community).
_VERSION = select(state_table.c.version, state_table.c.changed_dt).where(state_table.c.id == 1)
_communities = Community.__table__
_VERSION_AND_NAMES = (
    select(state_table.c.version, state_table.c.changed_dt, _communities.c.id, _communities.c.name)
    .select_from(select(literal(1).label("one")).subquery("x")
                 .outerjoin(state_table, state_table.c.id == 1).outerjoin(_communities, true()))
    .order_by(_communities.c.id))


def version():
    """(version, changed_dt) of the index, or None before its first write."""
    row = db.session.execute(_VERSION).first()
    return tuple(row) if row else None


def refresh(kind, source_id, *, in_session=False):
    """Re-read one record from its source and rewrite its posting.

    in_session: write in the caller's transaction (the board's own notices); otherwise in a
    transaction of its own, as the signal subscribers do after their source has committed.
    """
    source = sources.get(kind)
    if source is None:
        return None
    now = utcnow()
    record = source.load_public(source_id)
    entry = source.entry(record, now) if record is not None else None
    if in_session:
        return write(db.session, kind, source_id, entry, now)
    for attempt in (1, 2):
        try:
            with db.engine.begin() as conn:
                return write(conn, kind, source_id, entry, now)
        except IntegrityError:
            # Two processes indexed the same new record at once; the second try updates it.
            if attempt == 2:
                raise
    return None


def reindex():
    """Rebuild the whole index from the sources, in one transaction; returns {kind: count}."""
    now = utcnow()
    counts = {}
    session = db.session
    bump(session, now)
    session.execute(delete(terms_table))
    session.execute(delete(postings))
    for source in sources.all_sources():
        rows, words, n = [], [], 0
        next_id = (session.execute(select(func.max(postings.c.id))).scalar() or 0) + 1
        for record in source.iter_public():
            entry = source.entry(record, now)
            row = row_of(source.kind.value, record.id, entry, now) | {"id": next_id}
            rows.append(row)
            words += TERM_INDEX.rows(next_id, terms_of(entry.title, entry.text))
            next_id += 1
            n += 1
            if len(rows) >= 500:
                _flush_rows(session, rows, words)
        _flush_rows(session, rows, words)
        counts[source.kind.value] = n
    session.commit()
    _reset_sequence()
    return counts


def _flush_rows(session, rows, words):
    if rows:
        session.execute(insert(postings), rows)
    if words:
        session.execute(insert(terms_table), words)
    rows.clear()
    words.clear()


def _reset_sequence():
    # Explicit ids leave PostgreSQL's sequence behind; the next signal insert must not collide.
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('notice_postings', 'id'), "
                "COALESCE((SELECT MAX(id) FROM notice_postings), 0) + 1, false)")


# -- keeping up with the sources -------------------------------------------------------------
#
# Proposals, meetings and matters send their change signals once the change has committed (from
# app.core.db.after_commit, where the database may be read and written again), so a subscriber
# rewrites the posting there and then. A vote closes inside its own transaction: the meeting's
# posting is rewritten once that has committed, through the same after_commit.

def _guarded(kind, source_id):
    try:
        refresh(kind, source_id)
    except Exception:
        if current_app.testing:
            raise
        log.exception("notice board: could not index %s %s (run `flask notice reindex`)", kind, source_id)


def _refresh_sender(kinds, source_id):
    # Signals after commit carry the id of what changed (app.core.signals).
    if source_id is not None:
        for kind in kinds:
            _guarded(kind, source_id)


def _on_proposal(sender, **kwargs):
    _refresh_sender(["proposal"], sender)


def _on_meeting(sender, **kwargs):
    _refresh_sender(["meeting"], sender)


def _on_matter(sender, **kwargs):
    _refresh_sender(["resolution", "result"], sender)


def _on_vote_closed(sender, meeting=None, **kwargs):
    # Sent inside the transaction that closes the vote: the meeting's posting (its "updated"
    # time) is rewritten once that has committed.
    meeting_id = getattr(meeting, "id", None)
    if meeting_id is not None:
        after_commit(lambda: _guarded("meeting", meeting_id))


def _on_micro(sender, **kwargs):
    _refresh_sender(["micro"], sender)


def connect_signals():
    """Subscribe to every source's change signal (blinker keeps one subscription per function)."""
    round_changed.connect(_on_micro)
    proposal_changed.connect(_on_proposal)
    meeting_changed.connect(_on_meeting)
    vote_closing_in_transaction.connect(_on_vote_closed)
    matter_changed.connect(_on_matter)
    add_published_source("公开栏会议条目", posted_vote_head)


def posted_vote_head(vote):
    """The head a vote's meeting posting carries (`sources.vote_head_line`), or None."""
    text = db.session.scalar(select(NoticePosting.search_text).where(
        NoticePosting.kind == rules.PostingKind.meeting.value, NoticePosting.source_id == vote.meeting_id))
    prefix = _searchable("", sources.vote_head_line(vote.id, ""))[1:]
    found = re.search(re.escape(prefix) + r"([0-9a-f]{64})", text or "")
    return found.group(1) if found else None


# -- reading ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    community_id: int | None = None
    kind: str | None = None
    category: str | None = None
    year: int | None = None
    q: str = ""

    @classmethod
    def from_args(cls, args):
        """From a query string; anything that does not parse is ignored rather than refused."""
        def as_int(name):
            try:
                value = int(args.get(name) or "")
            except ValueError:
                return None
            return value if value > 0 else None

        kind = rules.parse_kind(args.get("kind") or "")
        return cls(community_id=as_int("community"),
                   kind=kind.value if kind else None,
                   category=(args.get("category") or "").strip()[:64] or None,
                   year=as_int("year"),
                   q=(args.get("q") or "").strip()[:100])

    def as_args(self):
        """The query-string form, without empty filters (for links that keep them)."""
        return {k: v for k, v in {"community": self.community_id, "kind": self.kind,
                                  "category": self.category, "year": self.year,
                                  "q": self.q or None}.items() if v}


def _field_clauses(filters):
    where = []
    if filters.community_id:
        where.append(NoticePosting.community_id == filters.community_id)
    if filters.kind:
        where.append(NoticePosting.kind == filters.kind)
    if filters.category:
        where.append(NoticePosting.category == filters.category)
    if filters.year:
        where.append(NoticePosting.year == filters.year)
    return where


def _substring(term):
    return NoticePosting.search_text.ilike(f"%{term}%")


def clauses_for(filters):
    # Every word a lookup in the term index (none drives: pages are in publication order, not
    # in the index's), substrings of the normalised text last.
    _, text = TERM_INDEX.plan(search_terms(filters.q), NoticePosting.id, _substring)
    return _field_clauses(filters) + text


def _count_statement(filters):
    """A count reads the index of the rarest word when there is one (its postings only, not every
    posting with a lookup each: 0.05 s instead of 0.25 s on a street's ten years)."""
    terms = search_terms(filters.q)
    driver, text = (TERM_INDEX.plan(terms, NoticePosting.id, _substring, executor=db.session)
                    if terms else (None, []))
    # count(*), not count(id): SQLite then counts index entries without reading a column from
    # each (2 ms instead of 25 ms for the whole board of a street's ten years).
    if driver is None:
        return select(func.count()).select_from(postings).where(*_field_clauses(filters), *text)
    where = _field_clauses(filters) + text
    if not where:   # one word, nothing else: its entries in the index (written with each posting)
        return select(func.count()).select_from(terms_table).where(terms_table.c.term == driver)
    return (select(func.count())
            .select_from(terms_table.join(postings, postings.c.id == terms_table.c.posting_id))
            .where(terms_table.c.term == driver, *where))


# What a board page shows of the index as a whole (how many postings a filter finds, the years and
# the categories to choose from) changes only when the index does: each process keeps it for the
# index version it was read at (`version()`, moved on by every write). One read of that small row
# per request then stands for scans of the whole index, and a page is never told an older fact
# than the index holds. (Not a time-based cache: it is exact with NOTICE_CACHE_TTL=0 too.)
_facts = LRUCache(maxsize=1024)
_facts_lock = threading.Lock()


_VERSION_MEMO = "yishi.notice_index_version"


def _current_version():
    if not has_request_context():
        return version()
    memo = request.environ.get(_VERSION_MEMO)
    if memo is None:
        memo = request.environ[_VERSION_MEMO] = (version(),)
    return memo[0]


def _read(statement):
    """The rows of a Core statement of plain columns, on the session's connection and in its
    transaction, without the ORM's layer around execute (which has nothing to do for plain
    columns and costs a third of the statement on the board's hot path)."""
    return db.session.connection().execute(statement).all()


def version_key(*key):
    """`key` for as long as the index stays at the version this request read (None before the
    index's first write: then nothing may be kept)."""
    current = _current_version()
    return None if current is None else (str(db.engine.url), current, key)


def _fact(key, compute):
    full_key = version_key(key)
    if full_key is None:
        return compute()
    with _facts_lock:
        if full_key in _facts:
            return _facts[full_key]
    value = compute()   # outside the lock: a query must not hold up other greenlets
    with _facts_lock:
        _facts[full_key] = value
    return value


def count(filters):
    """How many postings these filters find (the page number does not matter)."""
    return _fact(("count", filters), lambda: db.session.scalar(_count_statement(filters)))


# What a list shows of a posting (not its search text), read as plain rows: twenty ORM objects
# a page cost more than the query that finds them.
LISTED = (postings.c.id, postings.c.kind, postings.c.source_id, postings.c.community_id,
          postings.c.title, postings.c.category, postings.c.year, postings.c.published_dt,
          postings.c.updated_dt, postings.c.status, postings.c.status_until, postings.c.status_after,
          postings.c.summary)
NEWEST_FIRST = (postings.c.published_dt.desc(), postings.c.id.desc())


# The columns the board's own page shows (fewer dates to read than LISTED).
BOARD_ROW = (postings.c.kind, postings.c.source_id, postings.c.community_id, postings.c.title,
             postings.c.category, postings.c.published_dt, postings.c.status, postings.c.status_until,
             postings.c.status_after, postings.c.summary)
# The same page of the same filters is the same statement: each process builds it once.
_statements = LRUCache(maxsize=1024)


def find(filters, page=1, per_page=PER_PAGE, columns=LISTED):
    """One page of postings, newest first (rows of `columns`: LISTED or BOARD_ROW)."""
    total = count(filters)
    page = max(1, min(page, max(1, -(-total // per_page))))
    key = (columns, filters, page, per_page)
    with _facts_lock:
        statement = _statements.get(key)
    if statement is None:
        statement = (select(*columns).where(*clauses_for(filters)).order_by(*NEWEST_FIRST)
                     .offset((page - 1) * per_page).limit(per_page))
        with _facts_lock:
            _statements[key] = statement
    return Page(_read(statement), total, page, per_page)


def latest(filters, limit=50):
    """The newest postings for the feed and the exports (ordered by publication)."""
    return db.session.execute(
        select(*LISTED).where(*clauses_for(filters)).order_by(*NEWEST_FIRST).limit(limit)).all()


def lookup(kind, source_id):
    return db.session.scalar(select(NoticePosting).where(
        NoticePosting.kind == kind, NoticePosting.source_id == source_id))


def years():
    return _fact("years", lambda: db.session.scalars(
        select(NoticePosting.year).distinct().order_by(NoticePosting.year.desc())).all())


def categories(kind=None):
    def read():
        query = select(NoticePosting.category).where(NoticePosting.category != "")
        if kind:
            query = query.where(NoticePosting.kind == kind)
        return db.session.scalars(query.distinct().order_by(NoticePosting.category)).all()

    return _fact(("categories", kind), read)


def communities():
    """[(id, name)] of the communities; the index's version read with them is this request's."""
    rows = _read(_VERSION_AND_NAMES)
    if has_request_context() and _VERSION_MEMO not in request.environ:
        version_now = rows[0][0]
        request.environ[_VERSION_MEMO] = ((version_now, rows[0][1]) if version_now is not None else None,)
    return [(cid, name) for _v, _c, cid, name in rows if cid is not None]

