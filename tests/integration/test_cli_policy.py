"""`hrcase policy`: a policy file checked before it is put in place, and the policy in effect beside the versions
the installation's clocks run under, on either layout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet

from services.cli import cli
from services.sla_monitor.adapters.policy_file import default_policy_path
from tests.system.kafka_cluster import fresh_database


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in [n for n in os.environ if n.startswith("HRCASE_") and not n.startswith("HRCASE_TEST_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HRCASE_DATA_DIR", str(tmp_path / "data"))
    return monkeypatch


def hrcase(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def policy_file(tmp_path: Path, version: str, goal: str = "4") -> Path:
    text = default_policy_path().read_text().replace('version = "2024.1"', f'version = "{version}"')
    path = tmp_path / f"policy-{version}.toml"
    path.write_text(text.replace("goal_days = 4 ", f"goal_days = {goal} "))
    return path


def test_a_policy_file_is_checked_as_the_monitor_would_read_it(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    good = hrcase("policy", "check", str(policy_file(tmp_path, "2025.1", goal="5")))
    assert good.exit_code == 0, good.output
    assert "SLA policy 2025.1" in good.output and "goal_days 5" in good.output and "valid" in good.output
    bad = hrcase("policy", "check", str(policy_file(tmp_path, "2025.2", goal="-1")))
    assert bad.exit_code == 1
    assert "policy file" in bad.output and "recording" in bad.output and "valid:" not in bad.output


def test_policy_show_names_the_versions_the_clocks_run_under_and_a_difference(env: pytest.MonkeyPatch,
                                                                              tmp_path: Path) -> None:
    assert hrcase("demo", "--data-dir", str(tmp_path / "data")).exit_code == 0
    shown = hrcase("policy", "show")
    assert shown.exit_code == 0, shown.output
    assert "SLA policy 2024.1 (the shipped default" in shown.output
    running = [line for line in shown.output.splitlines() if "running clocks scheduled under 2024.1" in line]
    assert running and "not the policy above" not in running[0]
    env.setenv("HRCASE_SLA_POLICY", str(policy_file(tmp_path, "2025.1")))
    changed = hrcase("policy", "show").output
    assert "SLA policy 2025.1" in changed
    assert "scheduled under 2024.1 (not the policy above: the monitor moves them to it" in changed


@pytest.mark.postgres
def test_policy_show_reads_the_monitors_schema_on_production(env: pytest.MonkeyPatch, postgres_url: str) -> None:
    with fresh_database(postgres_url) as url:
        env.setenv("HRCASE_ENV", "production")
        env.setenv("HRCASE_IDENTITY_KEY", Fernet.generate_key().decode())
        env.setenv("HRCASE_DATABASE_URL", url)
        before = hrcase("policy", "show")
        assert before.exit_code == 1 and "hrcase db upgrade" in before.output
        assert hrcase("db", "upgrade").exit_code == 0
        after = hrcase("policy", "show")
        assert after.exit_code == 0, after.output
        assert "no running clock in this installation" in after.output
