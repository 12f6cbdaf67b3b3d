"""Counting the SQL statements a request executes, to show a page's count does not grow with the data."""
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from sqlalchemy import event

from app.extensions import db


class Statements:
    """The statements seen while counting: `len()` is their number, `sql` their text."""

    def __init__(self):
        self.sql = []

    def __len__(self):
        return len(self.sql)

    def __repr__(self):
        return f"<{len(self)} statements>"


@contextmanager
def counting(engine=None, thread=None):
    """Count every statement the engine executes inside the block (the app's pooled connections
    included: the event is on the engine, not on one connection), or only those of one thread
    (`thread`: its ident), leaving out what background work (the room's presence messages)
    reads meanwhile."""
    engine = engine or db.engine
    seen = Statements()

    def record(conn, cursor, statement, parameters, context, executemany):
        if thread is None or threading.get_ident() == thread:
            seen.sql.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def apart(work, *args, **kwargs):
    """Run `work` in a thread of its own, as a server runs a request: a request made there gets an
    application context of its own, so neither the test's session (whose identity map holds what
    the seeding made) nor the test's `g` (where Flask-Login keeps the user it loaded) carries over."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work, *args, **kwargs).result()


def statements_of(client, url, status=200, **kwargs):
    """Open `url` with the test client, apart, and return the statements that request executed."""
    with ThreadPoolExecutor(1) as pool:
        thread = pool.submit(threading.get_ident).result()
        with counting(thread=thread) as seen:
            response = pool.submit(client.get, url, **kwargs).result()
    assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:300])
    return seen
