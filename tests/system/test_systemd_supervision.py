"""systemd, as the init of a host, supervises the workers of deploy/systemd: a worker killed with SIGKILL is started
again and becomes ready, one stopped with `systemctl stop` stays stopped.

The host is a container (deploy/systemd/Containerfile, built by `deploy/image/build.sh systemd`) whose PID 1 is
Debian's systemd, on the host's network, against the test broker and PostgreSQL; podman's defaults, not privileged:
the units' hardening still applies, as systemd first gives each worker a user namespace of its own (PrivateUsers)
in which it may make the others. The units, the environment file and the credentials are installed in it with the
commands of docs/operations.md."""

from __future__ import annotations

import shlex
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
from sqlalchemy.engine import make_url

from services.vault import DEV_KEY_FILE
from tests.ports import free_port
from tests.system.containers import build, podman
from tests.system.kafka_cluster import REPO, Stack, kafka_stack, publish, wait_for, write_workload

UNITS = REPO / "deploy" / "systemd"
POLICY = REPO / "services" / "sla_monitor" / "default_policy.toml"
CHECKOUT = "/srv/hrcase"  # where the host has the checkout's files that docs/operations.md's commands name
SERVICES = {"intake": "intake", "casework": "casework", "sla-monitor": "sla_monitor"}  # instance: settings' name
INCIDENTS = 6


@pytest.fixture(scope="module")
def host_image() -> str:
    """The systemd host of these sources: built on the first run of the day (~3.5 min with the base), reused after."""
    return build("systemd")


@dataclass
class Host:
    """The container whose init is systemd; `ports` are the workers' /health ports, by unit instance."""

    name: str
    ports: dict[str, int]

    def run(self, *command: str, timeout: float = 120.0, check: bool = True) -> str:
        result = podman("exec", self.name, *command, timeout=timeout, check=False)
        assert not check or result.returncode == 0, \
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def sh(self, script: str, timeout: float = 120.0) -> str:
        return self.run("sh", "-euc", script, timeout=timeout)

    def show(self, unit: str) -> dict[str, str]:
        """What systemd says of a unit: its state, main process, restarts and the result of its last run."""
        out = self.run("systemctl", "show", unit, "-p", "ActiveState,SubState,MainPID,NRestarts,Result,"
                       "ExecMainStatus,ExecMainCode")
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def journal(self, unit: str) -> str:
        return self.run("journalctl", "--no-pager", "-o", "cat", "-u", unit, check=False)

    def answers(self, instance: str, path: str) -> int | None:
        """The status of the worker's `path`, or None while nothing listens on its port."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[instance]}{path}", timeout=2.0) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:  # not listening (yet, or any more)
            return None

    def ready(self, instance: str) -> bool:
        return self.answers(instance, "/health/ready") == 200


@contextmanager
def systemd_host(image: str) -> Iterator[Host]:
    """The container booted to systemd's default target; stopped as systemd is (SIGRTMIN+3), then removed."""
    host = Host(f"hrcase-systemd-{uuid.uuid4().hex[:8]}", {instance: free_port() for instance in SERVICES})
    podman("run", "--detach", "--name", host.name, "--systemd=always", "--network", "host",
           "--hostname", host.name, image, "/lib/systemd/systemd")
    try:
        # `degraded`: a unit of the base failed that a container cannot run; the journal then says which.
        wait_for(lambda: host.run("systemctl", "is-system-running", check=False).strip() in ("running", "degraded"),
                 120, "systemd to finish booting", lambda: host.run("systemctl", "is-system-running", check=False))
        yield host
    except BaseException:
        print(f"----- {host.name}: failed units -----\n{host.run('systemctl', '--failed', '--no-pager', check=False)}")
        for unit in [*(f"hrcase-worker@{instance}" for instance in SERVICES), "hrcase-db-upgrade"]:
            print(f"----- journal of {unit} -----\n{host.journal(unit)[-4000:]}")
        raise
    finally:
        podman("stop", "--time", "60", host.name, timeout=120, check=False)
        podman("rm", "--force", host.name, timeout=60, check=False)


def install(host: Host, stack: Stack) -> str:
    """docs/operations.md's steps, run in the host: settings, secrets, units, topics. Returns the identity key."""
    url = make_url(stack.database_url)
    without_password = url.set(password=None).render_as_string()  # the password is a credential
    web = ", ".join(f"{SERVICES[instance]} = {port}" for instance, port in host.ports.items())
    # What the commands take from a checkout of hrcase: the units and their settings, the shipped SLA policy.
    host.run("mkdir", "-p", f"{CHECKOUT}/deploy", f"{CHECKOUT}/services/sla_monitor")
    podman("cp", str(UNITS), f"{host.name}:{CHECKOUT}/deploy/systemd")
    podman("cp", str(POLICY), f"{host.name}:{CHECKOUT}/services/sla_monitor/default_policy.toml")
    host.sh(f"""
        cd {CHECKOUT}
        install -d -m 0750 -g hrcase /etc/hrcase && install -d -m 0700 /etc/hrcase/credentials
        install -m 0640 -g hrcase deploy/systemd/hrcase.env.example /etc/hrcase/hrcase.env
        install -m 0640 -g hrcase services/sla_monitor/default_policy.toml /etc/hrcase/sla-policy.toml
        /opt/hrcase/venv/bin/hrcase api keygen > /etc/hrcase/credentials/identity-key
        printf %s {shlex.quote(str(url.password))} > /etc/hrcase/credentials/database-password
        chmod 0600 /etc/hrcase/credentials/*
        cp deploy/systemd/*.service deploy/systemd/*.target /etc/systemd/system/
        systemctl daemon-reload
        # The edits an operator makes: this test's database and broker, ports free on the shared network.
        printf '[web]\\nports = {{ {web} }}\\n' > /etc/hrcase/hrcase.toml
        sed -i -e {shlex.quote(f's|^HRCASE_DATABASE_URL=.*|HRCASE_DATABASE_URL={without_password}|')} \\
            -e 's|^HRCASE_KAFKA_BOOTSTRAP=.*|HRCASE_KAFKA_BOOTSTRAP={stack.bootstrap}|' /etc/hrcase/hrcase.env
        printf 'HRCASE_CONFIG=/etc/hrcase/hrcase.toml\\nHRCASE_API_PORT={free_port()}\\n' >> /etc/hrcase/hrcase.env
        HRCASE_KAFKA_BOOTSTRAP={stack.bootstrap} /opt/hrcase/venv/bin/hrcase topics create
    """)
    return host.run("cat", "/etc/hrcase/credentials/identity-key").strip()


def main_pid(host: Host, unit: str) -> int:
    return int(host.show(unit)["MainPID"])


def assert_sandboxed(host: Host, pid: int) -> None:
    """The worker runs as the unit says even in a container: user hrcase, in a user namespace of its own that maps
    only root and hrcase (PrivateUsers), on a read-only root (ProtectSystem=strict)."""
    assert host.run("stat", "-c", "%U", f"/proc/{pid}").strip() == "hrcase"
    mapped = [line.split() for line in host.run("cat", f"/proc/{pid}/uid_map").splitlines()]
    assert len(mapped) == 2 and all(length == "1" for *_, length in mapped), mapped
    root = [line.split() for line in host.run("cat", f"/proc/{pid}/mountinfo").splitlines() if line.split()[4] == "/"]
    assert "ro" in root[-1][5].split(","), root


def kill_and_wait_for_the_restart(host: Host, unit: str, restarts: int) -> int:
    """SIGKILL the unit's main process; wait until systemd has started a new one, the `restarts`-th; its pid."""
    killed = main_pid(host, unit)
    assert killed > 0, host.show(unit)
    host.sh(f"kill -KILL {killed}")  # as the kernel's OOM killer or an operator would: no goodbye
    wait_for(lambda: host.show(unit)["NRestarts"] == str(restarts) and host.show(unit)["ActiveState"] == "active",
             60, f"systemd to start {unit} again", lambda: str(host.show(unit)))
    started = main_pid(host, unit)
    assert started not in (0, killed)
    return started


@pytest.mark.image
@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(900)  # a cold build of the base and the host takes ~4 min of it
def test_systemd_restarts_a_killed_worker_leaves_a_stopped_one_stopped_and_gives_up_on_one_that_keeps_dying(
        host_image: str, kafka_bootstrap: str, postgres_url: str, tmp_path: Path) -> None:
    with kafka_stack(kafka_bootstrap, postgres_url, tmp_path) as stack, systemd_host(host_image) as host:
        key = install(host, stack)
        host.run("systemctl", "enable", "--now", "hrcase.target", timeout=300)  # migrations, then the workers
        assert host.show("hrcase-db-upgrade.service")["Result"] == "success"
        for instance in SERVICES:
            wait_for(lambda i=instance: host.ready(i), 120, f"{instance} /health/ready",  # type: ignore[misc]
                     lambda i=instance: str(host.show(f"hrcase-worker@{i}")))  # type: ignore[misc]

        casework = "hrcase-worker@casework.service"
        assert host.show(casework)["NRestarts"] == "0"
        assert_sandboxed(host, main_pid(host, casework))
        killed_at = time.monotonic()
        kill_and_wait_for_the_restart(host, casework, 1)
        restarted_at = time.monotonic()
        journal = host.journal(casework)
        assert "Main process exited, code=killed, status=9/KILL" in journal, journal[-3000:]
        assert "Scheduled restart job, restart counter is at 1" in journal, journal[-3000:]
        wait_for(lambda: host.ready("casework"), 120, "the new casework worker's /health/ready",
                 lambda: str(host.show(casework)))
        print(f"casework killed: a new process {restarted_at - killed_at:.1f} s later (RestartSec=5), "
              f"ready {time.monotonic() - killed_at:.1f} s after the kill")

        # The restarted worker does its work: incidents published now become cases.
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / DEV_KEY_FILE).write_text(key + "\n")
        publish(stack, write_workload(tmp_path / "sitrep.jsonl", INCIDENTS, datetime.now(UTC) - timedelta(days=1),
                                      bad_each=0))
        wait_for(lambda: stack.scalar("select count(*) from casework.cases") == INCIDENTS, 120, f"{INCIDENTS} cases",
                 lambda: f"{stack.scalar('select count(*) from casework.cases')} cases")

        intake = "hrcase-worker@intake.service"
        host.run("systemctl", "stop", intake, timeout=120)  # returns once the worker has exited
        stopped = host.show(intake)
        # A restart would be scheduled the moment the process exits (SubState auto-restart): none is.
        assert (stopped["ActiveState"], stopped["SubState"], stopped["NRestarts"]) == ("inactive", "dead", "0"), stopped
        assert stopped["Result"] == "success", stopped  # SIGTERM ends the worker cleanly
        assert host.answers("intake", "/health/live") is None
        assert "Scheduled restart job" not in host.journal(intake)
        assert host.show(casework)["ActiveState"] == "active"

        # A worker that keeps dying is given up on: 5 starts in 10 minutes (StartLimitBurst), then no more.
        monitor = "hrcase-worker@sla-monitor.service"
        for restart in range(1, 5):
            kill_and_wait_for_the_restart(host, monitor, restart)
        host.sh(f"kill -KILL {main_pid(host, monitor)}")
        wait_for(lambda: host.show(monitor)["ActiveState"] == "failed", 60, "systemd to give up on the monitor",
                 lambda: str(host.show(monitor)))
        given_up = host.show(monitor)
        assert (given_up["SubState"], given_up["MainPID"], given_up["NRestarts"]) == ("failed", "0", "5"), given_up
        journal = host.journal(monitor)
        assert "Start request repeated too quickly." in journal, journal[-3000:]
