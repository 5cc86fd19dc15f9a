"""The monitor's schedules as casework keeps them: what a case shows and is sorted by (no rule is computed here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SLA_STATES = ("overdue", "due_soon", "on_track", "paused", "none")
FIELDS = ("case_id", "clock", "episode", "state", "started_at", "due_at", "warn_at", "escalate_at", "paused_until",
          "stopped_at", "outcome", "policy_version")


@dataclass(frozen=True)
class Schedule:
    """The latest `SlaScheduled` of one clock of one case."""

    case_id: str
    clock: str
    episode: str
    state: str  # running | paused | stopped
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    escalate_at: datetime | None
    paused_until: datetime | None
    stopped_at: datetime | None
    outcome: str | None  # met | missed, once stopped
    policy_version: str

    @property
    def running(self) -> bool:
        return self.state != "stopped"


def from_event(payload: Mapping[str, Any]) -> Schedule:
    """An `SlaScheduled` payload (as loaded by its schema)."""
    values: dict[str, Any] = {name: payload.get(name) for name in FIELDS}
    return Schedule(**values)


def running(schedules: Iterable[Schedule]) -> list[Schedule]:
    """A case's running clocks, soonest due first."""
    return sorted((s for s in schedules if s.running), key=lambda s: (s.due_at, s.clock))


def next_deadline(schedules: Iterable[Schedule]) -> Schedule | None:
    return next(iter(running(schedules)), None)


def sla_state(schedule: Schedule | None, now: datetime) -> str:
    """As the monitor published it: overdue from the due instant on (the instant its breach fires), paused until
    the pause ends, due soon from `warn_at`."""
    if schedule is None or not schedule.running:
        return "none"
    if now >= schedule.due_at:
        return "overdue"
    if schedule.paused_until is not None and now < schedule.paused_until:
        return "paused"
    return "due_soon" if now >= schedule.warn_at else "on_track"
