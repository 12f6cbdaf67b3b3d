"""The one summary table of `make bench`.

Each bench script prints its own detailed markdown and, through `record()`, adds rows to the
summary: what was measured, at what size, Yishi's figure beside the bare baseline measured in
the same run, and the goal. `bench/__main__.py` points BENCH_SUMMARY at a file, runs every
script, then renders the rows with `table()` into bench/results/latest.md and, between the
markers below, into the README and docs/benchmarks.md (`DOCS`). A script run on its own (no
BENCH_SUMMARY) records nothing.
"""
import json
import os

SUMMARY_ENV = "BENCH_SUMMARY"
DOC = "docs/benchmarks.md"   # relative to the repository's root
DOCS = ("README.md", DOC)      # each holds the latest table between the markers
MARK_BEGIN = "<!-- bench:begin (written by `make bench`; edits here are overwritten) -->"
MARK_END = "<!-- bench:end -->"


def postgres_url():
    """The PostgreSQL database a bench may empty: BENCH_DATABASE_URL, else TEST_DATABASE_URL."""
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")


def redis_url():
    return os.environ.get("BENCH_REDIS_URL") or os.environ.get("TEST_REDIS_URL")


def record(what, setting, yishi, bare, goal="", met=None):
    """Add one row. `met` is True/False against `goal`, or None where there is no goal."""
    path = os.environ.get(SUMMARY_ENV)
    if not path:
        return
    row = {"what": what, "setting": setting, "yishi": yishi, "bare": bare, "goal": goal, "met": met}
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")


def load(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def table(rows):
    lines = ["| measured | setting | Yishi | bare baseline, same run | goal | |",
             "| --- | --- | --- | --- | --- | :---: |"]
    for r in rows:
        mark = {True: "met", False: "**not met**", None: ""}[r["met"]]
        lines.append(f"| {r['what']} | {r['setting']} | {r['yishi']} | {r['bare']} | {r['goal']} | {mark} |")
    return "\n".join(lines)


def splice(text, block):
    """`text` with everything between the bench markers replaced by `block`."""
    start, end = text.find(MARK_BEGIN), text.find(MARK_END)
    if start < 0 or end < start:
        raise ValueError(f"{DOC} has no bench markers")
    return text[:start + len(MARK_BEGIN)] + "\n" + block.strip() + "\n" + text[end:]
