"""A broker and a PostgreSQL server of a test's own, started by the project's scripts on other ports and homes, for
tests that stop them (outages): the shared servers are never stopped."""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.ports import free_port
from tests.system.kafka_cluster import REPO

KAFKA_SH = REPO / "deploy" / "kafka" / "kafka.sh"
POSTGRES_SH = REPO / "deploy" / "postgres" / "postgres.sh"


@dataclass
class PrivateServer:
    """One server run by its deploy script with an environment of its own (home and ports)."""

    script: Path
    env: dict[str, str]

    def run(self, command: str, timeout: float = 180.0) -> str:
        result = subprocess.run([str(self.script), command], env=self.env, capture_output=True, text=True,
                                timeout=timeout, check=False)
        assert result.returncode == 0, f"{self.script.name} {command} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout.strip()

    def start(self) -> None:
        self.run("start")

    def stop(self) -> None:
        self.run("stop")


def private_kafka(home: Path) -> tuple[PrivateServer, str]:
    """A single-node broker in `home` (stopped by the caller); the shared broker's jars are reused when present."""
    home.mkdir(parents=True, exist_ok=True)
    shared = Path(os.environ.get("HRCASE_KAFKA_HOME")
                  or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hrcase" / "kafka")
    if (shared / "libs" / ".hrcase-fetched").exists() and not (home / "libs").exists():
        (home / "libs").symlink_to(shared / "libs")  # read-only use: a fetch would need Maven and minutes
    port, controller = free_port(), free_port()
    while controller == port:
        controller = free_port()
    env = {**os.environ, "HRCASE_KAFKA_HOME": str(home), "HRCASE_KAFKA_PORT": str(port),
           "HRCASE_KAFKA_CONTROLLER_PORT": str(controller), "HRCASE_KAFKA_HEAP_OPTS": "-Xmx256m -Xms128m"}
    return PrivateServer(KAFKA_SH, env), f"127.0.0.1:{port}"


def private_postgres() -> tuple[PrivateServer, Path]:
    """A PostgreSQL cluster in a new directory under the system's temp dir (the caller stops it and removes the
    directory; its URL is `server.run("url")`)."""
    # As root the cluster runs as `postgres`, which must be able to enter its home: pytest's tmp (0700) will not do.
    top = Path(tempfile.mkdtemp(prefix="hrcase-test-pg-"))
    top.chmod(0o755)
    env = {**os.environ, "HRCASE_PG_HOME": str(top / "pg"), "HRCASE_PG_PORT": str(free_port())}
    return PrivateServer(POSTGRES_SH, env), top
