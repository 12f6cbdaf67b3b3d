"""Run a server script with a memory probe: `python -m bench._memprobe OUT SCRIPT [ARGS...]`.

Each SIGUSR1 appends to OUT: the resident set (VmRSS), and the live objects counted by type (after
a full collection) grown since the previous signal (the MEMPROBE_TYPES commonest, default 40).
For finding what each socket keeps: signal before and after a few hundred clients connect and
join (bench/_memdrive.py does). Environment:

- MEMPROBE_TRACE=1: the first signal starts tracemalloc (MEMPROBE_FRAMES frames, default 12);
  each later one appends the allocations grown since the previous one, by traceback and by line.
- MEMPROBE_MALLOCSTATS=1: pymalloc's arenas and bytes in use (`sys._debugmallocstats`).
- MEMPROBE_SMAPS=1: resident memory by mapping (the heap, anonymous mappings, files).
- MEMPROBE_TRIM=1: RSS before and after glibc's `malloc_trim(0)` (free heap returned).
- MEMPROBE_WHO=Type,Type: what refers to two objects of each type.
"""
import sys


def main():
    from gevent import monkey

    monkey.patch_all()
    import collections
    import gc
    import os
    import runpy
    import signal
    import tracemalloc

    import gevent

    out, script = sys.argv[1], sys.argv[2]
    sys.argv = sys.argv[2:]
    state = {"counts": None, "snapshot": None, "n": 0}
    frames = int(os.environ.get("MEMPROBE_FRAMES", "12"))

    def rss():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def describe(obj, lines, depth, seen):
        """The referrers of `obj`, three levels up (frames and this module's own lists left out)."""
        if depth >= 4:
            return
        seen.add(id(obj))
        for ref in gc.get_referrers(obj):
            if id(ref) in seen or type(ref).__name__ in ("frame", "list") and depth == 0:
                continue
            if isinstance(ref, dict) and len(ref) > 50:
                lines.append("    " * (depth + 1) + f"<dict of {len(ref)}>")
                continue
            lines.append("    " * (depth + 1) + f"{type(ref).__qualname__}: {repr(ref)[:160]}")
            describe(ref, lines, depth + 1, seen)

    def probe():
        gc.collect()
        counts = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
        lines = [f"== probe {state['n']}: RSS {rss():.1f} MiB, {sum(counts.values())} tracked objects"]
        if state["counts"] is not None:
            grown = counts.copy()
            grown.subtract(state["counts"])
            for name, k in grown.most_common(int(os.environ.get("MEMPROBE_TYPES", "40"))):
                lines.append(f"  {k:+8d} {name} (now {counts[name]})")
        for name in filter(None, os.environ.get("MEMPROBE_WHO", "").split(",")):
            samples = [o for o in gc.get_objects() if type(o).__qualname__ == name][-2:]
            for sample in samples:
                lines.append(f"  who holds a {name}:")
                describe(sample, lines, 0, set())
        if tracemalloc.is_tracing():
            snapshot = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)])
            if state["snapshot"] is not None:
                diff = snapshot.compare_to(state["snapshot"], "traceback")
                total = sum(d.size_diff for d in diff)
                lines.append(f"  traced growth {total / 1024:.0f} KiB")
                for d in sorted(diff, key=lambda d: -d.size_diff)[:40]:
                    lines.append(f"  {d.size_diff / 1024:+9.1f} KiB {d.count_diff:+7d} blocks")
                    for frame in d.traceback.format(limit=frames, most_recent_first=True):
                        lines.append("      " + frame.strip())
                by_line = snapshot.compare_to(state["snapshot"], "lineno")
                lines.append("  -- by line")
                for d in sorted(by_line, key=lambda d: -d.size_diff)[:40]:
                    lines.append(f"  {d.size_diff / 1024:+9.1f} KiB {d.count_diff:+7d} {d.traceback[0]}")
            state["snapshot"] = snapshot
        elif os.environ.get("MEMPROBE_TRACE") == "1":
            tracemalloc.start(frames)
            state["snapshot"] = tracemalloc.take_snapshot()
        if os.environ.get("MEMPROBE_MALLOCSTATS") == "1":
            import tempfile

            with tempfile.TemporaryFile("w+") as tmp:
                saved = os.dup(2)
                os.dup2(tmp.fileno(), 2)
                try:
                    sys._debugmallocstats()
                finally:
                    os.dup2(saved, 2)
                    os.close(saved)
                tmp.seek(0)
                stats = tmp.read()
            for line in stats.splitlines():
                if line.startswith(("# arenas allocated current", "# bytes in allocated blocks",
                                    "# bytes in available blocks", "# bytes in arenas",
                                    "# bytes lost to", "Total", "unused pools")) or "free pools" in line:
                    lines.append("  pymalloc " + line)
        if os.environ.get("MEMPROBE_SMAPS") == "1":
            # Resident memory by mapping: the heap, and anonymous mappings by their size.
            buckets, name, size = collections.Counter(), None, 0
            counts = collections.Counter()
            with open("/proc/self/smaps") as f:
                for line in f:
                    parts = line.split()
                    if "-" in parts[0] and ":" not in parts[0]:
                        start, end = (int(x, 16) for x in parts[0].split("-"))
                        size = (end - start) // 1024
                        name = parts[5] if len(parts) > 5 else f"anon {size} KiB"
                        if not name.startswith(("anon", "[heap]")):
                            name = "files"
                    elif parts[0] == "Rss:":
                        buckets[name] += int(parts[1])
                        counts[name] += 1
            for key, kib in buckets.most_common(12):
                lines.append(f"  smaps {key}: {counts[key]} mappings, RSS {kib / 1024:.1f} MiB")
        if os.environ.get("MEMPROBE_TRIM") == "1":
            import ctypes

            before = rss()
            ctypes.CDLL("libc.so.6").malloc_trim(0)
            lines.append(f"  malloc_trim(0): RSS {before:.1f} -> {rss():.1f} MiB")
        state["counts"] = counts
        state["n"] += 1
        with open(out, "a") as f:
            f.write("\n".join(lines) + "\n")

    def on_signal(*_):
        gevent.spawn(probe)

    gevent.signal_handler(signal.SIGUSR1, on_signal)
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
