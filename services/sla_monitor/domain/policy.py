"""The SLA policy: goals and thresholds of each clock, as plain values (loaded by adapters.policy_file)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

OPEN_STAGE_GOALS = ("preliminary", "investigation", "concluded")


@dataclass(frozen=True)
class RecordingPolicy:
    """Measured from the incident's report time: warn, then breach, then escalate; none repeats."""

    warning_days: float = 3
    goal_days: float = 4
    escalate_days: float = 8

    def problems(self) -> list[tuple[str, str]]:
        out = []
        if self.warning_days > self.goal_days:
            out.append(("warning_days", "must not be later than goal_days"))
        if self.escalate_days < self.goal_days:
            out.append(("escalate_days", "must not be earlier than goal_days"))
        return out


@dataclass(frozen=True)
class StallPolicy:
    """Goal per open stage; a breach each goal period, an escalation with breach `escalate_after_breaches`."""

    goal_days: Mapping[str, float] = field(
        default_factory=lambda: {"preliminary": 30, "investigation": 60, "concluded": 30})
    escalate_after_breaches: int = 2

    def problems(self) -> list[tuple[str, str]]:
        missing = [stage for stage in OPEN_STAGE_GOALS if stage not in self.goal_days]
        return [("goal_days", f"missing stage(s): {', '.join(missing)}")] if missing else []


@dataclass(frozen=True)
class RepeatingPolicy:
    """A clock that breaches once per goal period for as long as it runs."""

    goal_days: float

    def problems(self) -> list[tuple[str, str]]:
        return []


@dataclass(frozen=True, init=False)
class Policy:
    """A policy version: the grace, and one section per clock of the registry (its default where none is given).

    `policy.<clock>` reads a clock's section; `Policy(version="2", stall=StallPolicy(...))` replaces one."""

    version: str
    grace_seconds: float  # how far behind `now` a tick looks, for events still in flight
    sections: Mapping[str, Any]

    def __init__(self, version: str = "default", grace_seconds: float = 0,
                 sections: Mapping[str, Any] | None = None, **by_clock: Any):
        from services.sla_monitor.domain.registry import CLOCKS  # the registry declares the sections (and defaults)

        given = {**(sections or {}), **by_clock}
        unknown = set(given) - set(CLOCKS)
        if unknown:
            raise TypeError(f"no clock {sorted(unknown)} in the registry")
        object.__setattr__(self, "version", version)
        object.__setattr__(self, "grace_seconds", grace_seconds)
        object.__setattr__(self, "sections", {name: given.get(name, spec.default) for name, spec in CLOCKS.items()})

    def section(self, clock: str) -> Any:
        return self.sections[clock]

    def __getattr__(self, name: str) -> Any:
        """A clock's section by its name: `policy.recording.goal_days`."""
        try:
            return object.__getattribute__(self, "sections")[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.grace_seconds)


def days(value: float) -> timedelta:
    return timedelta(days=value)
