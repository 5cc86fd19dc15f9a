"""The SLA policy as data: defaults, and the checks whose errors name the key an admin got wrong."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

import pytest

from services.sla_monitor.adapters.policy_file import PolicyError, parse
from services.sla_monitor.domain.policy import Policy, RepeatingPolicy
from services.sla_monitor.domain.registry import CLOCKS

VALID: dict[str, Any] = {
    "version": "2025.2",
    "grace_seconds": 30,
    "recording": {"warning_days": 2, "goal_days": 4, "escalate_days": 10},
    "stall": {"goal_days": {"preliminary": 15, "investigation": 45, "concluded": 20}, "escalate_after_breaches": 3},
    "review": {"goal_days": 60},
    "closure_approval": {"goal_days": 5},
}


def with_change(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    *parents, leaf = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    if value is None:
        del node[leaf]
    else:
        node[leaf] = value
    return data


def test_a_valid_policy_becomes_the_policy_dataclass() -> None:
    policy = parse(VALID)
    assert policy.version == "2025.2"
    assert policy.grace.total_seconds() == 30
    assert policy.recording.escalate_days == 10
    assert dict(policy.stall.goal_days) == {"preliminary": 15, "investigation": 45, "concluded": 20}
    assert policy.stall.escalate_after_breaches == 3
    assert (policy.review.goal_days, policy.closure_approval.goal_days) == (60, 5)


def test_the_built_in_defaults_are_the_documented_ones() -> None:
    policy = Policy()
    assert (policy.recording.warning_days, policy.recording.goal_days, policy.recording.escalate_days) == (3, 4, 8)
    assert dict(policy.stall.goal_days) == {"preliminary": 30, "investigation": 60, "concluded": 30}
    assert policy.stall.escalate_after_breaches == 2
    assert (policy.review.goal_days, policy.closure_approval.goal_days, policy.grace_seconds) == (90, 7, 0)


def test_grace_and_escalate_after_breaches_may_be_left_out() -> None:
    data = with_change("grace_seconds", None)
    del data["stall"]["escalate_after_breaches"]
    policy = parse(data)
    assert (policy.grace_seconds, policy.stall.escalate_after_breaches) == (0, 2)


@pytest.mark.parametrize(("path", "value", "message"), [
    ("version", None, "version: Missing data"),
    ("recording.goal_days", 0, "recording.goal_days: Must be greater than 0"),
    ("recording.warning_days", 5, "recording.warning_days: must not be later than goal_days"),
    ("recording.escalate_days", 3, "recording.escalate_days: must not be earlier than goal_days"),
    ("stall.goal_days", {"preliminary": 1, "investigation": 1}, "stall.goal_days: missing stage(s): concluded"),
    ("stall.goal_days.closed", 3, "stall.goal_days.closed"),
    ("stall.escalate_after_breaches", 0, "stall.escalate_after_breaches: Must be greater than or equal to 1"),
    ("review.goal_days", "ninety", "review.goal_days: Not a valid number"),
    ("review.goal", 90, "review.goal: Unknown field"),
    ("closure_approval.goal_days", None, "closure_approval.goal_days: Missing data"),
    ("grace_seconds", -1, "grace_seconds: Must be greater than or equal to 0"),
])
def test_a_policy_error_names_the_key_at_fault(path: str, value: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=re.escape(message)):
        parse(with_change(path, value))


def test_a_file_without_a_clock_added_later_loads_with_its_defaults_and_says_so(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "services.sla_monitor.adapters.policy_file"):
        policy = parse(with_change("closure_approval", None))
    assert policy.closure_approval == CLOCKS["closure_approval"].default == RepeatingPolicy(7)
    assert policy.review.goal_days == 60  # the sections it has are its own
    assert "no [closure_approval] section" in caplog.text and "2025.2" in caplog.text


def test_every_clock_of_the_registry_has_a_section_with_a_default() -> None:
    assert set(Policy().sections) == set(CLOCKS)
    with pytest.raises(TypeError, match="no clock"):
        Policy(filing={"goal_days": 1})
