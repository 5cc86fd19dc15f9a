#!/usr/bin/env python3
"""Before and after: the same benchmarks on two commits, run by turns, so that the machine's noise falls on both.

    .venv/bin/python bench/ab.py BEFORE AFTER --runs 3 -- --only kafka --set kafka.incidents=5000

Each commit is checked out in a worktree of its own under --work (kept, and reused when it is there); this
harness (bench/ and tests/system/kafka_cluster.py of the working tree) is copied into both, so only the code under
test differs. Run k runs BEFORE then AFTER when k is even, AFTER then BEFORE when odd; each run is one
`bench/run.py ARGS --runs 1`. The medians, and after/before, go to WORK/ab-NAME.md and to standard output.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
HARNESS = ("bench", "tests/system/kafka_cluster.py", "tests/factories.py")


def worktree(commit: str, work: Path) -> Path:
    sha = subprocess.run(["git", "rev-parse", "--short", commit], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout.strip()
    tree = work / f"tree-{sha}"
    if not tree.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), sha], cwd=REPO, check=True,
                       capture_output=True)
    for part in HARNESS:
        source, target = REPO / part, tree / part
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("results", "__pycache__"))
        else:
            shutil.copy2(source, target)
    return tree


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--name", default="ab")
    parser.add_argument("--work", type=Path, default=Path("/tmp/hrcase-bench-ab"))
    parser.add_argument("--report", action="store_true", help="Run nothing: the table of the runs already there.")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    bench_args = argv[split + 1:]  # after --: arguments for bench/run.py
    args.work.mkdir(parents=True, exist_ok=True)
    out = args.work / f"results-{args.name}"
    if not args.report:
        trees = {"before": worktree(args.before, args.work), "after": worktree(args.after, args.work)}
        run_by_turns(trees, out, args.runs, bench_args)
    text = report(out, args.before, args.after, args.runs, bench_args)
    (args.work / f"ab-{args.name}.md").write_text(text)
    print(text)
    return 0


def run_by_turns(trees: dict[str, Path], out: Path, runs: int, bench_args: list[str]) -> None:
    for run in range(runs):
        order = ["before", "after"] if run % 2 == 0 else ["after", "before"]
        for label in order:
            results = out / label / f"run-{run}"
            command = [sys.executable, "bench/run.py", *bench_args, "--runs", "1", "--results", str(results),
                       "--no-docs"]
            print(f"== run {run + 1}/{runs}, {label}: {' '.join(command[1:])}", flush=True)
            if subprocess.run(command, cwd=trees[label], check=False).returncode != 0:
                raise SystemExit(f"{label} ({trees[label]}) failed: {' '.join(command[1:])}")


def report(out: Path, before_commit: str, after_commit: str, runs: int, bench_args: list[str]) -> str:
    """The medians of every figure before and after, from the JSON results under `out`."""
    from bench.docs import number

    values: dict[str, dict[tuple[str, str], list[float]]] = {"before": {}, "after": {}}
    units: dict[tuple[str, str], str] = {}
    for label in ("before", "after"):
        for path in sorted(out.glob(f"{label}/run-*/*.json")):
            record = json.loads(path.read_text())
            for figure in record["figures"]:
                key = (record["benchmark"], figure["name"])
                units[key] = figure["unit"]
                values[label].setdefault(key, []).extend(figure["runs"])
    lines = [f"Before `{before_commit}`, after `{after_commit}`: `bench/ab.py` with "
             f"`bench/run.py {' '.join(bench_args)}`, {runs} runs each, by turns.", "",
             "| benchmark | figure | before (median) | after (median) | after / before |",
             "| --- | --- | ---: | ---: | ---: |"]
    for key in units:
        before, after = values["before"].get(key, []), values["after"].get(key, [])
        b = statistics.median(before) if before else float("nan")
        a = statistics.median(after) if after else float("nan")
        unit = f" {units[key]}" if units[key] else ""
        change = a / b if b else float("nan")
        lines.append(f"| {key[0]} | {key[1].strip()} | {number(b)}{unit} | {number(a)}{unit} | {change:.2f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
