#!/usr/bin/env python3
"""What each query of the overview costs on a generated database (ADR 0025): wall and CPU time of every figure the
page takes, for all offices, median of a few rounds.

    .venv/bin/python -m bench.overviewprof --folder /tmp/rp-sqlite-100k            # a `bench.readpath --keep` folder
    .venv/bin/python -m bench.overviewprof --database hrcase_bench                  # its PostgreSQL database
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from bench.common import REPO


def engine_of(args: argparse.Namespace) -> Engine:
    if args.folder is not None:
        from services.messaging.sqlite import sqlite_engine

        return sqlite_engine(args.folder / "data" / "casework.sqlite")
    from bench.readpath import SCHEMA, own_url
    from services.messaging.postgres import postgres_engine

    return postgres_engine(own_url(args.database_url, args.database)).execution_options(
        schema_translate_map={None: SCHEMA})


def parts(scope: str | None) -> dict[str, Callable[[Connection, Any], Any]]:
    """The page's figures one by one, as services/casework/web/overview.py `taken` reads them."""
    from services.casework.adapters import case_figures as cf
    from services.casework.adapters import duplicates as pairs
    from services.casework.web import overview

    def delays(conn: Connection, now: Any) -> None:
        for office, mine in found[0].items():
            cf.delays(conn, None if office == cf.TOTAL else office, mine["recorded"], mine[cf.DELAY_SUM])

    def ages(conn: Connection, now: Any) -> None:
        for office, mine in found[0].items():
            cf.overdue_ages(conn, None if office == cf.TOTAL else office, now, mine["v_overdue"])

    found: list[dict[str, Any]] = []

    def tallies(conn: Connection, now: Any) -> None:
        found[:] = [cf.counts(conn, scope, now)]

    return {
        "counts by office and region (one pass)": tallies,
        "medians and 90th percentiles of the delays": delays,
        "oldest and median days past the goal": ages,
        "overdue list (100)": lambda conn, now: overview.overdue_list(conn, scope, now),
        "by region": lambda conn, now: cf.by_region(conn, scope, now),
        "placed (map points)": lambda conn, now: cf.placed(conn, scope),
        "recording goal": lambda conn, now: cf.recording_goal_days(conn, scope),
        "duplicate pairs": lambda conn, now: pairs.counts(conn, scope),
        "the whole page's figures (taken)": lambda conn, now: overview.taken(conn, scope, now),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, default=None, help="SQLite: the data folder bench.readpath kept")
    parser.add_argument("--database-url", default=os.environ.get("HRCASE_BENCH_DATABASE_URL")
                        or "postgresql+psycopg://hrcase:hrcase@127.0.0.1:55432/hrcase")
    parser.add_argument("--database", default="hrcase_bench", help="PostgreSQL: the benchmark's database")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--office", default=None, help="one office's scope (default all offices)")
    args = parser.parse_args(argv)
    from bench.readgen import NOW
    from services.messaging.sqlite import reading

    engine = engine_of(args)
    try:
        for name, part in parts(args.office).items():
            walls, cpus = [], []
            for _ in range(args.rounds):
                with reading(engine) as conn:
                    wall, cpu = time.perf_counter(), time.process_time()
                    part(conn, NOW)
                    walls.append(time.perf_counter() - wall)
                    cpus.append(time.process_time() - cpu)
            print(f"{name:50} wall {statistics.median(walls) * 1000:9.1f} ms   "
                  f"client CPU {statistics.median(cpus) * 1000:9.1f} ms", flush=True)
    finally:
        engine.dispose()
    print(f"load average {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())
