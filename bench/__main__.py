"""`make bench`: run every bench script in turn and collect their markdown into one file."""
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def main():
    RESULTS.mkdir(exist_ok=True)
    scripts = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_"))
    sections = [f"# Benchmarks ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
                f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores)\n"]
    failed = False
    for script in scripts:
        print(f"== {script.name}", flush=True)
        started = time.time()
        proc = subprocess.run([sys.executable, "-m", f"bench.{script.stem}"], cwd=HERE.parent,
                              capture_output=True, text=True)
        print(proc.stdout, flush=True)
        if proc.returncode:
            failed = True
            print(proc.stderr[-3000:], file=sys.stderr)
        sections.append(f"## {script.stem} ({time.time() - started:.0f} s)\n\n{proc.stdout.strip()}\n")
    (RESULTS / "latest.md").write_text("\n".join(sections), encoding="utf-8")
    print(f"written {RESULTS / 'latest.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
