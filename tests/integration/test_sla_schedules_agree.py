"""What casework shows equals what the monitor fires: random case histories (late registration, recording, work,
stage changes, overlapping justified delays, reviews, closure requested, rejected and approved, a reopening around
day 200) through sla_monitor's rules, and its schedules through casework's own handling into casework's table."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from services.casework import bootstrap as casework_boot
from services.casework.adapters import schedules as schedule_store
from services.casework.domain.schedules import next_deadline, sla_state
from services.casework.handlers import MessageHandler
from services.messaging.ports import Message
from services.messaging.sqlite import sqlite_engine
from services.sla_monitor.domain.clocks import CaseEvent, Clock, apply_event, fire_all
from services.sla_monitor.domain.events import SlaEvent
from services.sla_monitor.domain.policy import Policy
from services.sla_monitor.domain.schedules import Schedule, batches
from services.sla_monitor.handlers import outgoing
from services.vault import IdentityVault
from tests.unit.sla_monitor.sla_builders import case_event, day

POLICY = Policy()
NEXT = {"preliminary": "investigation", "investigation": "concluded"}
ACTIONS = ("record", "activity", "advance", "delay", "review", "request", "reject", "approve", "reopen")


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as folder:
        made = sqlite_engine(Path(folder) / "casework.sqlite")
        casework_boot.migrate(made)
        yield made
        made.dispose()


histories = st.tuples(
    st.floats(0, 6),  # days between the report and the registration
    st.lists(st.tuples(st.sampled_from(ACTIONS), st.floats(0.01, 45), st.floats(1, 30)), min_size=1, max_size=16),
)


def case_history(case_id: str, late: float, steps: list[tuple[str, float, float]]) -> list[CaseEvent]:
    """A history casework would accept: each step taken only where the workflow allows it (skipped otherwise)."""
    t, stage, before_closure = day(late), "reported", "preliminary"
    events = [case_event("CaseRegistered", t, case_id, reported_at=day(0))]
    reopened = False
    for action, gap, length in steps:
        t += timedelta(days=gap)
        if stage == "closed" and not reopened:  # the reopening the issue names: on day ~200
            t, action, reopened = max(t, day(200)), "reopen", True
        made = _step(case_id, action, t, stage, before_closure, length)
        if made is None:
            continue
        if made.type == "ClosureRequested":
            before_closure = stage
        stage = made.payload["stage"]
        events.append(made)
    return events


def _step(case_id: str, action: str, t: datetime, stage: str, before: str, length: float) -> CaseEvent | None:
    is_open = stage in ("preliminary", "investigation", "concluded")
    if action == "record" and stage == "reported":
        return case_event("CaseRecorded", t, case_id, stage="preliminary", reported_at=day(0))
    if action == "activity" and is_open:
        return case_event("ActivityLogged", t, case_id, stage=stage)
    if action == "advance" and stage in NEXT:
        return case_event("StageChanged", t, case_id, stage=NEXT[stage], previous_stage=stage)
    if action == "delay" and is_open:
        return case_event("DelayJustified", t, case_id, stage=stage, until=t + timedelta(days=length))
    if action == "review" and is_open:
        return case_event("CaseReviewed", t, case_id, stage=stage)
    if action == "request" and is_open:
        return case_event("ClosureRequested", t, case_id, stage="closure_requested", previous_stage=stage)
    if action == "reject" and stage == "closure_requested":
        return case_event("ClosureRejected", t, case_id, stage=before)
    if action == "approve" and stage == "closure_requested":
        return case_event("ClosureApproved", t, case_id, stage="closed")
    if action == "reopen" and stage == "closed":
        return case_event("CaseReopened", t, case_id, stage="investigation")
    return None


def monitor(events: list[CaseEvent], end: datetime) -> tuple[list[Schedule], list[SlaEvent], dict[str, Clock]]:
    clocks: dict[str, Clock] = {}
    schedules: list[Schedule] = []
    fired: list[SlaEvent] = []
    for event in events:
        clocks, crossed, published = apply_event(clocks, event, POLICY)
        fired += crossed
        schedules += published
    clocks, crossed = fire_all(clocks, end, POLICY)
    return schedules, fired + crossed, clocks


_offsets = iter(range(1, 10**9))


def through_casework(engine: Engine, schedules: list[Schedule], vault: IdentityVault, size: int) -> None:
    """The schedules as the monitor emits them, `size` to an SlaScheduled, each handled by casework's message
    handler in a transaction of its own."""
    for published in batches("schedules:case-events:0", schedules, size):
        out = outgoing(published)
        message = Message(out.topic, 0, next(_offsets), out.key, out.value, out.headers)
        with engine.begin() as conn, MessageHandler(vault).batch(conn, [message], published.occurred_at) as handle:
            handle(message)


_cases = iter(range(1, 10**9))
VAULT = IdentityVault.generate()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories, st.integers(min_value=1, max_value=6))
def test_what_casework_shows_is_what_the_monitor_fires(engine: Engine, history: tuple, size: int) -> None:
    late, steps = history
    case_id = f"c-{next(_cases):06d}"
    events = case_history(case_id, late, steps)
    end = events[-1].occurred_at + timedelta(days=400)
    schedules, fired, clocks = monitor(events, end)
    through_casework(engine, schedules, VAULT, size)
    with engine.connect() as conn:
        shown = {s.clock: s for s in schedule_store.for_cases(conn, [case_id])[case_id]}

    first_breach = {(e.clock, e.episode): e.due_at for e in fired if e.level == "breach" and e.period == 1}
    for name, clock in clocks.items():
        if not clock.running:
            assert name not in shown or not shown[name].running, name
            continue
        s = shown[name]  # every running clock is shown, with the episode the monitor runs
        assert (s.episode, s.started_at) == (clock.episode, clock.started_at)
        if (name, clock.episode) in first_breach:  # the goal it shows is the instant the monitor breached it
            assert s.due_at == first_breach[name, clock.episode]
            assert sla_state(s, first_breach[name, clock.episode]) == "overdue"
        else:  # not breached by the end: due later, as the monitor has it
            assert s.due_at > end and s.due_at == (clock.first_due or s.due_at)
    for s in shown.values():  # a stopped clock's outcome is the monitor's verdict: missed iff it breached
        if not s.running:
            assert (s.outcome == "missed") == ((s.clock, s.episode) in first_breach), s
    soonest = next_deadline(shown.values())
    running_dues = [first_breach.get((n, c.episode)) or shown[n].due_at for n, c in clocks.items() if c.running]
    assert (soonest.due_at if soonest else None) == min(running_dues, default=None)
