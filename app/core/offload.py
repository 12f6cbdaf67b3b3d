"""Work that holds no Python lock, done beside the event loop instead of in it.

A password hash (scrypt, ~0.1 s by design, in OpenSSL, which releases the GIL) computed in a
gevent server's one thread stops every greenlet for its whole length: a hall of 300 signing in
within a minute held the live room (every broadcast, every cast) for seconds at a time. Under
gevent `off_loop` runs such work on a small pool of real threads (as many as there are cores:
the work is CPU; each scrypt also takes 32 MiB while it runs) and the calling greenlet waits for
it while the others go on. Anywhere else (threads, tests, the command line) it simply calls.
"""
import os
import threading

_pool = None
_lock = threading.Lock()


def _gevent_pool():
    try:
        from gevent import monkey
    except ImportError:   # pragma: no cover - gevent is a dependency
        return None
    if not monkey.is_module_patched("threading"):
        return None
    global _pool
    with _lock:
        if _pool is None:
            from gevent.threadpool import ThreadPool

            _pool = ThreadPool(max(1, min(4, os.cpu_count() or 1)))
    return _pool


def off_loop(fn, *args):
    """fn(*args), on a real thread when the process runs gevent; its result or its exception."""
    pool = _gevent_pool()
    if pool is None:
        return fn(*args)
    return pool.apply(fn, args)
