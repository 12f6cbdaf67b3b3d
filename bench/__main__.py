"""`make bench`: run every bench script, then write one summary table.

    .venv/bin/python -m bench [--only room,votes] [--no-docs] [--quick]

Each script runs in its own process with its defaults (PostgreSQL and Redis from
TEST_DATABASE_URL / TEST_REDIS_URL where a script uses them; those scripts say so and skip
without them); `--quick` passes --quick to every script (small sizes: to see the whole run work
end to end in a few minutes; such a run never replaces the table in docs/benchmarks.md).
bench/results/latest.md gets the summary table followed by every script's own tables; the
benchmark table of docs/benchmarks.md (between its bench markers) is replaced by the summary, so
its figures are the ones this run printed.
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(ROOT))

from bench import _report  # noqa: E402
from bench._resident import machine  # noqa: E402

# Cheapest first, so that a broken set-up shows itself early.
ORDER = ["proposals", "notice", "votes", "microprojects", "login", "room", "scale"]
# Scripts `make bench` leaves out (run on their own): the street seeds for minutes.
SKIP = {"street"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated script names (default: all)")
    parser.add_argument("--no-docs", "--no-readme", dest="no_docs", action="store_true",
                        help="leave the README and docs/benchmarks.md as they are")
    parser.add_argument("--quick", action="store_true", help="small sizes, every script: a check that "
                        "the run works, not figures")
    args = parser.parse_args(argv)
    found = {p.stem for p in HERE.glob("*.py") if not p.name.startswith("_")} - SKIP
    scripts = [s for s in ORDER if s in found] + sorted(found - set(ORDER))
    if args.only:
        scripts = [s for s in scripts if s in args.only.split(",")]
    RESULTS.mkdir(exist_ok=True)
    summary = RESULTS / "summary.jsonl"
    summary.unlink(missing_ok=True)
    env = dict(os.environ, **{_report.SUMMARY_ENV: str(summary)})

    started_all = time.time()
    details, failed = [], []
    for name in scripts:
        print(f"== bench/{name}.py", flush=True)
        started = time.time()
        proc = subprocess.run([sys.executable, "-m", f"bench.{name}"] + (["--quick"] if args.quick else []),
                              cwd=ROOT, env=env, capture_output=True, text=True)
        print(proc.stdout, flush=True)
        if proc.returncode:
            failed.append(name)
            print(proc.stderr[-3000:], file=sys.stderr, flush=True)
        details.append(f"## bench/{name}.py ({time.time() - started:.0f} s)\n\n{proc.stdout.strip()}\n")

    heading = (f"Measured by `make bench{' QUICK=1' if args.quick else ''}` on "
               f"{time.strftime('%Y-%m-%d', time.gmtime())}: {machine()}, every server, its database and "
               f"its load generator on the same machine, {(time.time() - started_all) / 60:.0f} min in all. "
               "Every row beside its baseline measured in the same run; the live rows with residents who "
               "sign in over HTTP, in several client processes (see below).")
    if failed:
        heading += f" Failed: {', '.join(failed)} (see its section in bench/results/latest.md)."
    block = f"{heading}\n\n{_report.table(_report.load(summary))}\n"
    (RESULTS / "latest.md").write_text(f"# Benchmarks\n\n{block}\n" + "\n".join(details), encoding="utf-8")
    print(block)
    print(f"written {RESULTS / 'latest.md'}")
    if not args.no_docs and not args.only and not args.quick:
        for name in _report.DOCS:
            doc = ROOT / name
            doc.write_text(_report.splice(doc.read_text(encoding="utf-8"), block), encoding="utf-8")
            print(f"{name}: benchmark table replaced")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
