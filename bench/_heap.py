"""`heap_frozen()`: measure without the bench process's own garbage collector in the figures.

A bench process holds what it built before measuring (thousands of socket clients, or the app
and the rows it seeded) for as long as it measures. Python's full collections walk all of it:
about 300 ms over 500 socket clients, during which no client reads anything, so a pass that
landed in a round was counted as the server's latency. Inside `heap_frozen()` what existed when
it began is collected once and frozen; what comes later is still collected.
"""
import contextlib
import gc


@contextlib.contextmanager
def heap_frozen():
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
