"""A worker's probes through a broker outage and a database outage: readiness fails, liveness never does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ports import free_port
from tests.system.kafka_cluster import REPO, Worker, hrcase, wait_for
from tests.system.private_servers import PrivateServer, private_kafka, private_postgres


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[PrivateServer, str, PrivateServer, str]]:
    """A broker and a PostgreSQL of the test's own: stopping them troubles nobody else."""
    kafka, bootstrap = private_kafka(tmp_path / "kafka")
    postgres, pg_top = private_postgres()
    try:
        kafka.start()
        postgres.start()
        yield kafka, bootstrap, postgres, postgres.run("url")
    finally:
        kafka.stop()
        postgres.stop()
        shutil.rmtree(pg_top, ignore_errors=True)


def probe(worker: Worker, path: str) -> tuple[int, dict[str, Any]]:
    status, body = worker.get(path, timeout=8.0)
    return status, json.loads(body)


class Probes:
    """Polls readiness until it reaches a state, asking liveness at every turn: it must answer 200 throughout."""

    def __init__(self, worker: Worker):
        self.worker = worker
        self.last: dict[str, Any] = {}
        self.live_answers = 0

    def ready_is(self, status: int, failing: str | None = None) -> bool:
        live, body = probe(self.worker, "/health/live")
        assert live == 200 and body["status"] == "live", f"liveness answered {live}: {body}"
        self.live_answers += 1
        got, self.last = probe(self.worker, "/health/ready")
        if failing is not None and got == 503:
            return self.last["checks"][failing] != "ok"
        return got == status

    def hold(self, seconds: float, failing: str) -> None:
        """Readiness stays failing, and liveness answering, for `seconds` (an outage is not over in one probe)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.ready_is(503, failing), f"readiness recovered in the outage: {self.last}"
            time.sleep(0.5)


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_a_broker_outage_and_a_database_outage_each_fail_readiness_and_never_liveness(
        servers: tuple[PrivateServer, str, PrivateServer, str], tmp_path: Path) -> None:
    kafka, bootstrap, postgres, url = servers
    env = {k: v for k, v in os.environ.items() if not k.startswith("HRCASE_")}
    env.update(HRCASE_DATABASE_URL=url, HRCASE_KAFKA_BOOTSTRAP=bootstrap, HRCASE_DATA_DIR=str(tmp_path / "data"),
               PYTHONUNBUFFERED="1")
    subprocess.run(hrcase("topics", "create"), cwd=REPO, env=env, check=True, capture_output=True, timeout=120)
    worker = Worker("intake", free_port(), env, tmp_path / "worker-intake.log").start()
    try:
        wait_for(lambda: worker.healthy("/health/started"), 90, "the worker to join its group")
        probes = Probes(worker)
        wait_for(lambda: probes.ready_is(200), 30, "readiness", lambda: str(probes.last))
        assert probes.last["checks"] == {"database": "ok", "broker": "ok", "partitions": "ok"}

        kafka.stop()
        try:
            wait_for(lambda: probes.ready_is(503, failing="broker"), 30, "readiness to fail with the broker",
                     lambda: str(probes.last))
            probes.hold(3.0, "broker")
            print(f"broker down: {probes.last}")
        finally:
            kafka.start()
        wait_for(lambda: probes.ready_is(200), 90, "readiness after the broker came back", lambda: str(probes.last))

        postgres.stop()
        try:
            wait_for(lambda: probes.ready_is(503, failing="database"), 30, "readiness to fail with the database",
                     lambda: str(probes.last))
            probes.hold(3.0, "database")
            print(f"database down: {probes.last}")
            assert probes.last["checks"]["broker"] == "ok"
        finally:
            postgres.start()
        wait_for(lambda: probes.ready_is(200), 60, "readiness after the database came back", lambda: str(probes.last))
        assert worker.alive, "the worker died in an outage"
        print(f"liveness answered 200 all {probes.live_answers} times it was asked")
    except BaseException:
        print(worker.tail())
        raise
    finally:
        worker.stop()
