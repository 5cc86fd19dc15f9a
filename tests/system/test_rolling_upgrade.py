"""A rolling upgrade as docs/operations.md ("Upgrades") describes it: the schema migrated first by this version
(`hrcase db upgrade`), the previous release's three workers run on it, then each service's worker replaced by this
version's, old and new side by side in one consumer group meanwhile. Nothing is lost or done twice across versions.

"The previous release" is the code before issue 17 (commit ffa5552, the last one before its merge): the version an
installation ran before this one. Its tree comes from git (`git archive`), its code runs with this checkout's virtual
environment (the dependencies did not change), and its own migration step is turned off as HRCASE_MIGRATE=no turns
off this version's: that release predates the setting, and would otherwise refuse a schema it does not know."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition

from schemas.topics import (
    CASE_EVENTS,
    CASEWORK_DEAD_LETTER,
    INCIDENTS,
    SITREP_INCIDENTS,
    SLA_DEAD_LETTER,
    SLA_EVENTS,
)
from tests.ports import free_port
from tests.system.kafka_cluster import (
    REPO,
    Worker,
    Workload,
    assert_exactly_once,
    kafka_stack,
    publish,
    wait_until_settled,
    write_workload,
)

PREVIOUS_RELEASE = "ffa5552"
PER_PHASE = 1_000  # incidents before the upgrade; as many again after it
# The previous release's worker, with its migration step turned off (the schema is this version's).
RUN_PREVIOUS = """
import sys, services, services.messaging.migrate as migrate
print(f"previous release: {services.__file__}", flush=True)
migrate.upgrade = lambda *args, **kwargs: None
from services.cli import main
main()
"""


def previous_release(into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", PREVIOUS_RELEASE],
                             capture_output=True, timeout=60, check=False)
    if archive.returncode != 0:
        pytest.fail(f"commit {PREVIOUS_RELEASE} is not in this clone (a shallow one?): "
                    f"{archive.stderr.decode(errors='replace')}")
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


@dataclass
class PreviousWorker(Worker):
    """A worker of the previous release: its own tree first on the path, this checkout's interpreter."""

    tree: Path = Path()

    def start(self) -> PreviousWorker:
        self.starts += 1
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", RUN_PREVIOUS, "worker", self.service, "--web-port", str(self.port)],
                cwd=self.tree, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        return self


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(600)
def test_the_previous_releases_workers_run_on_the_migrated_schema_and_hand_over_to_this_versions(
        kafka_bootstrap: str, postgres_url: str, tmp_path: Path) -> None:
    tree = previous_release(tmp_path / "previous")
    now = datetime.now(UTC)
    before = write_workload(tmp_path / "before.jsonl", PER_PHASE, now - timedelta(days=10))
    after = write_workload(tmp_path / "after.jsonl", PER_PHASE, now - timedelta(days=70), bad_each=0)
    both = Workload(before.path, before.incident_keys | after.incident_keys, before.bad_lines)
    with kafka_stack(kafka_bootstrap, postgres_url, tmp_path) as stack:
        stack.cli("topics", "create")
        assert stack.cli("db", "upgrade").splitlines() == [
        "schemas intake, casework, sla_monitor of HRCASE_DATABASE_URL are at the current version"]
        old = {}
        for service in ("intake", "casework", "sla-monitor"):
            worker = PreviousWorker(service, free_port(), {**stack.env, "HRCASE_API_PORT": str(free_port())},
                                    tmp_path / f"previous-{service}.log", tree=tree)
            stack.workers.append(worker.start())
            old[service] = worker.wait_healthy()
        publish(stack, before)
        wait_until_settled(stack, before)
        for service, worker in old.items():
            assert f"previous release: {tree}/services/__init__.py" in worker.log.read_text(), service

        # Consumers of a new event type before its producer: casework reads SlaScheduled, sla_monitor writes it.
        for service in ("intake", "casework", "sla-monitor"):
            new = Worker(service, free_port(), {**stack.env, "HRCASE_API_PORT": str(free_port()),
                                                "HRCASE_MIGRATE": "no"}, tmp_path / f"new-{service}.log")
            stack.workers.append(new.start())
            new.wait_healthy()  # beside the previous release's worker, in the same group
            assert old[service].stop() is not None, f"the previous {service} worker did not stop"
        publish(stack, after)
        wait_until_settled(stack, both)
        assert_exactly_once(stack, both)
        for topic in (CASEWORK_DEAD_LETTER, SLA_DEAD_LETTER):
            assert stack.reader(topic).envelopes() == [], f"a version could not read the other's records on {topic}"
        for topic in (SITREP_INCIDENTS, INCIDENTS, CASE_EVENTS, SLA_EVENTS):  # for "Topics: retention and sizing"
            count, size = raw_size(kafka_bootstrap, topic)
            print(f"{topic}: {count / len(both.incident_keys):.1f} records and "
                  f"{size / len(both.incident_keys):.0f} bytes per incident")


def raw_size(bootstrap: str, topic: str) -> tuple[int, int]:
    """Records on `topic` and their bytes (key, value and headers), read raw: a sitrep may hold what is not JSON."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        count = size = 0
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for records in consumer.poll(timeout_ms=500).values():
                count += len(records)
                size += sum(len(r.value) + len(r.key or b"") + sum(len(k) + len(v) for k, v in r.headers)
                            for r in records)
        return count, size
    finally:
        consumer.close()
