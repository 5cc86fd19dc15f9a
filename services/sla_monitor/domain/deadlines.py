"""When each clock's next warning, breach or escalation falls due under a policy, and who receives it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from services.sla_monitor.domain.policy import Policy, days

if TYPE_CHECKING:
    from services.sla_monitor.domain.clocks import Clock

RANK = {"warning": 0, "breach": 1, "escalation": 2}  # at the same instant a breach precedes its escalation
BREACH_RECIPIENT = {"recording": "team_leader", "stall": "team_leader", "review": "team_leader",
                    "closure_approval": "director"}


class Deadline(NamedTuple):
    """Ordered as a tuple, by due then rank: made and compared at a fraction of a dataclass's cost (a tick makes
    several per clock)."""

    due: datetime
    rank: int
    level: str
    period: int  # goal periods elapsed when it fires: 0 for the recording warning


def at(due: datetime, level: str, period: int) -> Deadline:
    return Deadline(due, RANK[level], level, period)


def next_deadline(clock: Clock, policy: Policy) -> Deadline | None:
    """The earliest threshold this clock has not yet crossed, or None if none is left."""
    return min(_SCHEDULES[clock.name](clock, policy), default=None)


def recipient(clock: Clock, level: str) -> str:
    if level == "warning":
        return "hro" if clock.assignee else "team_leader"
    if level == "escalation":
        return "director"
    return BREACH_RECIPIENT[clock.name]


def highest_level(clock: Clock) -> str | None:
    """The most serious level this episode reached: its clear goes to that level's recipient."""
    if clock.escalated:
        return "escalation"
    if clock.periods_fired:
        return "breach"
    return "warning" if clock.warned else None


def _recording(clock: Clock, policy: Policy) -> list[Deadline]:
    r, start = policy.recording, clock.started_at
    out = []
    if clock.periods_fired == 0:
        if not clock.warned:
            out.append(at(start + days(r.warning_days), "warning", 0))
        out.append(at(start + days(r.goal_days), "breach", 1))
    if not clock.escalated:
        out.append(at(start + days(r.escalate_days), "escalation", 1))
    return out


def _stall(clock: Clock, policy: Policy) -> list[Deadline]:
    goal = policy.stall.goal_days.get(clock.stage)
    if goal is None:
        return []

    def end_of(period: int) -> datetime:
        return clock.started_at + days(goal) * period + clock.pause_shift

    k = clock.periods_fired + 1
    out = [at(end_of(k), "breach", k)]
    if not clock.escalated:
        # Normally period n's breach and escalation fall together; max() only matters after a policy change.
        n = max(policy.stall.escalate_after_breaches, clock.periods_fired)
        out.append(at(end_of(n), "escalation", n))
    return out


def _repeating(pick: Callable[[Policy], float]) -> Callable[[Clock, Policy], list[Deadline]]:
    def schedule(clock: Clock, policy: Policy) -> list[Deadline]:
        k = clock.periods_fired + 1
        return [at(clock.started_at + days(pick(policy)) * k, "breach", k)]

    return schedule


_SCHEDULES: dict[str, Callable[[Clock, Policy], list[Deadline]]] = {
    "recording": _recording,
    "stall": _stall,
    "review": _repeating(lambda p: p.review.goal_days),
    "closure_approval": _repeating(lambda p: p.closure_approval.goal_days),
}
