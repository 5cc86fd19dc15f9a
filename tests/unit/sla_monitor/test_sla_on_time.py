"""One definition of "on time": a clock meets its goal iff it stops strictly before its due instant; at due it is late.

At the exact boundary of every clock and level: the threshold fires at its instant and not a microsecond before, and
a clock stopped a microsecond before its goal is "met", one stopped at it "missed"."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.sla_monitor.domain.deadlines import crossed, met
from tests.unit.sla_monitor.sla_builders import USEC, Run, case_event, day

# (clock, level, the events that start it, its threshold, the event that stops it)
BOUNDARIES = [
    ("recording", "warning", [("CaseRegistered", 0)], day(3), "CaseRecorded"),
    ("recording", "breach", [("CaseRegistered", 0)], day(4), "CaseRecorded"),
    ("recording", "escalation", [("CaseRegistered", 0)], day(8), "CaseRecorded"),
    ("stall", "breach", [("CaseRegistered", 0), ("CaseRecorded", 1)], day(31), "ActivityLogged"),
    ("stall", "escalation", [("CaseRegistered", 0), ("CaseRecorded", 1)], day(61), "ActivityLogged"),
    ("review", "breach", [("CaseRegistered", 0), ("CaseRecorded", 1)], day(91), "CaseReviewed"),
    ("closure_approval", "breach", [("CaseRegistered", 0), ("CaseRecorded", 1), ("ClosureRequested", 2)], day(9),
     "ClosureRejected"),
]


def started(events: list[tuple[str, float]]) -> Run:
    run = Run()
    for type_, at in events:
        fields = {"reported_at": day(0)} if type_ == "CaseRecorded" else {}
        run.apply(case_event(type_, day(at), **fields))
    return run


def levels_fired(run: Run, clock: str) -> set[str]:
    return {e.level for e in run.emitted if e.clock == clock}


@pytest.mark.parametrize(("clock", "level", "events", "due", "stop"), BOUNDARIES)
def test_a_threshold_fires_at_its_instant_and_not_a_microsecond_before(
        clock: str, level: str, events: list[tuple[str, float]], due: datetime, stop: str) -> None:
    before, at = started(events), started(events)
    before.tick(due - USEC)
    at.tick(due)
    assert level not in levels_fired(before, clock)
    assert level in levels_fired(at, clock)


@pytest.mark.parametrize(("clock", "level", "events", "due", "stop"), BOUNDARIES)
def test_a_clock_stopped_a_microsecond_before_a_threshold_never_reaches_it_and_one_stopped_at_it_has(
        clock: str, level: str, events: list[tuple[str, float]], due: datetime, stop: str) -> None:
    fields = {"reported_at": day(0)} if stop == "CaseRecorded" else {}
    early, late = started(events), started(events)
    early.apply(case_event(stop, due - USEC, **fields))
    late.apply(case_event(stop, due, **fields))
    assert level not in levels_fired(early, clock)
    assert level in levels_fired(late, clock)  # the deadline fires before the event at the same instant


ENDS = {"stall": "ClosureRequested", "review": "ClosureRequested"}  # a restart publishes the new episode only


@pytest.mark.parametrize(("clock", "events", "due", "stop"),
                         [(c, e, d, ENDS.get(c, s)) for c, lv, e, d, s in BOUNDARIES if lv == "breach"])
def test_the_published_outcome_is_met_a_microsecond_before_the_goal_and_missed_at_it(
        clock: str, events: list[tuple[str, float]], due: datetime, stop: str) -> None:
    fields = {"reported_at": day(0)} if stop == "CaseRecorded" else {}
    outcomes = {}
    for at in (due - USEC, due):
        run = started(events)
        run.apply(case_event(stop, at, **fields))
        [stopped] = [s for s in run.schedules if s.clock == clock and s.state == "stopped"]
        assert stopped.due_at == due and stopped.stopped_at == at
        outcomes[at] = stopped.outcome
    assert outcomes == {due - USEC: "met", due: "missed"}


def test_the_rule_is_written_once_crossed_at_due_met_only_strictly_before() -> None:
    due = day(4)
    assert (crossed(due, due - USEC), crossed(due, due), crossed(due, due + USEC)) == (False, True, True)
    assert (met(due - USEC, due), met(due, due), met(due + timedelta(days=1), due)) == (True, False, False)
