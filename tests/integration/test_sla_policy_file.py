"""The policy file on disk: the shipped default, an admin's own file, and errors that name file and key."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from services.sla_monitor.adapters.policy_file import PolicyError, default_policy_path, load
from services.sla_monitor.domain.policy import Policy

DOC = Path(__file__).resolve().parents[2] / "docs" / "sla-policy.md"


def test_the_shipped_default_file_holds_the_default_policy() -> None:
    policy = load()
    assert policy.version
    assert replace(policy, version="default") == Policy()


def test_an_admin_file_given_by_path_replaces_the_default(tmp_path: Path) -> None:
    text = default_policy_path().read_text().replace('version = "2024.1"', 'version = "mopti-pilot"')
    text = text.replace("investigation = 60", "investigation = 45")
    path = tmp_path / "policy.toml"
    path.write_text(text)
    policy = load(path)
    assert (policy.version, policy.stall.goal_days["investigation"]) == ("mopti-pilot", 45)


def test_an_error_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(default_policy_path().read_text().replace("goal_days = 7", "goal_days = -7"))
    with pytest.raises(PolicyError, match=r"policy\.toml: closure_approval\.goal_days: Must be greater than 0"):
        load(path)


def test_a_file_that_is_not_toml_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("version = \n")
    with pytest.raises(PolicyError, match=r"policy\.toml: not valid TOML"):
        load(path)


def test_a_missing_file_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"nowhere\.toml: cannot read it"):
        load(tmp_path / "nowhere.toml")


def test_the_policy_guide_shows_the_default_file_as_shipped() -> None:
    assert default_policy_path().read_text() in DOC.read_text()
