"""Two workers of every service, each relaying from its service's one outbox: no record reaches a topic twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from schemas.topics import (
    CASE_EVENTS,
    CASEWORK_DEAD_LETTER,
    INCIDENTS,
    INTAKE_REJECTED,
    SITREP_INCIDENTS,
    SLA_DEAD_LETTER,
    SLA_EVENTS,
)
from tests.system.kafka_cluster import (
    assert_exactly_once,
    duplicates,
    kafka_stack,
    partition_owners,
    publish,
    wait_for,
    wait_until_settled,
    write_workload,
)

N = 10_000
# Every topic a service writes through its outbox, and the group (with one topic it consumes) of its writer.
WRITTEN = (INCIDENTS, INTAKE_REJECTED, CASE_EVENTS, SLA_EVENTS, CASEWORK_DEAD_LETTER, SLA_DEAD_LETTER)
CONSUMED = {"hrcase-intake": SITREP_INCIDENTS, "hrcase-casework": INCIDENTS, "hrcase-sla_monitor": CASE_EVENTS}


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(600)
def test_two_workers_of_each_service_publish_every_event_once_on_every_topic(
        kafka_bootstrap: str, postgres_url: str, tmp_path: Path) -> None:
    workload = write_workload(tmp_path / "sitrep.jsonl", N, datetime.now(UTC) - timedelta(days=10))
    with kafka_stack(kafka_bootstrap, postgres_url, tmp_path) as stack:
        stack.cli("topics", "create")
        workers = [stack.worker(service) for service in ("intake", "casework", "sla-monitor") for _ in range(2)]
        for worker in workers:
            worker.wait_healthy()

        def split() -> bool:  # both workers of every service own partitions: both consume, both relay
            return all(len(owners) == 2 and all(owners.values())
                       for owners in (partition_owners(stack.bootstrap, group, topic)
                                      for group, topic in CONSUMED.items()))

        wait_for(split, 90, "two workers of each service to share its partitions")
        publish(stack, workload)
        wait_until_settled(stack, workload)
        assert_exactly_once(stack, workload)
        repeated = {topic: duplicates(stack.reader(topic).envelopes()) for topic in WRITTEN}
        print(f"records on each topic: { {t: len(stack.reader(t).records) for t in WRITTEN} }")
        assert repeated == dict.fromkeys(WRITTEN, 0), f"event ids repeated on a topic: {repeated}"
        assert all(worker.alive for worker in workers)
