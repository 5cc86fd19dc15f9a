#!/usr/bin/env python3
"""Benchmark of the read side at scale (issue 21): generate N cases with their history into a casework database
(SQLite file, or the `casework` schema of a PostgreSQL database, as production keeps it), then serve it and time
every list page, a search, the overview and the alert worklist with 1 and 20 clients, beside the bare SQL behind
each; optionally a report command, timed with its peak memory. Every run is recorded in the JSON written.

    .venv/bin/python -m bench.readpath --cases 10000 --backend sqlite
    .venv/bin/python -m bench.readpath --cases 100000 --backend postgresql --runs 3
    .venv/bin/python -m bench.readpath --cases 1000000 --backend sqlite --generate-only
    .venv/bin/python -m bench.readdocs            # the section of docs/benchmarks.md from bench/results/readpath-*
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, make_url, text

from bench.common import REPO, machine, rss_mib
from services.config import ApiSettings
from services.messaging.postgres import PLANNER_OPTIONS

SCHEMA = "casework"  # the schema production gives casework on PostgreSQL (services.config)


def sqlite_target(folder: Path) -> Engine:
    from services.messaging.sqlite import sqlite_engine

    (folder / "data").mkdir(parents=True, exist_ok=True)
    path = folder / "data" / "casework.sqlite"
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return sqlite_engine(path)


def own_url(url: str, database: str) -> str:
    """The benchmark's database, its connections' search path on casework's schema: the baselines' bare SQL names
    tables as they are (the services' statements are translated to the schema by SQLAlchemy), planner costs as
    production's (services.messaging.postgres)."""
    options = f"-c search_path={SCHEMA} {PLANNER_OPTIONS}"
    return make_url(url).set(database=database).update_query_dict({"options": options}).render_as_string(
        hide_password=False)


def postgres_target(url: str, database: str) -> Engine:
    """A database of the benchmark's own on the server, its `casework` schema made afresh."""
    from services.messaging.postgres import postgres_engine

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("select 1 from pg_database where datname = :d"), {"d": database}).scalar():
            conn.execute(text(f'create database "{database}"'))
    admin.dispose()
    engine = postgres_engine(own_url(url, database))
    with engine.begin() as conn:
        conn.execute(text(f'drop schema if exists "{SCHEMA}" cascade'))
    return engine.execution_options(schema_translate_map={None: SCHEMA})


def size_of(engine: Engine, folder: Path | None) -> int:
    if folder is not None:
        return sum(p.stat().st_size for p in (folder / "data").glob("casework.sqlite*"))
    with engine.connect() as conn:
        return int(conn.execute(text("select coalesce(sum(pg_total_relation_size(c.oid)), 0) from pg_class c "
                                     "join pg_namespace n on n.oid = c.relnamespace where n.nspname = :s "
                                     "and c.relkind = 'r'"), {"s": SCHEMA}).scalar() or 0)


def generate(engine: Engine, backend: str, cases: int, seed: int, log: Any, base: int = 50_000) -> dict[str, Any]:
    """`base` cases (at most) through casework's own code (bench.readgen), then copies of them in SQL up to `cases`
    (bench.readcopy)."""
    from bench.readcopy import copy_to
    from bench.readgen import NOW, Generator
    from services.casework import bootstrap

    started = time.perf_counter()
    bootstrap.migrate(engine, SCHEMA if backend == "postgresql" else None)
    migrated = time.perf_counter() - started
    marks = max(1, cases // 10)
    last = [time.perf_counter()]

    def progress(done: int) -> None:
        if done % marks < 2000 or done == cases:
            log(f"  generated {done:,} cases ({time.perf_counter() - last[0]:.1f} s since the last mark, "
                f"RSS {rss_mib():,.0f} MiB)")
            last[0] = time.perf_counter()

    written = Generator(min(cases, base), seed, NOW).write(engine, progress)
    log(f"  base of {written['cases']:,} cases in {written['seconds']:.1f} s")
    copied = copy_to(engine, cases, progress) if cases > base else None
    if copied:
        log(f"  copied to {copied['cases']:,} cases in {copied['seconds']:.1f} s")
        written["cases"] = copied["cases"]
    if backend == "postgresql":
        settle_statistics(engine)
    return {**written, "copies": copied, "migrate_s": migrated, "seconds": time.perf_counter() - started,
            "now": NOW.isoformat()}


def settle_statistics(engine: Engine) -> None:
    """As autovacuum leaves tables that have settled: statistics, and the visibility map that lets counts read an
    index alone."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("case_summaries", "case_violations", "case_search", "alerts", "case_history", "cases"):
            conn.execute(text(f'vacuum analyze "{SCHEMA}".{table}'))


def run_report(template: str, folder: Path | None, url: str | None, as_of: str, log: Any) -> dict[str, Any]:
    """The report command in a child process: its wall time, and its resident memory sampled every 0.2 s."""
    out = Path(tempfile.mkdtemp(prefix="hrcase-readpath-report-"))
    command = template.format(python=sys.executable, data_dir=folder or "", as_of=as_of, out=out)
    env = {**os.environ}
    if url:
        env["HRCASE_DATABASE_URL"] = url
    samples: list[tuple[float, float]] = []
    started = time.perf_counter()
    child = subprocess.Popen(shlex.split(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            try:
                samples.append((time.perf_counter() - started, rss_mib(child.pid)))
            except (OSError, ValueError):
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    done.set()
    seconds = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    log(f"  report: exit {child.returncode} in {seconds:.1f} s, peak RSS {max((m for _, m in samples), default=0):,.0f}"
        " MiB (sampled)")
    return {"command": command, "exit": child.returncode, "seconds": seconds,
            "peak_rss_mib": max((m for _, m in samples), default=None),
            "rss_samples": samples[:: max(1, len(samples) // 50)],
            "stdout_tail": stdout[-600:], "stderr_tail": stderr[-600:]}


def summarise(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per page, the median over runs of each figure (errors summed)."""
    out = []
    for rows in zip(*runs, strict=True):
        first = rows[0]
        if first.get("skipped"):
            out.append({"page": first["page"], "skipped": first["skipped"]})
            continue

        def med(part: str, key: str, rows: tuple[dict[str, Any], ...] = rows) -> float | None:
            values = [r[part][key] for r in rows if r.get(part) and r[part].get(key) is not None]
            return statistics.median(values) if values else None

        out.append({"page": first["page"], "path": first["path"], "p50_1": med("one", "p50_ms"),
                    "server_cpu_ms": med("one", "server_cpu_ms"),
                    "p95_1": med("one", "p95_ms"), "p95_20": med("many", "p95_ms"), "max_20": med("many", "max_ms"),
                    "errors": sum(r["one"]["errors"] + (r["many"] or {}).get("errors", 0) for r in rows),
                    "samples": sum(r["one"]["samples"] + (r["many"] or {}).get("samples", 0) for r in rows),
                    "baseline_p50": med("baseline", "p50_ms"), "baseline_p95": med("baseline", "p95_ms")})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--out", type=Path, default=None, help="default bench/results/readpath-BACKEND-CASES.json")
    parser.add_argument("--runs", type=int, default=1, help="driver runs on the one generated database")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--base", type=int, default=50_000, help="cases made through casework's code; the rest are "
                        "copies of them made in SQL (bench/readcopy.py)")
    parser.add_argument("--folder", type=Path, default=None, help="SQLite: the data folder (default a temporary one)")
    parser.add_argument("--keep", action="store_true", help="SQLite: keep the data folder; PostgreSQL: the schema")
    parser.add_argument("--reuse", action="store_true", help="drive the database already there, without generating "
                        "(the generation recorded in --out, if any, is kept in it)")
    parser.add_argument("--extend", action="store_true", help="with --reuse: first copy the cases there up to "
                        "--cases (bench/readcopy.py), e.g. a kept 100,000 made a million")
    parser.add_argument("--database-url", default=os.environ.get("HRCASE_BENCH_DATABASE_URL")
                        or "postgresql+psycopg://hrcase:hrcase@127.0.0.1:55432/hrcase")
    parser.add_argument("--database", default="hrcase_bench", help="PostgreSQL: the benchmark's own database")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--clients", type=int, default=20, help="the concurrent clients (0: one client only)")
    parser.add_argument("--requests", type=int, default=20, help="requests of the single client, per page")
    parser.add_argument("--concurrent-requests", type=int, default=5, help="requests of each concurrent client")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per page and load at most")
    parser.add_argument("--threads", type=int, default=8, help="the server's waitress threads (per process)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="server processes as `hrcase api serve` runs them, the clients spread over them "
                        "round-robin (0: one server in the benchmark's own process)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a request may take (then an error)")
    parser.add_argument("--pages", action="append", default=[], help="only the pages whose name holds this")
    parser.add_argument("--overview-max-age", type=float, default=ApiSettings().overview_max_age,
                        help="seconds the overview's figures are kept and shared (the setting's default; 0: none)")
    parser.add_argument("--report-cmd", default=None, help="e.g. '{python} -m services.cli report --data-dir "
                        "{data_dir} --as-of {as_of} --no-charts --out {out}' (timed, peak memory sampled)")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, flush=True)

    out = args.out or REPO / "bench" / "results" / f"readpath-{args.backend}-{args.cases}.json"
    folder = None
    if args.backend == "sqlite":
        folder = args.folder or Path(tempfile.mkdtemp(prefix=f"hrcase-readpath-{args.cases}-"))
        from services.messaging.sqlite import sqlite_engine

        engine = sqlite_target(folder) if not args.reuse else sqlite_engine(folder / "data" / "casework.sqlite")
        url = None
    else:
        url = own_url(args.database_url, args.database)
        if args.reuse:
            from services.messaging.postgres import postgres_engine

            engine = postgres_engine(url).execution_options(schema_translate_map={None: SCHEMA})
        else:
            engine = postgres_target(args.database_url, args.database)
    record: dict[str, Any] = {"benchmark": "readpath", "backend": args.backend, "cases": args.cases,
                              "when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
                              "command": "python -m bench.readpath " + " ".join(
                                  shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])),
                              "threads": args.threads, "processes": args.processes, "clients": args.clients,
                              "timeout_s": args.timeout,
                              "requests": args.requests, "concurrent_requests": args.concurrent_requests,
                              "overview_max_age": args.overview_max_age}
    from bench.readgen import NOW

    if args.reuse and out.exists():  # the generation of the database driven again, when this file recorded it
        before = json.loads(out.read_text())
        if before.get("generation") and (before["backend"], before["cases"]) == (args.backend, args.cases):
            record["generation"] = before["generation"]
    try:
        if not args.reuse:
            log(f"generating {args.cases:,} cases on {args.backend}")
            record["generation"] = generate(engine, args.backend, args.cases, args.seed, log, args.base)
            log(f"  done in {record['generation']['seconds']:.1f} s")
        elif args.extend:
            from bench.readcopy import copy_to

            log(f"copying the cases there up to {args.cases:,}")
            copied = copy_to(engine, args.cases)
            if args.backend == "postgresql":
                settle_statistics(engine)
            log(f"  copied from {copied['base']:,} to {copied['cases']:,} cases in {copied['seconds']:.1f} s")
            made = record.get("generation") or {}
            record["generation"] = {**made, "cases": copied["cases"], "copies": copied,
                                    "seconds": made.get("seconds", 0) + copied["seconds"]}
        record["db_bytes"] = size_of(engine, folder)
        if not args.generate_only:
            from bench.readdrive import drive

            runs = []
            record["load_before"] = os.getloadavg()  # the machine is shared: its load beside every figure
            for run in range(args.runs):
                log(f"driver run {run + 1} of {args.runs} (load average {os.getloadavg()[0]:.1f})")
                runs.append(drive(engine, args.cases, NOW, concurrency=args.clients, requests=args.requests,
                                  concurrent_requests=args.concurrent_requests, budget=args.budget,
                                  threads=args.threads, timeout=args.timeout, only=args.pages, log=log,
                                  overview_max_age=args.overview_max_age, processes=args.processes))
            record["runs"], record["pages"] = runs, summarise(runs)
            record["load_after"] = os.getloadavg()
        if args.report_cmd:
            record["report"] = run_report(args.report_cmd, folder, url, NOW.date().isoformat(), log)
    finally:
        engine.dispose()
        if folder is not None and not args.keep and args.folder is None:
            shutil.rmtree(folder, ignore_errors=True)
        if args.backend == "postgresql" and not args.keep and not args.reuse:  # a reused one is never ours to drop
            drop = create_engine(url or args.database_url)
            with drop.begin() as conn:
                conn.execute(text(f'drop schema if exists "{SCHEMA}" cascade'))
            drop.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1, default=str) + "\n")
    log(f"{out}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())
