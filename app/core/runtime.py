"""What a long-running server process does once it has started (wsgi.py; bench/street.py times
pages the same way)."""
import gc

# The collector's thresholds (Python's are 700, 10, 10). A page of a street allocates tens of
# thousands of objects; at 700 the youngest generation was collected about every request, and a
# full pass (40-80 ms with the caches of a warm process) came every few seconds, landing in the
# p95 of whichever page it fell in. At these a young pass comes every 10,000 new objects and a full
# one a hundred times more rarely; nothing is kept longer than the garbage of one busy moment.
GC_THRESHOLDS = (10_000, 10, 100)


def settle():
    """Keep what start-up made (modules, the app, SQLAlchemy's mappers: about 220,000 objects,
    alive as long as the process) out of the collector's full passes, which otherwise walk it
    again each time and, with thousands of sockets open, stall every live room for a few hundred
    milliseconds; and collect less often (GC_THRESHOLDS)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
