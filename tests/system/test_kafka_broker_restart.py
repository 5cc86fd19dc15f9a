"""The broker stopped mid-run and started again: the workers reconnect and finish, losing and repeating nothing."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.system.kafka_cluster import (
    REPO,
    assert_exactly_once,
    kafka_stack,
    publish,
    wait_for,
    wait_until_settled,
    write_workload,
)

# Enough that the broker's stop (a graceful shutdown of a few seconds) lands mid-run: at about 1,700 incidents a
# second, 4,000 were sometimes all registered before it completed.
INCIDENTS = 20_000
OUTAGE = 5.0  # seconds the broker stays down
KAFKA_SH = REPO / "deploy" / "kafka" / "kafka.sh"


def kafka_sh(command: str) -> None:
    result = subprocess.run([str(KAFKA_SH), command], capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, f"kafka.sh {command} failed:\n{result.stdout}\n{result.stderr}"


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(600)
def test_the_workers_ride_out_a_broker_restart_and_finish_with_one_case_per_incident_and_no_breach_twice(
        kafka_bootstrap: str, postgres_url: str, tmp_path: Path) -> None:
    assert kafka_bootstrap == "127.0.0.1:9092", "this test restarts the broker of deploy/kafka/kafka.sh"
    workload = write_workload(tmp_path / "sitrep.jsonl", INCIDENTS, datetime.now(UTC) - timedelta(days=10))
    with kafka_stack(kafka_bootstrap, postgres_url, tmp_path) as stack:
        stack.cli("topics", "create")
        workers = [stack.worker(service) for service in ("intake", "casework", "sla-monitor")]
        for worker in workers:
            worker.wait_healthy()
        publish(stack, workload)
        wait_for(lambda: stack.scalar("select count(*) from casework.cases") >= INCIDENTS // 4, 180,
                 "a quarter of the cases")

        # The shared broker: whatever happens here, it is started again before the test ends.
        began = time.monotonic()
        try:
            kafka_sh("stop")
            stopped_at = stack.scalar("select count(*) from casework.cases")
            time.sleep(OUTAGE)
        finally:
            kafka_sh("start")
        print(f"broker down and up again in {time.monotonic() - began:.1f} s; {stopped_at} cases at the stop")
        assert stopped_at < INCIDENTS, "every case was registered before the broker stopped"
        assert all(worker.alive for worker in workers), "a worker died with the broker"

        wait_until_settled(stack, workload)
        assert all(worker.alive for worker in workers), "a worker died after the broker came back"
        assert_exactly_once(stack, workload)
