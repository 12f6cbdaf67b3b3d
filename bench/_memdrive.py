"""Where the server's memory goes per resident socket (not part of `make bench`).

    python -m bench._memdrive [--n 510] [--bare] [--trace]

Seeds a live meeting (SQLite), starts wsgi.py (or the bare floor) under bench._memprobe, signs
the chair and 10 residents in (the warm-up), probes, signs in and joins the other N - 10
residents, probes, has the chair open a secret vote that all cast, probes, and prints the probes:
RSS, objects by type grown since the previous probe, and with --trace tracemalloc's growth by
traceback. The environment variables of bench/_memprobe.py (MEMPROBE_*) add more.
"""
import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _resident  # noqa: E402
from bench.room import free_port, launch, raise_fd_limit, stop  # noqa: E402
from bench.votes import SECRET_KEY, prepare_residents  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--bare", action="store_true")
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--processes", type=int, default=3)
    args = parser.parse_args()
    raise_fd_limit(args.n * 3 + 1000)
    tmp = tempfile.mkdtemp(prefix="yishi-mem-")
    out = os.path.join(tmp, "probe.txt")
    port = free_port()
    if args.bare:
        meeting_id, chair_phone, phones = 1, "10000000000", [f"1{i:010d}" for i in range(args.n)]
        env = dict(os.environ)
        argv = [sys.executable, "-m", "bench._memprobe", out, str(ROOT / "bench" / "_bare_server.py"), str(port)]
        env["PYTHONPATH"] = str(ROOT)
    else:
        url = f"sqlite:///{tmp}/mem.sqlite3"
        _, meeting_id, chair_phone, phones = prepare_residents(url, args.n)
        env = dict(os.environ, DATABASE_URL=url, HOST="127.0.0.1", SECRET_KEY=SECRET_KEY,
                   YISHI_INSTANCE=tmp, PORT=str(port))
        argv = [sys.executable, "-m", "bench._memprobe", out, str(ROOT / "wsgi.py")]
    if args.trace:
        env["MEMPROBE_TRACE"] = "1"
    base, proc = launch(argv, port, env)

    def probe(label):
        print(f"-- probe: {label}", file=sys.stderr, flush=True)
        before = os.path.getsize(out) if os.path.exists(out) else 0
        os.kill(proc.pid, signal.SIGUSR1)
        for _ in range(600):
            time.sleep(0.5)
            if os.path.exists(out) and os.path.getsize(out) > before:
                time.sleep(1)
                return
        raise RuntimeError("no probe")

    try:
        residents = _resident.resident_accounts(phones, _resident.PASSWORD, base)
        chair_as = _resident.Resident(chair_phone, _resident.PASSWORD, _resident.own_address(len(phones)), base)
        chair = _resident.Chair(chair_as, meeting_id)
        try:
            with _resident.Fleet(residents[:10], meeting_id, 1) as warm:
                warm.open()
            time.sleep(2)
            probe("warm")
            with _resident.Fleet(residents[10:], meeting_id, args.processes) as fleet:
                joined = fleet.open()
                print(f"joined {joined}", file=sys.stderr, flush=True)
                time.sleep(3)
                probe("joined")
                ack, _ = chair.call("open_vote", kind="secret", title="测试")
                acks, _ = fleet.votes(ack["vote_id"])
                print(f"acks {sum(1 for a in acks if a[0])}", file=sys.stderr, flush=True)
                time.sleep(2)
                probe("voted")
                print(f"RSS now {_resident.rss_mib(proc.pid)}", file=sys.stderr, flush=True)
        finally:
            chair.close()
    finally:
        stop(proc)
    print(open(out).read())


if __name__ == "__main__":
    main()
