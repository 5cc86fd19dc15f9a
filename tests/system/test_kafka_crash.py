"""Each faust worker killed with SIGKILL mid-run and restarted: nothing lost, nothing done twice."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from tests.system.kafka_cluster import (
    Worker,
    assert_exactly_once,
    kafka_stack,
    publish,
    wait_for,
    wait_until_settled,
    write_workload,
)

INCIDENTS = 10_000
KILL_AFTER = 1_000  # records a worker has processed since the previous kill before it is killed
# How far each worker has got, and how far it can get at most (intake also reads the 10 malformed records).
PROGRESS = {
    "intake": ("select count(*) from intake.inbox", INCIDENTS + 10),
    "casework": ("select count(*) from casework.cases", INCIDENTS),
    "sla-monitor": ("select count(*) from sla_monitor.inbox", INCIDENTS),
}


def kill_mid_run(worker: Worker, processed: Callable[[], int], most: int) -> int:
    """SIGKILL the worker once it has processed KILL_AFTER more records, and before it has processed them all."""
    start = processed()
    wait_for(lambda: processed() >= start + KILL_AFTER, 180, f"{worker.service} to make progress",
             lambda: f"{processed()} processed")
    worker.kill()
    done = processed()
    assert done < most, f"{worker.service} had finished before it was killed: nothing was in flight"
    return done


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(600)
def test_each_worker_killed_mid_run_and_restarted_leaves_one_case_per_incident_and_no_breach_twice(
        kafka_bootstrap: str, postgres_url: str, tmp_path: Path) -> None:
    # Reported 10 to 30 days ago: every case gets a recording warning, breach and escalation.
    workload = write_workload(tmp_path / "sitrep.jsonl", INCIDENTS, datetime.now(UTC) - timedelta(days=10))
    with kafka_stack(kafka_bootstrap, postgres_url, tmp_path) as stack:
        began = time.monotonic()  # after any wait for the topics' lock
        stack.cli("topics", "create")
        workers = {service: stack.worker(service) for service in PROGRESS}
        for worker in workers.values():
            worker.wait_healthy()
        publish(stack, workload)

        for service, (sql, most) in PROGRESS.items():
            done = kill_mid_run(workers[service], partial(stack.scalar, sql), most)
            print(f"{time.monotonic() - began:6.1f} s: killed {service} with {done} of {most} processed")
            workers[service].start().wait_healthy()

        wait_until_settled(stack, workload, timeout=420)
        print(f"{time.monotonic() - began:6.1f} s: settled")
        assert_exactly_once(stack, workload)
