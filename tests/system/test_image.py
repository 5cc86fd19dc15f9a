"""The image, built here with deploy/image/build.sh (podman, a Debian base from mmdebstrap, nothing pulled), runs the
three workers as containers, non-root on a read-only root filesystem, against the test broker and PostgreSQL."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from schemas.topics import CASE_EVENTS, INTAKE_REJECTED, SLA_EVENTS
from services.vault import DEV_KEY_FILE
from tests.ports import free_port
from tests.system.containers import build, podman
from tests.system.kafka_cluster import Stack, kafka_stack, publish, wait_for, write_workload

USER = "10001:10001"  # the Dockerfile's hrcase user, given explicitly as an orchestrator would
INCIDENTS = 12


@pytest.fixture(scope="module")
def image() -> str:
    """The image of these sources: built on the first run of the day (base and image, ~3.5 min), reused after."""
    return build()


@dataclass
class Container:
    """One `hrcase worker SERVICE` container on the host's network, its /health on `port`."""

    name: str
    service: str
    port: int

    def get(self, path: str) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2.0) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    def healthy(self) -> bool:
        state = podman("inspect", "--format", "{{.State.Status}}", self.name).stdout.strip()
        if state != "running":
            raise AssertionError(f"container {self.name} is {state}:\n{self.logs()}")
        try:
            return self.get("/health") == 200
        except OSError:  # not listening yet
            return False

    def logs(self, lines: int = 60) -> str:
        result = podman("logs", "--tail", str(lines), self.name, check=False)
        return result.stdout + result.stderr


@contextmanager
def workers(image: str, stack: Stack, key: str) -> Iterator[list[Container]]:
    """Topics and schemas made, then the three workers run, all as containers: read-only root, non-root, writable
    only the data dir's tmpfs and /tmp."""
    run = uuid.uuid4().hex[:8]
    env = {"HRCASE_ENV": "production", "HRCASE_DATABASE_URL": stack.database_url,
           "HRCASE_KAFKA_BOOTSTRAP": stack.bootstrap, "HRCASE_IDENTITY_KEY": key, "HRCASE_MIGRATE": "no"}

    def options(**more: str) -> list[str]:
        return ["--read-only", "--user", USER, "--network", "host", "--tmpfs", "/var/lib/hrcase:rw,mode=0750,U",
                *(f"--env={k}={v}" for k, v in {**env, **more}.items())]

    # One-shot containers as the runbook's steps 5 and 6 (Kubernetes' Jobs): the workers then only check the schemas.
    podman("run", "--rm", *options(), image, "topics", "create", timeout=120)
    podman("run", "--rm", *options(), image, "db", "upgrade", timeout=120)
    containers: list[Container] = []
    try:
        for service in ("intake", "casework", "sla-monitor"):
            container = Container(f"hrcase-test-{run}-{service}", service, free_port())
            podman("run", "--detach", "--name", container.name, *options(HRCASE_API_PORT=str(free_port())),
                   image, "worker", service, "--web-port", str(container.port))
            containers.append(container)
        yield containers
    except BaseException:
        for container in containers:
            print(f"----- {container.name} (last lines) -----\n{container.logs()}")
        raise
    finally:
        for container in containers:
            podman("stop", "--time", "20", container.name, timeout=60, check=False)
            podman("rm", "--force", container.name, timeout=60, check=False)


@pytest.mark.image
@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(900)  # the slowest system test: a cold build (base and image) takes 3.5-4 min of it
def test_the_image_runs_the_three_workers_read_only_as_non_root_and_they_register_cases_and_emit_breaches(
        image: str, kafka_bootstrap: str, postgres_url: str, tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    # The publisher runs here, the workers in containers: one identity key, the publisher's as its dev key.
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / DEV_KEY_FILE).write_text(key + "\n")
    # Reported 5 to 25 days ago: each recording clock's warning (3 days) and breach (4 days) are due at once.
    workload = write_workload(tmp_path / "sitrep.jsonl", INCIDENTS, datetime.now(UTC) - timedelta(days=5), bad_each=1)
    waited = time.monotonic()
    with kafka_stack(kafka_bootstrap, postgres_url, tmp_path) as stack, workers(image, stack, key) as containers:
        began = time.monotonic()
        print(f"waited {began - waited:.0f} s for the topics' turn (other runs' tests hold it) and a fresh start")
        for container in containers:
            wait_for(container.healthy, 120, f"{container.service} container's /health")
        publish(stack, workload)

        wait_for(lambda: stack.scalar("select count(*) from casework.cases") == INCIDENTS, 120,
                 f"{INCIDENTS} cases", lambda: f"{stack.scalar('select count(*) from casework.cases')} cases")
        wait_for(lambda: len(breached(stack)) == INCIDENTS, 120, "a recording breach for every case",
                 lambda: f"{len(breached(stack))} breached")
        wait_for(lambda: len(stack.reader(INTAKE_REJECTED).envelopes()) >= len(workload.bad_lines), 60,
                 "the dead letters")

        registered = {e["payload"]["case_id"] for e in stack.reader(CASE_EVENTS).envelopes()
                      if e["type"] == "CaseRegistered"}
        assert registered == breached(stack) and len(registered) == INCIDENTS
        for container in containers:
            assert container.get("/health") == 200, container.service
            inspected = podman("inspect", "--format", "{{.HostConfig.ReadonlyRootfs}} {{.Config.User}}",
                               container.name).stdout.split()
            assert inspected == ["true", USER], container.name
            denied = podman("exec", container.name, "touch", "/usr/local/lib/written", check=False)
            assert denied.returncode != 0 and "Read-only file system" in denied.stderr, container.name
        print(f"the containers made {INCIDENTS} cases and their breaches in {time.monotonic() - began:.0f} s")


def breached(stack: Stack) -> set[str]:
    """The cases whose recording clock's breach is on sla-events."""
    return {e["payload"]["case_id"] for e in stack.reader(SLA_EVENTS).envelopes()
            if e["type"] == "SlaBreached" and e["payload"]["clock"] == "recording"}
