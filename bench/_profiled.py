"""Run a server script under cProfile: `python -m bench._profiled OUT.prof SCRIPT [ARGS...]`.

The benches start Yishi this way when BENCH_PROFILE names a directory (bench/room.py's `launch`):
each server process writes its profile there when it is stopped (SIGTERM), to be read with
`python -m pstats` or `bench._profiled --show OUT.prof`. cProfile follows every greenlet of the
server's one thread: the own time (tottime) of each function is what it cost.
"""
import sys


def show(path, limit=40):
    import pstats

    stats = pstats.Stats(path)
    stats.sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit)


def main():
    if sys.argv[1] == "--show":
        return show(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 40)
    from gevent import monkey

    monkey.patch_all()
    import cProfile
    import os
    import runpy
    import signal

    out, script = sys.argv[1], sys.argv[2]
    sys.argv = sys.argv[2:]
    profile = cProfile.Profile()

    def dump(*_):
        profile.disable()
        profile.dump_stats(out)
        os._exit(0)

    signal.signal(signal.SIGTERM, dump)
    profile.enable()
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
