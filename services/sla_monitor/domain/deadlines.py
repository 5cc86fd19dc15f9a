"""When a clock's warnings, breaches and escalations fall due, and the one rule of "on time"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from services.sla_monitor.domain.policy import RecordingPolicy, RepeatingPolicy, StallPolicy, days

if TYPE_CHECKING:
    from services.sla_monitor.domain.clocks import Clock

RANK = {"warning": 0, "breach": 1, "escalation": 2}  # at the same instant a breach precedes its escalation


def crossed(due: datetime, t: datetime) -> bool:
    """A threshold is crossed at its due instant: at `due` the clock is already late (the monitor fires then)."""
    return due <= t


def met(stopped_at: datetime, due: datetime) -> bool:
    """On time: a clock meets its goal iff it stops strictly before its due instant (the same rule as `crossed`)."""
    return not crossed(due, stopped_at)


class Deadline(NamedTuple):
    """Ordered as a tuple, by due then rank: made and compared at a fraction of a dataclass's cost (a tick makes
    several per clock)."""

    due: datetime
    rank: int
    level: str
    period: int  # goal periods elapsed when it fires: 0 for the recording warning


Schedule = Callable[["Clock", Any], list[Deadline]]  # a clock and its policy section -> thresholds not yet crossed


def at(due: datetime, level: str, period: int) -> Deadline:
    return Deadline(due, RANK[level], level, period)


def highest_level(clock: Clock) -> str | None:
    """The most serious level this episode reached: its clear goes to that level's recipient."""
    if clock.escalated:
        return "escalation"
    if clock.periods_fired:
        return "breach"
    return "warning" if clock.warned else None


def warn_then_breach_then_escalate(clock: Clock, r: RecordingPolicy) -> list[Deadline]:
    start = clock.started_at
    out = []
    if clock.periods_fired == 0:
        if not clock.warned:
            out.append(at(start + days(r.warning_days), "warning", 0))
        out.append(at(start + days(r.goal_days), "breach", 1))
    if not clock.escalated:
        out.append(at(start + days(r.escalate_days), "escalation", 1))
    return out


def per_stage_periods(clock: Clock, s: StallPolicy) -> list[Deadline]:
    goal = s.goal_days.get(clock.stage)
    if goal is None:
        return []

    def end_of(period: int) -> datetime:
        return clock.started_at + days(goal) * period + clock.pause_shift

    k = clock.periods_fired + 1
    out = [at(end_of(k), "breach", k)]
    if not clock.escalated:
        # Normally period n's breach and escalation fall together; max() only matters after a policy change.
        n = max(s.escalate_after_breaches, clock.periods_fired)
        out.append(at(end_of(n), "escalation", n))
    return out


def repeating(clock: Clock, r: RepeatingPolicy) -> list[Deadline]:
    k = clock.periods_fired + 1
    return [at(clock.started_at + days(r.goal_days) * k + clock.pause_shift, "breach", k)]
