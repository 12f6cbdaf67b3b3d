"""A term index over a table of (scope…, term, item) rows: writing an item's terms and planning
a search that reads the index instead of scanning the items.

The area owns the table and names its columns; this module knows only that shape, so the
proposals and the notice board keep their own tables and share the mechanics. The terms come
from app.core.chinese.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, delete, func, insert, select

from app.core.chinese import is_indexed


@dataclass(frozen=True)
class TermIndex:
    table: Table
    item: str                    # the column naming the indexed item
    scope: tuple[str, ...] = ()  # columns every search fixes (e.g. the community)

    def rows(self, item_id, terms, **scope):
        """The rows that index `item_id` under `terms` (for a bulk insert)."""
        return [{**scope, "term": t, self.item: item_id} for t in terms]

    def delete(self, executor, item_id):
        executor.execute(delete(self.table).where(self.table.c[self.item] == item_id))

    def insert(self, executor, item_id, terms, **scope):
        if terms:
            executor.execute(insert(self.table), self.rows(item_id, terms, **scope))

    def write(self, executor, item_id, terms, **scope):
        """Make the index hold exactly `terms` for the item."""
        self.delete(executor, item_id)
        self.insert(executor, item_id, terms, **scope)

    def _where(self, table, term, scope):
        return [table.c.term == term, *(table.c[name] == scope[name] for name in self.scope)]

    def exists(self, term, item_column, **scope):
        """The item (`item_column` of the outer query) is indexed under `term`."""
        # An alias of its own: the outer query may join this very table on the driving term.
        t = self.table.alias()
        return select(t.c[self.item]).where(*self._where(t, term, scope),
                                            t.c[self.item] == item_column).exists()

    def rarest(self, executor, terms, probe=5000, **scope):
        """The term with the fewest items (each count stops at `probe`)."""
        if len(terms) == 1:
            return terms[0]
        counts = [select(func.count()).select_from(
            select(self.table.c[self.item]).where(*self._where(self.table, term, scope))
            .limit(probe).subquery()).scalar_subquery() for term in terms]
        row = executor.execute(select(*counts)).one()
        return min(zip(row, terms))[1]

    def plan(self, terms, item_column, substring, *, executor=None, **scope):
        """(driving term or None, clauses): every term must occur in the item.

        With an `executor` the rarest indexed term drives (the caller joins its slice of the
        index, already in item order); the other indexed terms are point lookups in the index;
        the rest are `substring(term)` clauses, tested last on what is left. Without one, no
        term drives and every indexed term is a lookup.
        """
        indexed = [t for t in terms if is_indexed(t)]
        substrings = [substring(t) for t in terms if not is_indexed(t)]
        driver = self.rarest(executor, indexed, **scope) if indexed and executor is not None else None
        others = [self.exists(t, item_column, **scope) for t in indexed if t != driver]
        return driver, others + substrings
