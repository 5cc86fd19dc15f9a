"""The SLA monitor's pure rules replayed over case events under any policy (for the what-if, and to check)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime

from schemas import vocabulary
from services.reporting.domain.cases import Latest
from services.reporting.domain.compliance import build_report
from services.reporting.domain.events import CrossingSink, Event, History
from services.reporting.domain.model import Report, Scope, Table, Targets
from services.reporting.domain.reading import Digest, Reading, history_events, read
from services.reporting.domain.whatif import WhatIf
from services.sla_monitor.domain.clocks import CASE_EVENT_TYPES, CaseEvent, Clock, apply_event, fire_all
from services.sla_monitor.domain.events import SlaEvent
from services.sla_monitor.domain.policy import Policy
from services.sla_monitor.domain.schedules import Schedule


def targets_of(policy: Policy) -> Targets:
    return Targets(
        policy_version=policy.version, recording_days=policy.recording.goal_days,
        stall_days=dict(policy.stall.goal_days), review_days=policy.review.goal_days,
        closure_days=policy.closure_approval.goal_days,
    )


def replay(case_events: Iterable[Event], as_of: datetime, policy: Policy) -> tuple[Event, ...]:
    """What sla_monitor emits for these case events under `policy`, had it ticked at `as_of` last.

    As the handler does: case events in log order, each case on its own, types it does not know skipped,
    and each crossing emitted once.
    """
    return replay_all(case_events, as_of, policy)[0]


class Replay:
    """The monitor's rules over case events as they arrive in log order: each case's clocks kept, each case on its
    own as the handler keeps them, what they fire and publish handed back; `finish` ticks every case at `as_of`."""

    def __init__(self, as_of: datetime, policy: Policy) -> None:
        self.as_of, self.policy = as_of, policy
        self.clocks: dict[str, dict[str, Clock]] = {}
        self.seen: dict[str, set[str]] = {}  # each case's SLA event ids: each crossing emitted once

    def add(self, event: Event) -> tuple[list[SlaEvent], list[Schedule]]:
        if event.type not in CASE_EVENT_TYPES or event.occurred_at > self.as_of:
            return [], []
        case_id = event.payload["case_id"]
        clocks, fired, scheduled = apply_event(self.clocks.get(case_id, {}),
                                               CaseEvent(event.type, event.occurred_at, event.payload), self.policy)
        self.clocks[case_id] = clocks
        return self._first(case_id, fired), scheduled

    def finish(self) -> Iterator[SlaEvent]:
        for case_id, clocks in self.clocks.items():
            yield from self._first(case_id, fire_all(clocks, self.as_of, self.policy)[1])

    def _first(self, case_id: str, fired: list[SlaEvent]) -> list[SlaEvent]:
        seen = self.seen.setdefault(case_id, set())
        out = []
        for e in fired:
            if e.event_id not in seen:
                seen.add(e.event_id)
                out.append(e)
        return out


def replay_all(case_events: Iterable[Event], as_of: datetime,
               policy: Policy) -> tuple[tuple[Event, ...], tuple[Event, ...]]:
    """The SLA events and the SlaScheduled events sla_monitor publishes for these case events under `policy`."""
    monitor = Replay(as_of, policy)
    emitted: list[SlaEvent] = []
    published: list[Schedule] = []
    for event in sorted(case_events, key=lambda e: e.offset):
        fired, scheduled = monitor.add(event)
        emitted += fired
        published += scheduled
    emitted += monitor.finish()
    sla = tuple(Event(e.type, e.occurred_at, e.case_id, e.payload(), 0, e.event_id)
                for e in sorted(emitted, key=lambda e: (e.occurred_at, e.case_id, e.clock)))
    # In each case's order (a later schedule of a clock replaces an earlier one), numbered as a log would.
    schedules = tuple(Event(s.type, s.occurred_at, s.case_id, s.payload(), n, s.event_id)
                      for n, s in enumerate(published, 1))
    return sla, schedules


class Tally:
    """A monitor replayed as the case events are read, keeping only what a report needs of it: each clock's latest
    schedule by the report date, and its SLA events by then counted by case, clock and level."""

    def __init__(self, as_of: datetime, policy: Policy) -> None:
        self.replay: Replay | None = Replay(as_of, policy)
        self.as_of = as_of
        self._latest = Latest(as_of)
        self._counts: Counter = Counter()

    def add(self, event: Event) -> None:
        assert self.replay is not None, "a tally is read once"
        fired, scheduled = self.replay.add(event)
        self._count(fired)
        for s in scheduled:
            self._latest.add(s.occurred_at, s.payload())

    def latest(self) -> Latest:
        return self._latest

    def counts(self) -> Mapping[tuple[str, str, str], int]:
        if self.replay is not None:  # the last tick, once every case event is in; its clocks are then dropped
            self._count(self.replay.finish())
            self.replay = None
        return self._counts

    def _count(self, fired: Iterable[SlaEvent]) -> None:
        for e in fired:
            if e.occurred_at <= self.as_of:
                self._counts[e.case_id, e.clock, e.level] += 1


def with_schedules(history: History, as_of: datetime, policy: Policy) -> History:
    """The history with the schedules the monitor publishes; a log written before it published them (or an
    export without them) gets them by replaying the monitor's own rules over its case events."""
    if history.schedules:
        return history
    return replace(history, schedules=replay_all(history.case_events, as_of, policy)[1])


def read_report(events: Iterable[tuple[str, Event]], scope: Scope, policy: Policy, other: Policy | None = None,
                sources: Mapping[str, int] | None = None, crossings: CrossingSink | None = None) -> Digest:
    """One pass over the log's events (each topic in log order): what the report under `policy` (and the what-if
    under `other`) is computed from. Until the log shows the monitor's schedules, `policy` is replayed beside.
    The SLA events' rows go to `crossings` (held in memory if not given; `hrcase report` spills them to disk)."""
    reading = Reading(scope, vocabulary.current(), fallback=Tally(scope.as_of, policy),
                      other=Tally(scope.as_of, other) if other is not None else None, crossings=crossings)
    return read(events, reading, sources)


def make_report(history: History | Digest, scope: Scope, policy: Policy, other: Policy | None = None,
                other_source: str = "", performance_made: Callable[[], tuple[Table, Table]] | None = None) -> Report:
    """The compliance report under the installation's policy, with the what-if section if `other` is given (a
    digest must then have been read with it)."""
    if isinstance(history, History):
        history = read_report(history_events(history), scope, policy, other, history.sources)
    what_if = None
    if other is not None:
        if history.other is None:
            raise ValueError("the what-if's policy must be given when the log is read (read_report's `other`)")
        what_if = WhatIf(targets_of(other), history.other, other_source)
    return build_report(history, scope, targets_of(policy), what_if, performance_made)
