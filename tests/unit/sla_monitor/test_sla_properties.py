"""Properties over any history: replays emit the same events, and tick frequency changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sla_builders import T0, Run, case_event

from schemas.vocabulary import STAGES
from services.sla_monitor.domain.clocks import CASE_EVENT_TYPES, CaseEvent

CASES = ("c-0001", "c-0002", "c-0003")
TYPES = (*sorted(CASE_EVENT_TYPES), "CaseArchived")  # the last one stands for a type added later
HOUR = timedelta(hours=1)

steps = st.lists(
    st.tuples(
        st.integers(0, 24 * 40),  # hours since the previous event
        st.sampled_from(CASES),
        st.sampled_from(TYPES),
        st.sampled_from(STAGES),  # any stage: the monitor must cope with histories casework would refuse
        st.integers(-24 * 5, 24 * 30),  # hours: how long before it was reported / how long a delay runs
        st.sampled_from((None, "hro1", "hro2")),
    ),
    min_size=1,
    max_size=14,
)


def history(raw: list[tuple]) -> list[CaseEvent]:
    events, t = [], T0
    for gap, case_id, type_, stage, hours, assignee in raw:
        t += gap * HOUR
        if type_ not in CASE_EVENT_TYPES:
            events.append(CaseEvent(type_, t, {"case_id": case_id, "stage": stage}))
            continue
        extra: dict = {}
        if type_ == "CaseRegistered":
            extra["reported_at"] = t - abs(hours) * HOUR
        if type_ == "DelayJustified":
            extra["until"] = t + hours * HOUR
        events.append(case_event(type_, t, case_id, stage=stage, assignee=assignee, **extra))
    return events


def run(events: list[CaseEvent], ticks: list[datetime], end: datetime, start: Run | None = None) -> Run:
    r = start or Run()
    pending = sorted(ticks)
    for event in events:
        while pending and pending[0] <= event.occurred_at:
            r.tick(pending.pop(0))
        r.apply(event)
    for t in pending:
        r.tick(t)
    r.tick(end)
    return r


def end_of(events: list[CaseEvent]) -> datetime:
    return (events[-1].occurred_at if events else T0) + timedelta(days=200)


@settings(deadline=None, max_examples=150)
@given(raw=steps, cut=st.integers(0, 14))
def test_replaying_any_history_from_any_point_emits_the_same_events_each_exactly_once(raw: list, cut: int) -> None:
    events = history(raw)
    cut = min(cut, len(events))
    end = end_of(events)
    head = run(events[:cut], [], events[cut - 1].occurred_at if cut else T0)
    snapshot = head.copy()
    once = run(events[cut:], [], end, start=head)
    ids = [e.event_id for e in once.emitted]
    assert len(ids) == len(set(ids))
    # Lose everything after the snapshot and replay the rest of the log: the very same events come back.
    already = len(snapshot.emitted)
    replayed = run(events[cut:], [], end, start=snapshot)
    assert set(replayed.emitted[already:]) == set(once.emitted[already:])
    assert set(run(events, [], end).emitted) == set(once.emitted)


@settings(deadline=None, max_examples=100)
@given(raw=steps, extra_ticks=st.lists(st.integers(0, 24 * 600), max_size=20))
def test_how_often_the_monitor_ticks_does_not_change_what_it_emits(raw: list, extra_ticks: list[int]) -> None:
    events = history(raw)
    end = end_of(events)
    only_at_events = run(events, [], end).emitted
    hours = int((end - T0) / HOUR)
    hourly = run(events, [T0 + n * HOUR for n in range(hours)], end).emitted
    random = run(events, [T0 + n * HOUR for n in extra_ticks if T0 + n * HOUR <= end], end).emitted
    assert set(hourly) == set(only_at_events) == set(random)
    assert len(hourly) == len(only_at_events) == len(random)
