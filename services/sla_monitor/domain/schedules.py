"""A clock's schedule as the monitor publishes it (`SlaScheduled`): when it is due, due soon, escalated, paused."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from services.sla_monitor.domain.deadlines import met
from services.sla_monitor.domain.events import event_id
from services.sla_monitor.domain.policy import Policy
from services.sla_monitor.domain.registry import CLOCKS

if TYPE_CHECKING:
    from services.sla_monitor.domain.clocks import Clock

TYPE = "SlaScheduled"
VERSION = 2  # schedules travel in batches (ADR 16); version 1 carried one


@dataclass(frozen=True)
class Schedule:
    case_id: str
    clock: str
    episode: str
    reference: str
    office: str
    stage: str
    assignee: str | None
    started_at: datetime
    state: str  # running | paused | stopped
    due_at: datetime  # the goal: the episode's first breach, moved by pauses, never by a breach firing
    warn_at: datetime  # due soon from then on
    escalate_at: datetime | None
    paused_until: datetime | None
    policy_version: str
    occurred_at: datetime  # when the change happened (the case event's time, or the policy's adoption)
    stopped_at: datetime | None = None
    outcome: str | None = None  # met | missed, once stopped

    type = TYPE

    @property
    def event_id(self) -> str:
        """Fixed by what changed (the clock's episode and the schedule it now has), so a replay emits nothing new."""
        cause = "|".join(str(v) for v in (self.state, self.due_at.isoformat(), self.paused_until, self.escalate_at,
                                          self.policy_version, self.stopped_at))
        return event_id(self.case_id, self.clock, self.episode, 0, f"scheduled:{cause}")

    def payload(self) -> dict[str, Any]:
        """The SlaScheduledSchema payload (typed values; the schema dumps them)."""
        return {k: v for k, v in self.__dict__.items() if k != "occurred_at"}


@dataclass(frozen=True)
class Schedules:
    """Schedules published together (SlaScheduled v2), in the order the monitor made them: one batch's of one input
    partition, under one key so that every schedule of a case stays in one partition of `sla-events`, in order."""

    key: str
    items: tuple[Schedule, ...]

    type = TYPE
    version = VERSION

    @cached_property
    def event_id(self) -> str:
        """Fixed by its schedules and their order, so the same batch published again is the same event."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "hrcase:schedules:" + ",".join(s.event_id for s in self.items)))

    @property
    def occurred_at(self) -> datetime:
        return max(s.occurred_at for s in self.items)

    def payload(self) -> dict[str, Any]:
        """The SlaSchedulesSchema payload: each schedule with its own event time."""
        return {"schedules": [{**s.payload(), "occurred_at": s.occurred_at} for s in self.items]}


def batches(key: str, schedules: Sequence[Schedule], most: int) -> list[Schedules]:
    """`schedules` in order, at most `most` to a message (the broker's message size bounds a batch)."""
    return [Schedules(key, tuple(schedules[i:i + most])) for i in range(0, len(schedules), most)]


def of(clock: Clock, policy: Policy, t: datetime) -> Schedule | None:
    """The schedule of `clock` as at `t`; None for a clock with no goal (a stage without one)."""
    spec = CLOCKS[clock.name]
    levels: dict[str, datetime] = {}
    for d in sorted(spec.schedule(_fresh(clock), policy.section(clock.name))):
        levels.setdefault(d.level, d.due)  # the first of each level this episode can reach
    goal = levels.get("breach")
    if goal is None:
        return None
    due = clock.first_due or goal  # once crossed, a later pause moves only the deadlines still ahead
    warn = levels.get("warning") or due - (goal - clock.started_at - clock.pause_shift) * spec.soon
    paused = clock.paused_until if clock.paused_until is not None and clock.paused_until > t else None
    state = "running" if clock.running else "stopped"
    if clock.running and paused is not None:
        state = "paused"
    return Schedule(
        case_id=clock.case_id, clock=clock.name, episode=clock.episode, reference=clock.reference,
        office=clock.office, stage=clock.stage, assignee=clock.assignee, started_at=clock.started_at, state=state,
        due_at=due, warn_at=warn, escalate_at=levels.get("escalation"), paused_until=clock.paused_until,
        policy_version=clock.policy_version, occurred_at=t,
    )


def changes(before: Mapping[str, Clock], after: Mapping[str, Clock], t: datetime,
            policy: Policy) -> list[Schedule]:
    """The schedules a case event (or a policy change) at `t` made: clocks that started, moved, paused or stopped.

    A restart publishes the new episode only (it replaces the old one); a clock that stops publishes its outcome."""
    out = []
    for name, now_ in after.items():
        was = before.get(name)
        if was is now_ or (was is not None and not was.running and not now_.running):
            continue
        if not now_.running:
            ran = of(was, policy, t) if was is not None and was.running and was.episode == now_.episode else None
            if ran is not None:  # its goal as it ran (in the stage it ran in), where the case stands now
                out.append(replace(ran, reference=now_.reference, office=now_.office, stage=now_.stage,
                                   assignee=now_.assignee, state="stopped", stopped_at=t,
                                   outcome="met" if met(t, ran.due_at) else "missed"))
            continue
        new = of(now_, policy, t)
        if new is None:
            continue
        old = of(was, policy, t) if was is not None and was.running else None
        if old is None or _moved(old, new):
            out.append(new)
    return out


def _moved(old: Schedule, new: Schedule) -> bool:
    keys = ("episode", "state", "due_at", "warn_at", "escalate_at", "paused_until", "policy_version")
    return any(getattr(old, k) != getattr(new, k) for k in keys)


def _fresh(clock: Clock) -> Clock:
    """The clock as its episode began: its goal is measured on that, whatever has fired since."""
    if not (clock.periods_fired or clock.warned or clock.escalated):
        return clock  # nothing fired yet (every clock a case event starts): a copy would be the same clock
    return replace(clock, periods_fired=0, warned=False, escalated=False)
