"""Events as reports read them: type, event time, typed payload and position in the log; and what a report keeps of
each SLA event (a crossing) and of each schedule (a verdict) once it has read them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from sys import intern
from typing import Any, Protocol

from schemas import vocabulary

LEVELS = ("warning", "breach", "escalation", "cleared")


@dataclass(frozen=True)
class Event:
    type: str
    occurred_at: datetime
    key: str
    payload: Mapping[str, Any]
    offset: int = 0  # position in the log: the order the services saw it in
    event_id: str = ""


@dataclass(frozen=True)
class History:
    """What a report reads: accepted incidents, case events, SLA events (and schedules) and intake's rejections."""

    incidents: tuple[Event, ...] = ()
    case_events: tuple[Event, ...] = ()
    sla_events: tuple[Event, ...] = ()  # crossings and clears
    schedules: tuple[Event, ...] = ()  # SlaScheduled: each clock's due instants and, once stopped, its outcome
    rejected: tuple[Event, ...] = ()
    sources: Mapping[str, int] = field(default_factory=dict)  # records read per topic, for the report's header


@dataclass(frozen=True, slots=True)
class Crossing:
    """What the report keeps of one SLA event: its row of the event list, and what tables count it by."""

    occurred_at: datetime
    case_id: str
    reference: str
    office: str
    clock: str
    level: str
    period: int
    recipient_role: str
    assignee: str | None
    reason: str | None
    policy_version: str

    @classmethod
    def of(cls, occurred_at: datetime, p: Mapping[str, Any]) -> Crossing:
        # Cases, offices, officers, clocks and levels repeat over millions of SLA events: one string each.
        return cls(occurred_at, intern(p["case_id"]), intern(p["reference"]), intern(p["office"]), intern(p["clock"]),
                   intern(p["level"]), p["period"], intern(p["recipient_role"]), _interned(p.get("assignee")),
                   _interned(p.get("reason")), intern(p["policy_version"]))


def listed_order(e: Crossing) -> tuple:
    """How `sla_events.csv` lists them: time, then case, clock and level (the same events list the same way however
    the monitor was run); events equal in all of these keep their order on the log."""
    return e.occurred_at, e.reference, vocabulary.CLOCKS.index(e.clock), LEVELS.index(e.level), e.period


def recipient(event: Crossing) -> str:
    """Who an SLA event went to: the Director, an office's Team Leader, or the named officer."""
    role = event.recipient_role
    if role == "director":
        return "Director"
    if role == "hro":
        return f"officer {event.assignee or '(unassigned)'}"
    return f"Team Leader, {event.office}"


def listed_row(e: Crossing) -> tuple[str, str, str, str, str, int, str, str, str]:
    """Its row of `sla_events.csv`: when, case, office, clock, level, period, to whom, why cleared, policy."""
    return (e.occurred_at.isoformat(timespec="minutes"), e.reference, e.office, e.clock, e.level, e.period,
            recipient(e) if e.level != "cleared" else "", e.reason or "", e.policy_version)


def month_of(e: Crossing) -> str:
    return f"{e.occurred_at.year:04d}-{e.occurred_at.month:02d}"


class Crossings(Protocol):
    """The SLA events a report counts and lists: counted by key, and their rows listed, as often as the tables ask;
    never needed as a list of events (a million cases have some 17 million)."""

    def __len__(self) -> int: ...

    def counts(self) -> Counter[tuple[str, str]]: ...  # (clock, level) -> events

    # (case_id, its events at each of LEVELS, in that order): a row per case, at a million cases a million rows
    def by_case(self) -> Iterable[tuple[Any, ...]]: ...

    def recording_months(self) -> Counter[tuple[str, str, str]]: ...  # recording clock: (month, office, level) -> n

    def listed_rows(self) -> Iterator[tuple]: ...  # each one's listed_row, in listed_order

    # The same rows as the lines of sla_events.csv, where they are kept written (None: not kept so).
    def listed_lines(self) -> Iterator[str] | None: ...


class CrossingSink(Protocol):
    """Where a reading puts each SLA event's crossing as it reads it (a list, or a spill on disk)."""

    def append(self, crossing: Crossing) -> None: ...

    def of(self, cases: frozenset[str] | None) -> Crossings: ...  # those on these cases (None: every one)


class HeldCrossings:
    """Crossings held in memory (tests, small histories)."""

    def __init__(self, crossings: Iterable[Crossing] = ()) -> None:
        self.held = list(crossings)

    def append(self, crossing: Crossing) -> None:
        self.held.append(crossing)

    def of(self, cases: frozenset[str] | None) -> HeldCrossings:
        return HeldCrossings(self.held if cases is None else (e for e in self.held if e.case_id in cases))

    def __len__(self) -> int:
        return len(self.held)

    def counts(self) -> Counter[tuple[str, str]]:
        return Counter((e.clock, e.level) for e in self.held)

    def by_case(self) -> Iterable[tuple[Any, ...]]:
        counts: dict[str, list[int]] = {}
        for e in self.held:
            counts.setdefault(e.case_id, [0] * len(LEVELS))[LEVELS.index(e.level)] += 1
        return ((case_id, *n) for case_id, n in counts.items())

    def recording_months(self) -> Counter[tuple[str, str, str]]:
        return Counter((month_of(e), e.office, e.level) for e in self.held if e.clock == "recording")

    def listed_rows(self) -> Iterator[tuple]:
        return (listed_row(e) for e in sorted(self.held, key=listed_order))

    def listed_lines(self) -> None:
        return None


def _interned(value: str | None) -> str | None:
    return None if value is None else intern(value)


class Verdict(Mapping[str, Any]):
    """What the report keeps of a clock's latest schedule (its state, due instant and outcome), read as the
    schedule's payload is: a few slots instead of the payload's dozen keys, for every clock of every case."""

    __slots__ = ("due_at", "outcome", "state")
    KEYS = ("state", "due_at", "outcome")

    def __init__(self, state: str, due_at: datetime, outcome: str | None) -> None:
        self.state, self.due_at, self.outcome = state, due_at, outcome

    @classmethod
    def of(cls, schedule: Mapping[str, Any]) -> Verdict:
        return cls(intern(schedule["state"]), schedule["due_at"], _interned(schedule.get("outcome")))

    def __getitem__(self, key: str) -> Any:
        if key not in self.KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.KEYS)

    def __len__(self) -> int:
        return len(self.KEYS)
