"""The report's one pass over the log: each event, as it arrives, folded into what the figures need (each case's facts,
its clocks' verdicts, the SLA events' rows, counts), and then dropped; no list of events is ever kept."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from reference.vocabularies import Vocabularies
from services.reporting.domain.cases import CaseFacts, Folding, Latest
from services.reporting.domain.duplicates import Decided, Decisions, decisions
from services.reporting.domain.events import Crossing, Crossings, CrossingSink, Event, HeldCrossings, History
from services.reporting.domain.model import Scope
from services.reporting.domain.sdg import SdgCounts, Tally

INCIDENTS, CASES, SLA, REJECTED = "incidents", "cases", "sla", "rejected"
SCHEDULED = "SlaScheduled"


class Monitor(Protocol):
    """The SLA monitor's rules replayed over the case events as they arrive (the what-if, or a log without the
    monitor's schedules): each clock's latest schedule and the SLA events it fires, counted by case."""

    def add(self, event: Event) -> None: ...

    def latest(self) -> Latest: ...

    def counts(self) -> Mapping[tuple[str, str, str], int]: ...  # (case_id, clock, level) -> SLA events by as_of


@dataclass(frozen=True)
class Digest:
    """What a report is computed from: the cohort's cases and SLA events, and the counts kept on the way."""

    cases: tuple[CaseFacts, ...]
    sla_events: Crossings  # those on the cohort's cases, up to the report date (held, or in a spill on disk)
    rejected: int  # situation report records intake refused within the period
    without_case: tuple[str, ...]  # accepted incidents casework has not (yet) opened a case for
    sdg: SdgCounts = field(default_factory=lambda: SdgCounts(()))
    registered: int = 0  # cases registered on the log, in scope or not (to check the log is complete)
    other: Monitor | None = None  # the what-if's monitor, run over the same case events
    sources: Mapping[str, int] = field(default_factory=dict)
    duplicates: Decisions = field(default_factory=lambda: Decisions({}, {}))  # decisions on the cohort's cases


class Reading:
    """Events in, one at a time, each in its topic's order; `digest()` at the end."""

    def __init__(self, scope: Scope, vocabularies: Vocabularies, fallback: Monitor | None = None,
                 other: Monitor | None = None, crossings: CrossingSink | None = None) -> None:
        self.scope = scope
        self.folding = Folding(scope.as_of)
        self.clocks = Latest(scope.as_of)
        self.decided = Decided(scope.as_of)
        # Every SLA event's row is listed: a million cases have some 17 million, so `hrcase report` spills them to
        # disk (adapters/spill.py) and only counts them by key in memory.
        self.crossings: CrossingSink = crossings if crossings is not None else HeldCrossings()
        self.crossed: set[str] = set()  # the cases they are on (when the cohort holds all, nothing is filtered)
        self.incidents: list[str] = []  # keys of the period's accepted incidents
        self.sdg = Tally(vocabularies)
        self.rejected = 0
        self.later: set[str] = set()  # cases registered after the report date (the log holds them too)
        # Replays the installation's policy until the log shows the monitor's own schedules (a log written before
        # it published them has none: its clocks come from the replay, as `with_schedules` did).
        self.fallback = fallback
        self.scheduled = False
        self.other = other

    def add(self, kind: str, event: Event) -> None:
        scope = self.scope
        if kind == CASES:
            self.folding.add(event)
            self.decided.add(event)
            if event.type == "CaseRegistered" and event.occurred_at > scope.as_of:
                self.later.add(event.payload["case_id"])
            if self.fallback is not None:
                self.fallback.add(event)
            if self.other is not None:
                self.other.add(event)
        elif kind == SLA:
            if event.type == SCHEDULED:
                self.scheduled, self.fallback = True, None
                self.clocks.add(event.occurred_at, event.payload)
            elif event.occurred_at <= scope.as_of:
                crossing = Crossing.of(event.occurred_at, event.payload)
                self.crossings.append(crossing)
                self.crossed.add(crossing.case_id)
        elif kind == INCIDENTS:
            p = event.payload
            if event.occurred_at <= scope.as_of and scope.covers(p["reported_at"], p["office"]):
                self.incidents.append(sys.intern(event.key))
                self.sdg.add(p)
        elif kind == REJECTED and event.occurred_at <= scope.as_of and (scope.start is None
                                                                       or event.occurred_at >= scope.start):
            self.rejected += 1

    def digest(self, sources: Mapping[str, int] | None = None) -> Digest:
        clocks = self.fallback.latest() if self.fallback is not None and not self.scheduled else self.clocks
        scope = self.scope
        cases = tuple(case.facts(clocks.of(case_id)) for case_id, case in self.folding.cases.items()
                      if scope.covers(case.reported_at, case.office))
        ids = frozenset(c.case_id for c in cases)
        events = self.crossings.of(None if ids.issuperset(self.crossed) else ids)
        keys = {c.incident_key for c in cases}
        without = tuple(sorted(k for k in self.incidents if k not in keys))
        registered = len(self.folding.cases) + len(self.later.difference(self.folding.cases))
        return Digest(cases, events, self.rejected, without, self.sdg.counts(), registered, self.other,
                      dict(sources or {}), decisions(self.decided, cases))


def history_events(history: History) -> Iterable[tuple[str, Event]]:
    """A history held in memory (tests, the simulator) as the reading takes it: each topic in log order."""
    yield from ((SLA, e) for e in sorted(history.schedules, key=lambda e: e.offset))
    yield from ((SLA, e) for e in history.sla_events)
    yield from ((CASES, e) for e in sorted(history.case_events, key=lambda e: e.offset))
    yield from ((INCIDENTS, e) for e in history.incidents)
    yield from ((REJECTED, e) for e in history.rejected)


def read(events: Iterable[tuple[str, Any]], reading: Reading, sources: Mapping[str, int] | None = None) -> Digest:
    for kind, event in events:
        reading.add(kind, event)
    return reading.digest(sources)
