"""The SLA policy: goals and thresholds of each clock, as plain values (loaded by adapters.policy_file)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True)
class RecordingPolicy:
    """Measured from the incident's report time: warn, then breach, then escalate; none repeats."""

    warning_days: float = 3
    goal_days: float = 4
    escalate_days: float = 8


@dataclass(frozen=True)
class StallPolicy:
    """Goal per open stage; a breach each goal period, an escalation with breach `escalate_after_breaches`."""

    goal_days: Mapping[str, float] = field(
        default_factory=lambda: {"preliminary": 30, "investigation": 60, "concluded": 30})
    escalate_after_breaches: int = 2


@dataclass(frozen=True)
class RepeatingPolicy:
    """A clock that breaches once per goal period for as long as it runs."""

    goal_days: float


@dataclass(frozen=True)
class Policy:
    version: str = "default"
    grace_seconds: float = 0  # how far behind `now` a tick looks, for events still in flight
    recording: RecordingPolicy = field(default_factory=RecordingPolicy)
    stall: StallPolicy = field(default_factory=StallPolicy)
    review: RepeatingPolicy = field(default_factory=lambda: RepeatingPolicy(90))
    closure_approval: RepeatingPolicy = field(default_factory=lambda: RepeatingPolicy(7))

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.grace_seconds)


def days(value: float) -> timedelta:
    return timedelta(days=value)
