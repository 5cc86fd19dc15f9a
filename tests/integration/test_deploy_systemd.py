"""deploy/systemd: the units pass `systemd-analyze verify` (in an image root holding the host's own system units and
an executable where the package goes), are hardened (`systemd-analyze security --offline`), restart a dead worker,
and take their settings from the environment file and their secrets as credentials. That systemd really restarts a
killed worker is tests/system/test_systemd_supervision.py's."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from services.cli.kafka import WORKERS
from services.config import Settings

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
INSTANCES = [f"hrcase-worker@{name}.service" for name in sorted(WORKERS)]
SYSTEM_UNITS = Path("/usr/lib/systemd/system")


def analyze() -> str:
    found = shutil.which("systemd-analyze")
    if not found:
        pytest.fail("systemd-analyze is missing: scripts/test installs the Debian package systemd")
    return found


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive in systemd
    parser.read_string((UNITS / name).read_text())
    return parser


def image(tmp_path: Path, units: dict[str, str]) -> Path:
    """A root as the installation leaves it: the units in /etc/systemd/system, the command in /opt/hrcase."""
    root = tmp_path / "root"
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copytree(SYSTEM_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    command = root / "opt/hrcase/venv/bin/hrcase"
    command.parent.mkdir(parents=True)
    command.write_text("#!/bin/sh\n")
    command.chmod(0o755)
    for name, text in units.items():
        (root / "etc/systemd/system" / name).write_text(text)
    return root


def shipped() -> dict[str, str]:
    return {p.name: p.read_text() for p in UNITS.iterdir() if p.suffix in (".service", ".target")}


def verify(root: Path, *names: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([analyze(), "verify", f"--root={root}", *names], capture_output=True, text=True,
                          timeout=60, check=False, env={**os.environ, "SYSTEMD_LOG_COLOR": "0"})


def test_the_units_pass_systemd_analyze_verify_without_a_warning(tmp_path: Path) -> None:
    result = verify(image(tmp_path, shipped()), *INSTANCES, "hrcase-db-upgrade.service", "hrcase.target")
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_verify_would_catch_a_misspelt_setting(tmp_path: Path) -> None:
    units = shipped()
    units["hrcase-worker@.service"] = units["hrcase-worker@.service"].replace("Restart=on-failure",
                                                                              "Restrat=on-failure")
    result = verify(image(tmp_path, units), "hrcase-worker@intake.service")
    assert "Unknown key 'Restrat'" in result.stdout + result.stderr


@pytest.mark.parametrize("name", ["hrcase-worker@casework.service", "hrcase-db-upgrade.service"])
def test_each_unit_is_hardened(tmp_path: Path, name: str) -> None:
    result = subprocess.run([analyze(), "security", "--offline=yes", f"--root={image(tmp_path, shipped())}",
                             "--threshold=20", name], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    score = float(re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout).group(1))  # type: ignore[union-attr]
    assert score <= 2.0, result.stdout  # systemd calls up to 2.0 "OK"; a unit with no hardening scores 9.6


def test_a_dead_worker_is_restarted_and_runs_unprivileged_with_its_secrets_as_credentials() -> None:
    worker = unit("hrcase-worker@.service")
    service = worker["Service"]
    assert service["Restart"] == "on-failure" and int(service["RestartSec"]) > 0
    assert service["User"] == "hrcase" and service["ExecStart"] == "/opt/hrcase/venv/bin/hrcase worker %i"
    assert service["EnvironmentFile"] == "/etc/hrcase/hrcase.env"
    for name in ("hrcase-worker@.service", "hrcase-db-upgrade.service"):  # production's commands need both
        raw = (UNITS / name).read_text()
        credentials = set(re.findall(r"^LoadCredential=([\w-]+):", raw, re.M))
        named = set(re.findall(r"HRCASE_\w+_FILE=%d/([\w-]+)", raw))
        assert credentials == named == {"identity-key", "database-password"}, name
    assert "hrcase-db-upgrade.service" in worker["Unit"]["After"]
    target = unit("hrcase.target")["Unit"]["Wants"].split()
    assert sorted(target) == INSTANCES  # one unit per worker of `hrcase worker`


def test_the_example_environment_file_makes_a_production_installation_that_does_not_migrate_at_start(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("HRCASE_"):
            monkeypatch.delenv(name)
    for line in (UNITS / "hrcase.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert settings.production and not settings.migrate
    assert settings.database_url and settings.database_url.startswith("postgresql")
    assert make_url(settings.database_url).password is None  # a credential file brings it
