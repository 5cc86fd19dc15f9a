"""SLA clocks of a case: pure functions from (clocks, case event or time) to (new clocks, SLA events)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from services.sla_monitor.domain.deadlines import Deadline, crossed, highest_level
from services.sla_monitor.domain.events import SlaEvent
from services.sla_monitor.domain.policy import Policy
from services.sla_monitor.domain.registry import CLOCKS, CONTEXT_ONLY, ORDER
from services.sla_monitor.domain.schedules import Schedule, changes

CONTEXT = ("reference", "office", "stage", "assignee")


@dataclass(frozen=True)
class Clock:
    """One run of one clock of one case; a restart replaces it with a new episode."""

    case_id: str
    name: str
    reference: str
    office: str
    stage: str
    assignee: str | None
    started_at: datetime  # the anchor every deadline is measured from
    episode: str  # the anchor as ISO text: part of every event id of this run
    policy_version: str
    periods_fired: int = 0
    warned: bool = False
    escalated: bool = False
    pause_shift: timedelta = timedelta(0)
    paused_until: datetime | None = None
    last_due: datetime | None = None  # the last threshold crossed in this episode (what a clear refers to)
    running: bool = True
    next_due: datetime | None = None
    first_due: datetime | None = None  # the first breach, once fired: the goal as it was (a later pause moves it not)
    # The key its schedules were last published under (its case events' partition): a policy change publishes the
    # new schedule under it, behind them (ADR 16). None until a case event moves it under this version.
    published_under: str | None = None


@dataclass(frozen=True)
class CaseEvent:
    type: str
    occurred_at: datetime
    payload: Mapping[str, Any]  # as loaded by the case event schema: stage is the stage after the event


def start(name: str, payload: Mapping[str, Any], anchor: datetime, policy: Policy) -> Clock:
    anchor = anchor.astimezone(UTC)
    clock = Clock(case_id=payload["case_id"], name=name, **_context(payload),
                  started_at=anchor, episode=anchor.isoformat(), policy_version=policy.version)
    return _scheduled(clock, policy)


def fire(clock: Clock, t: datetime, policy: Policy) -> tuple[Clock, list[SlaEvent]]:
    """Every threshold of `clock` due at or before `t`, in deadline order, and the clock after them."""
    if not clock.running:
        return clock, []
    if clock.policy_version != policy.version:
        clock = _with(clock, policy_version=policy.version)
    events = []
    while (d := next_deadline(clock, policy)) is not None and crossed(d.due, t):
        events.append(_event(clock, d.level, d.period, d.due, d.due))
        clock = _with(
            clock, last_due=d.due,
            warned=clock.warned or d.level == "warning",
            escalated=clock.escalated or d.level == "escalation",
            periods_fired=d.period if d.level == "breach" else clock.periods_fired,
            first_due=d.due if d.level == "breach" and clock.first_due is None else clock.first_due,
        )
    # The loop ended on the clock's next deadline: schedule it by that rather than work it out again.
    due = d.due if d is not None else None
    return (clock if due == clock.next_due else _with(clock, next_due=due)), events


def reschedule(clock: Clock, policy: Policy) -> Clock:
    """A running clock's next deadline under `policy` (after the policy file changed), stamped with its version."""
    return _scheduled(_with(clock, policy_version=policy.version), policy) if clock.running else clock


def fire_all(clocks: Mapping[str, Clock], t: datetime, policy: Policy) -> tuple[dict[str, Clock], list[SlaEvent]]:
    out, events = {}, []
    for name, clock in clocks.items():
        out[name], fired = fire(clock, t, policy)
        events.extend(fired)
    return out, sorted(events, key=lambda e: (e.occurred_at, ORDER[e.clock]))


def apply_event(clocks: Mapping[str, Clock], event: CaseEvent,
                policy: Policy) -> tuple[dict[str, Clock], list[SlaEvent], list[Schedule]]:
    """Fire what fell due before the event, then let the event stop, restart or pause clocks: the clocks after it,
    the SLA events it fired, and the schedules it started, moved, paused or stopped."""
    out, events = _apply(clocks, event, policy)
    return out, events, changes(clocks, out, event.occurred_at, policy)


def _apply(clocks: Mapping[str, Clock], event: CaseEvent, policy: Policy) -> tuple[dict[str, Clock], list[SlaEvent]]:
    t, payload = event.occurred_at, event.payload
    out, events = fire_all(clocks, t, policy)
    actions = _RULES.get(event.type)
    if actions is None:
        return out, events  # a type this version does not know moves no clock
    context = _context(payload)
    out = {name: _in_context(clock, context) for name, clock in out.items()}
    for action, name, reason in actions:
        clock = out.get(name)
        live = clock if clock is not None and clock.running else None
        if action == "pause":
            if live is not None:
                out[name] = _paused(live, t, payload["until"], policy)
            continue
        spec = CLOCKS[name]
        runs = action == "restart" and (spec.runs_in is None or payload["stage"] in spec.runs_in)
        anchor = payload[spec.anchor] if runs and spec.anchor else t
        if runs and live is not None and live.started_at == anchor:
            out[name] = _scheduled(live, policy)  # the same episode again (a duplicate): nothing ends
            continue
        if live is not None:
            out[name] = _with(live, running=False, next_due=None)
            events.extend(_cleared(live, reason, t))
        if runs:
            out[name] = start(name, payload, anchor, policy)
    # A clock may start already overdue (a case registered days after its report): fire that at once.
    out, late = fire_all(out, t, policy)
    return out, sorted(events + late, key=lambda e: e.occurred_at)


def _cleared(clock: Clock, reason: str, t: datetime) -> list[SlaEvent]:
    """A clock that warned, breached or escalated in this episode says so when it ends; a quiet one doesn't."""
    level = highest_level(clock)
    if level is None or clock.last_due is None:
        return []
    return [_event(clock, "cleared", clock.periods_fired, clock.last_due, t, recipient(clock, level), reason)]


def _paused(clock: Clock, t: datetime, until: datetime, policy: Policy) -> Clock:
    # Pauses that overlap count once: only the part beyond the current pause moves the deadlines.
    begin = max(t, clock.paused_until or t)
    if until <= begin:
        return clock
    return _scheduled(_with(clock, pause_shift=clock.pause_shift + (until - begin), paused_until=until), policy)


def _event(clock: Clock, level: str, period: int, due: datetime, occurred_at: datetime,
           to: str | None = None, reason: str = "") -> SlaEvent:
    return SlaEvent(
        case_id=clock.case_id, clock=clock.name, episode=clock.episode, level=level, period=period,
        occurred_at=occurred_at, due_at=due, started_at=clock.started_at, reference=clock.reference,
        office=clock.office, stage=clock.stage, assignee=clock.assignee,
        recipient_role=to or recipient(clock, level), policy_version=clock.policy_version, reason=reason,
    )


def _context(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Where the case stands after the event: every SLA event carries it."""
    return {k: payload.get(k) for k in CONTEXT}


def _scheduled(clock: Clock, policy: Policy) -> Clock:
    deadline = next_deadline(clock, policy) if clock.running else None
    due = deadline.due if deadline else None
    return clock if due == clock.next_due else _with(clock, next_due=due)


def _in_context(clock: Clock, context: dict[str, Any]) -> Clock:
    fields_ = clock.__dict__
    if all(fields_[k] == v for k, v in context.items()):
        return clock
    return _with(clock, **context)


_FIELDS = frozenset(f.name for f in fields(Clock))


def _with(clock: Clock, **changes: Any) -> Clock:
    """`dataclasses.replace` for a Clock at a sixth of its cost (a tick copies a clock a few times per crossing;
    a burst, tens of thousands): a frozen dataclass's fields are its instance dict, and Clock has no __post_init__."""
    if not _FIELDS.issuperset(changes):
        raise TypeError(f"Clock has no field {sorted(set(changes) - _FIELDS)}")
    copy = object.__new__(Clock)
    copy.__dict__.update(clock.__dict__, **changes)
    return copy


def next_deadline(clock: Clock, policy: Policy) -> Deadline | None:
    """The earliest threshold this clock has not yet crossed, or None if none is left."""
    return min(CLOCKS[clock.name].schedule(clock, policy.section(clock.name)), default=None)


def recipient(clock: Clock, level: str) -> str:
    role = CLOCKS[clock.name].recipients[level]
    return "team_leader" if role == "hro" and not clock.assignee else role  # nobody assigned: their Team Leader


def _rules() -> dict[str, tuple[tuple[str, str, str], ...]]:
    """Case event type -> (action, clock, reason a clear gives), from the registry: stops, then restarts (so a clock
    that ends clears before the next one starts), then pauses, each in the registry's order."""
    types = dict.fromkeys(t for spec in CLOCKS.values() for t in (*spec.stops, *spec.restarts, *spec.pauses))
    rules = {t: (
        *(("stop", n, s.stops[t]) for n, s in CLOCKS.items() if t in s.stops),
        *(("restart", n, s.restarts[t]) for n, s in CLOCKS.items() if t in s.restarts),
        *(("pause", n, "") for n, s in CLOCKS.items() if t in s.pauses),
    ) for t in types}
    return {**rules, **dict.fromkeys(CONTEXT_ONLY, ())}


# Case event type -> (action, clock, reason a clear gives). Types not listed move no clock.
_RULES = _rules()
CASE_EVENT_TYPES = frozenset(_RULES)
