#!/usr/bin/env python3
"""Run hrcase's benchmarks, write their JSON results to bench/results/ and their tables into docs/benchmarks.md.

    make bench                                   # everything at the issue's sizes (scripts/bench starts services)
    .venv/bin/python bench/run.py --only sla     # one benchmark; --runs N, --smoke for tiny sizes
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import docs
from bench.common import REPO, Result, machine

NAMES = ("embedded", "kafka", "latency", "sla", "replay", "scaling", "report_scale")

# The sizes, and tiny ones for the smoke test that keeps every benchmark working.
FULL: dict[str, dict[str, Any]] = {
    "embedded": {"incidents": 100_000},
    "kafka": {"incidents": 100_000},
    "latency": {"rate": 500, "seconds": 60},
    "sla": {"clocks": 1_000_000, "burst": 10_000},
    "replay": {"scales": [1, 1000]},
    "scaling": {"incidents": 100_000, "clocks": [10_000, 100_000, 1_000_000]},
    "report_scale": {"scales": [1, 10, 100], "histories": "/tmp/hrcase-report-scale"},
}
SMOKE: dict[str, dict[str, Any]] = {
    "embedded": {"incidents": 200},
    "kafka": {"incidents": 200},
    "latency": {"rate": 20, "seconds": 3},
    "sla": {"clocks": 2_000, "burst": 100},
    "replay": {"scales": [0.05]},
    "scaling": {"incidents": 200, "clocks": [500, 2_000]},
    "report_scale": {"scales": [0.05, 0.1]},  # histories built in a temporary folder, removed after
}


def postgres_url() -> str:
    url = os.environ.get("HRCASE_BENCH_DATABASE_URL") or os.environ.get("HRCASE_TEST_DATABASE_URL")
    if url:
        return url
    result = subprocess.run([str(REPO / "deploy/postgres/postgres.sh"), "url"], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0 or not result.stdout.strip():
        raise SystemExit("no PostgreSQL: start it with deploy/postgres/postgres.sh start (or use scripts/bench)")
    return result.stdout.strip()


def kafka_bootstrap() -> str:
    return os.environ.get("HRCASE_BENCH_KAFKA") or os.environ.get("HRCASE_TEST_KAFKA") or "127.0.0.1:9092"


def runner(name: str, sizes: dict[str, Any], runs: int, log: Callable[[str], None], charts: Path) -> Result:
    if name == "embedded":
        from bench import embedded

        return embedded.run(sizes["incidents"], runs, log)
    if name == "kafka":
        from bench import kafka_pipeline

        return kafka_pipeline.run(kafka_bootstrap(), postgres_url(), sizes["incidents"], runs, [1], log)
    if name == "latency":
        from bench import latency

        return latency.run(kafka_bootstrap(), postgres_url(), sizes["rate"], sizes["seconds"], runs, log)
    if name == "sla":
        from bench import sla

        return sla.run(kafka_bootstrap(), postgres_url(), sizes["clocks"], sizes["burst"], runs, log)
    if name == "replay":
        from bench import replay

        return replay.run(sizes["scales"], runs, log, sizes.get("large_runs"), sizes.get("limit"))
    if name == "report_scale":
        from bench import report_scale

        with tempfile.TemporaryDirectory(prefix="hrcase-report-scale-") as scratch:
            return report_scale.run(sizes["scales"], runs, Path(sizes.get("histories") or scratch),
                                    sizes.get("hrcase", str(REPO / ".venv/bin/hrcase")), sizes.get("label", ""), log,
                                    sizes.get("before"))
    from bench import scaling

    return scaling.run(kafka_bootstrap(), postgres_url(), sizes["incidents"], sizes["clocks"], runs, log,
                       charts / "bench-sla-scaling.png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=NAMES, help="Run only this benchmark (repeatable).")
    parser.add_argument("--runs", type=int, default=None, help="Runs per figure (default 3; 1 with --smoke).")
    parser.add_argument("--smoke", action="store_true", help="Tiny sizes: checks that every benchmark works.")
    parser.add_argument("--set", action="append", default=[], metavar="BENCH.KEY=VALUE",
                        help="Override a size, e.g. --set embedded.incidents=20000 (JSON value).")
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "results",
                        help="Folder for the JSON results.")
    parser.add_argument("--docs", type=Path, default=REPO / "docs" / "benchmarks.md",
                        help="The Markdown file whose tables are regenerated.")
    parser.add_argument("--no-docs", action="store_true", help="Leave docs/benchmarks.md alone.")
    parser.add_argument("--charts", type=Path, default=None,
                        help="Folder for PNG charts (default docs/images; with --no-docs, the results folder).")
    parser.add_argument("--docs-only", action="store_true",
                        help="Run nothing: regenerate the docs' tables from the JSON results already there.")
    args = parser.parse_args(argv)
    if args.docs_only:
        for name in args.only or list(NAMES):
            path = args.results / f"{name}.json"
            if path.exists():
                docs.update(args.docs, json.loads(path.read_text()))
                print(f"{args.docs}: {name} from {path}")
        return 0

    names = args.only or list(NAMES)
    runs = args.runs or (1 if args.smoke else 3)
    sizes = {k: dict(v) for k, v in (SMOKE if args.smoke else FULL).items()}
    for override in args.set:
        target, value = override.split("=", 1)
        bench_name, key = target.split(".", 1)
        sizes[bench_name][key] = json.loads(value)
    command = "bench/run.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    about = machine()
    args.results.mkdir(parents=True, exist_ok=True)
    print(f"hrcase benchmarks on {about['nproc']} cores, {about['cpu']}, Python {about['python']}; "
          f"{runs} run(s) each{' (smoke sizes)' if args.smoke else ''}", flush=True)
    # Charts go beside the docs they illustrate; a run that leaves the docs alone keeps them with its results.
    charts = args.charts or (args.results if args.no_docs else args.docs.parent / "images")
    failed = []
    for name in names:
        print(f"== {name} {sizes[name]}", flush=True)
        started = time.perf_counter()
        try:
            result = runner(name, sizes[name], runs, lambda line: print(line, flush=True), charts)
        except Exception as exc:  # one broken benchmark must not hide the others' results
            print(f"FAILED: {name}: {exc}", flush=True)
            failed.append(name)
            continue
        record = {**result.as_dict(), "command": command.strip(), "machine": about, "smoke": args.smoke,
                  "seconds": time.perf_counter() - started}
        path = args.results / f"{name}.json"
        path.write_text(json.dumps(record, indent=2, default=str) + "\n")
        for figure in result.figures:
            verdict = "" if figure.met is None else ("  [met]" if figure.met else "  [MISSED]")
            print(f"   {figure.name}: {figure.value:,.4g} {figure.unit}{verdict}", flush=True)
        if not args.no_docs:
            docs.update(args.docs, record)
    if failed:
        print(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
