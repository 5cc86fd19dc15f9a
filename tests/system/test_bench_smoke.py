"""Every benchmark of bench/run.py still runs and gives its figures, at tiny sizes (timings are not judged here)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.system.kafka_cluster import REPO

BENCHMARKS = ("embedded", "kafka", "latency", "sla", "replay", "scaling", "report_scale")


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(900)
def test_every_benchmark_runs_at_smoke_sizes_and_records_its_figures(
        kafka_bootstrap: str, postgres_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "HRCASE_BENCH_KAFKA": kafka_bootstrap, "HRCASE_BENCH_DATABASE_URL": postgres_url}
    result = subprocess.run([sys.executable, "bench/run.py", "--smoke", "--results", str(tmp_path), "--no-docs"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=880, check=False)
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    for name in BENCHMARKS:
        record = json.loads((tmp_path / f"{name}.json").read_text())
        assert record["smoke"] is True and record["figures"], name
        for figure in record["figures"]:
            assert figure["runs"] and all(math.isfinite(v) for v in figure["runs"]), (name, figure)
        assert record["machine"]["nproc"] >= 1 and record["command"].startswith("bench/run.py")
    # Benchmarks 1 and 2 carry a second baseline: the same three hops with handlers that only pass records on.
    for name, ceiling in (("embedded", "plumbing ceiling:"), ("kafka", "faust ceiling:")):
        figures = {f["name"]: f["runs"] for f in json.loads((tmp_path / f"{name}.json").read_text())["figures"]}
        assert any(k.startswith(ceiling) and runs[0] > 0 for k, runs in figures.items()), (name, sorted(figures))
    # And benchmark 1 a third: the same plumbing with the fourth message the monitor's schedules add (issue 17).
    embedded = {f["name"]: f["runs"] for f in json.loads((tmp_path / "embedded.json").read_text())["figures"]}
    assert any(k.startswith("plumbing ceiling with the monitor's schedules") and runs[0] > 0
               for k, runs in embedded.items()), sorted(embedded)
    assert (tmp_path / "bench-sla-scaling.png").stat().st_size > 0


def test_sqlite_share_times_the_statements_and_commits_of_a_small_embedded_run() -> None:
    result = subprocess.run([sys.executable, "-m", "bench.sqlite_share", "300"], cwd=REPO, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("300 incidents at ") and lines[1].startswith("statements ")
    shown = "\n".join(lines[2:])
    # The two largest items at any size: the log's appends and casework's commits.
    assert "log.sqlite: INSERT OR IGNORE INTO log_records" in shown and "casework.sqlite: COMMIT" in shown
