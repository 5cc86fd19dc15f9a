"""Two casework workers share the incidents; one killed with SIGKILL, the other takes its partitions over."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from schemas.topics import INCIDENTS as INCIDENTS_TOPIC
from tests.system.kafka_cluster import (
    Stack,
    assert_exactly_once,
    kafka_stack,
    partition_owners,
    publish,
    wait_for,
    wait_until_settled,
    write_workload,
)

INCIDENTS = 5_000
ALL = set(range(6))  # the partitions of `incidents` (schemas/topics.py)


def owners(stack: Stack) -> dict[int, set[int]]:
    return partition_owners(stack.bootstrap, "hrcase-casework", INCIDENTS_TOPIC)


def cases(stack: Stack) -> int:
    return stack.scalar("select count(*) from casework.cases")


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(600)
def test_two_casework_workers_split_the_incidents_and_one_takes_over_when_the_other_is_killed(
        kafka_bootstrap: str, postgres_url: str, tmp_path: Path) -> None:
    workload = write_workload(tmp_path / "sitrep.jsonl", INCIDENTS, datetime.now(UTC) - timedelta(days=10))
    with kafka_stack(kafka_bootstrap, postgres_url, tmp_path) as stack:
        stack.cli("topics", "create")
        first, second = stack.worker("casework"), stack.worker("casework")
        others = [stack.worker("intake"), stack.worker("sla-monitor")]
        for worker in (first, second, *others):
            worker.wait_healthy()
        # Both members of one group, each owning part of `incidents`, together all of it.
        split: dict[int, set[int]] = {}

        def shared() -> bool:
            split.clear()
            split.update(owners(stack))
            both = set(split) == {first.port, second.port} and all(split.values())
            return both and set().union(*split.values()) == ALL

        wait_for(shared, 60, "both casework workers to own partitions", lambda: f"owners by web port: {split}")
        print(f"partitions of incidents by casework worker's web port: {split}")
        publish(stack, workload)

        def both_progressed() -> bool:  # each worker has committed incidents it processed, on its own partitions
            done = stack.committed("hrcase-casework", INCIDENTS_TOPIC)
            return all(sum(done[p] for p in split[w.port]) > 0 for w in (first, second))

        wait_for(lambda: both_progressed() and cases(stack) >= INCIDENTS // 4, 180,
                 "both casework workers to process incidents", lambda: f"{cases(stack)} cases")
        second.kill()
        killed_at, registered = time.monotonic(), cases(stack)
        assert registered < INCIDENTS, "every case was registered before the kill: nothing was in flight"
        wait_for(lambda: owners(stack) == {first.port: ALL}, 60, "the survivor to own every partition",
                 lambda: f"owners by web port: {owners(stack)}")
        print(f"killed one casework worker at {registered} cases; the other owned every partition "
              f"{time.monotonic() - killed_at:.1f} s later")

        wait_until_settled(stack, workload)
        assert_exactly_once(stack, workload)
