"""SQLite's share of benchmark 1: time in statements and in commits, by file, for one embedded pipeline run.

    .venv/bin/python -m bench.sqlite_share 100000

Every cursor execution is timed through SQLAlchemy's cursor events and every commit through the dialect, so the
figures are the driver's and SQLite's own work (binding, B-trees, WAL writes, checkpoints), not the Python around
them. Not part of `bench/run.py`: a profile for "What is left" in docs/benchmarks.md, not a benchmark with a target.
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine.default import DefaultDialect

from bench.embedded import pipeline


def main(incidents: int) -> None:
    seconds: defaultdict[str, float] = defaultdict(float)
    count: Counter[str] = Counter()

    @event.listens_for(Engine, "before_cursor_execute")
    def started(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        conn.info["bench.started"] = time.perf_counter()

    @event.listens_for(Engine, "after_cursor_execute")
    def finished(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        shape = re.sub(r"\?(, \?)+", "?..", " ".join(statement.split()))[:90]
        key = f"{_file(conn.engine.url.database)}: {shape}"
        seconds[key] += time.perf_counter() - conn.info.pop("bench.started")
        count[key] += 1

    commit = DefaultDialect.do_commit

    def timed_commit(dialect: DefaultDialect, dbapi_conn: Any) -> None:
        begun = time.perf_counter()
        commit(dialect, dbapi_conn)
        key = f"{_file(dbapi_conn.execute('pragma database_list').fetchone()[2])}: COMMIT"
        seconds[key] += time.perf_counter() - begun
        count[key] += 1

    DefaultDialect.do_commit = timed_commit  # type: ignore[method-assign]
    result = pipeline({"incidents": incidents})
    statements = sum(v for k, v in seconds.items() if not k.endswith("COMMIT"))
    commits = sum(v for k, v in seconds.items() if k.endswith("COMMIT"))
    print(f"{incidents:,} incidents at {result['rate']:,.0f}/s in {result['seconds']:.1f} s")
    print(f"statements {statements:.1f} s, commits {commits:.1f} s: "
          f"{(statements + commits) / incidents * 1e6:.0f} us an incident")
    for key, value in sorted(seconds.items(), key=lambda kv: -kv[1])[:15]:
        print(f"{value:7.2f} s {count[key]:7,d}x  {key}")


def _file(path: str | None) -> str:
    return (path or "").rsplit("/", 1)[-1]


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
