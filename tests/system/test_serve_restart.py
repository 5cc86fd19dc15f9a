"""`hrcase serve` killed mid-run and started again loses and repeats nothing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.factories import write_sitreps

INCIDENTS = 4000


def hrcase(*args: str) -> list[str]:
    return [sys.executable, "-m", "services.cli", *args]


def count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db, timeout=30) as conn:
        try:
            return int(conn.execute(sql).fetchone()[0])
        except sqlite3.OperationalError:  # tables not created yet
            return 0


def wait_for(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def serve(data: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(hrcase("serve", "--data-dir", str(data), "--interval", "0.1"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_serve_killed_mid_run_and_restarted_makes_one_case_per_incident_and_no_breach_twice(tmp_path: Path) -> None:
    data = tmp_path / "data"
    reports = write_sitreps(tmp_path / "sitrep.jsonl", INCIDENTS, datetime.now(UTC) - timedelta(days=10))
    subprocess.run(hrcase("sitrep", "load", "--data-dir", str(data), str(reports)), check=True, timeout=120)
    cases_db, log_db = data / "casework.sqlite", data / "log.sqlite"

    for kill_after_cases in (300, 1500, 2800):  # three crashes at different points of the run
        worker = serve(data)
        wait_for(lambda n=kill_after_cases: count(cases_db, "select count(*) from cases") >= n, 120, "progress")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    worker = serve(data)
    try:
        done = "select count(*) from log_records where topic='sla-events'"
        wait_for(lambda: count(cases_db, "select count(*) from cases") == INCIDENTS, 300, "every case")
        # Every case here is past its recording goal: one breach each, and the log settles.
        wait_for(lambda: count(log_db, done + " and json_extract(value, '$.type') = 'SlaBreached'") == INCIDENTS,
                 300, "every recording breach")
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, worker.stderr.read().decode() if worker.stderr else ""

    with sqlite3.connect(cases_db) as conn:
        assert conn.execute("select count(distinct incident_key) from cases").fetchone()[0] == INCIDENTS
    with sqlite3.connect(log_db) as conn:
        rows = [json.loads(v) for (v,) in conn.execute("select value from log_records where topic='sla-events'")]
        registered = conn.execute("select count(*) from log_records where topic='case-events'").fetchone()[0]
    assert registered == INCIDENTS
    per_clock_period = Counter((r["payload"]["case_id"], r["payload"]["clock"], r["payload"]["period"], r["type"])
                               for r in rows if r["type"] != "SlaScheduled")
    assert max(per_clock_period.values()) == 1
    assert len({r["event_id"] for r in rows}) == len(rows)
