"""Each case as at a date, folded from its case events (stage and since when, recording, work, closure) and from the
monitor's schedules of its clocks (when each is due, and whether it met its goal): facts, and the clocks' verdicts."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from datetime import datetime
from operator import attrgetter
from typing import Any

from services.reporting.domain.events import Event, Verdict

# As casework's Case.last_activity_at: what counts as work on a case (a fact the report shows: "no work since").
ACTIVITY = frozenset({"CaseRecorded", "ActivityLogged", "StageChanged", "FollowUpRecorded", "ClosureRejected",
                      "CaseReopened"})
REVIEW_RESTARTS = frozenset({"CaseRecorded", "CaseReviewed", "CaseReopened", "ClosureRejected"})
OPEN_STAGES = ("preliminary", "investigation", "concluded")
STAGE_ORDER = ("reported", "preliminary", "investigation", "concluded", "closure_requested", "closed")


@dataclass(frozen=True, slots=True)
class CaseFacts:
    case_id: str
    reference: str
    office: str
    incident_key: str
    sitrep_id: str
    location: str
    violation_types: tuple[str, ...]
    reported_at: datetime
    registered_at: datetime
    stage: str
    stage_since: datetime
    assignee: str | None = None
    recorded_at: datetime | None = None
    recorded_by: str | None = None
    last_activity_at: datetime | None = None
    review_since: datetime | None = None  # recorded, reopened, closure rejected or last reviewed
    delay_reason: str | None = None  # a justified delay recorded since the last activity
    delay_until: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    closure: str | None = None  # "approved" (a Director's decision), "without_approval" (historical) or "merged"
    closure_requested_at: datetime | None = None
    follow_ups: int = 0
    place_pcode: str | None = None  # the gazetteer's unit, when the incident names one (issue 20); else `location`
    latitude: float | None = None  # the incident's own coordinates, when given
    longitude: float | None = None
    # The latest SlaScheduled payload of each of its clocks as at the date: what decides due, overdue and on time.
    clocks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The last recording verdict worked out, with its date: a report asks each case's some twenty times (each table
    # of offices, officers and regions), which at a million cases was a fifth of its time. Not a fact: never
    # compared, copied or given; a `replace` starts without it.
    _verdict: tuple[datetime, str] | None = field(default=None, init=False, repr=False, compare=False)

    def overdue(self, clock: str, as_of: datetime) -> bool:
        """The clock runs and its goal has come (at its due instant the monitor's breach fires)."""
        s = self.clocks.get(clock)
        return s is not None and s["state"] != "stopped" and goal_come(s, as_of)

    def recording_verdict(self, as_of: datetime) -> str:
        """Where the recording goal stands at `as_of`, from the monitor's schedule (never worked out here):
        `met` / `missed` as the monitor judged the recording; `overdue` not recorded and its goal come; `pending`
        not recorded and its goal still ahead; `unjudged` recorded while the monitor's verdict has yet to arrive
        (its goal has come: counted, never as on time); `unscheduled` no schedule from the monitor yet."""
        known = self._verdict
        if known is not None and known[0] == as_of:
            return known[1]
        verdict = self._recording_verdict(as_of)
        object.__setattr__(self, "_verdict", (as_of, verdict))  # frozen: set as dataclasses' own __init__ does
        return verdict

    def _recording_verdict(self, as_of: datetime) -> str:
        s = self.clocks.get("recording")
        if s is None:
            return "unscheduled"
        due = goal_come(s, as_of)
        if self.recorded_at is not None and s["state"] == "stopped":
            return "met" if s.get("outcome") == "met" else "missed"
        if self.recorded_at is not None:
            return "unjudged" if due else "pending"
        if s["state"] == "stopped":  # closed before anyone recorded it: never on time once its goal has come
            return "missed" if due else "pending"
        return "overdue" if due else "pending"

    @property
    def recorded_on_time(self) -> bool:
        """Recorded before its recording clock's goal: the outcome the monitor published when it stopped it."""
        s = self.clocks.get("recording")
        return self.recorded_at is not None and s is not None and s.get("outcome") == "met"

    @property
    def recording_days(self) -> float | None:
        if self.recorded_at is None:
            return None
        return (self.recorded_at - self.reported_at).total_seconds() / 86400

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def work_since(self) -> datetime:
        """When work last happened: the last activity, or the report if there was none."""
        return self.last_activity_at or self.reported_at


def goal_come(schedule: Mapping[str, Any], as_of: datetime) -> bool:
    """A schedule's goal has come at its due instant (the instant the monitor's breach fires), as casework shows it."""
    return bool(as_of >= schedule["due_at"])


def fold(events: Iterable[Event], as_of: datetime, schedules: Iterable[Event] = ()) -> dict[str, CaseFacts]:
    """Cases as at `as_of` from case events and SlaScheduled events in log order; events after `as_of` are ignored."""
    folding = Folding(as_of)
    for event in sorted(events, key=lambda e: e.offset):
        folding.add(event)
    return with_clocks(folding.facts(), schedules, as_of)


def with_clocks(cases: dict[str, CaseFacts], schedules: Iterable[Event], as_of: datetime) -> dict[str, CaseFacts]:
    """The cases with the latest schedule of each clock published by `as_of` (a later one replaces an earlier)."""
    latest = Latest(as_of)
    for event in sorted(schedules, key=lambda e: e.offset):
        latest.add(event.occurred_at, event.payload)
    return {case_id: replace(case, clocks=latest.of(case_id)) for case_id, case in cases.items()}


class Latest:
    """The latest schedule of each clock of each case published by `as_of`, kept as its verdict, as they arrive."""

    def __init__(self, as_of: datetime) -> None:
        self.as_of = as_of
        self.by_case: dict[str, dict[str, Verdict]] = {}

    def add(self, occurred_at: datetime, schedule: Mapping[str, Any]) -> None:
        if occurred_at <= self.as_of:
            self.by_case.setdefault(schedule["case_id"], {})[sys.intern(schedule["clock"])] = Verdict.of(schedule)

    def of(self, case_id: str) -> Mapping[str, Mapping[str, Any]]:
        return self.by_case.get(case_id, {})


_FIELDS = tuple(f.name for f in fields(CaseFacts) if f.name != "clocks" and f.init)
assert [f.name for f in fields(CaseFacts) if f.init][-1] == "clocks", "_Case.facts passes the clocks last"
_values = attrgetter(*_FIELDS)


class _Case:
    """A case's facts while its events arrive: changed in place (a frozen copy per event cost more than the fold).
    Its attributes are CaseFacts' fields but its clocks (a test holds them equal)."""

    __slots__ = _FIELDS
    case_id: str
    reference: str
    office: str
    incident_key: str
    sitrep_id: str
    location: str
    violation_types: tuple[str, ...]
    reported_at: datetime
    registered_at: datetime
    stage: str
    stage_since: datetime
    assignee: str | None
    recorded_at: datetime | None
    recorded_by: str | None
    last_activity_at: datetime | None
    review_since: datetime | None
    delay_reason: str | None
    delay_until: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    closure: str | None
    closure_requested_at: datetime | None
    follow_ups: int
    place_pcode: str | None
    latitude: float | None
    longitude: float | None

    def facts(self, clocks: Mapping[str, Mapping[str, Any]]) -> CaseFacts:
        # In the fields' order, by one attrgetter: a million cases are made at each report from the store.
        return CaseFacts(*_values(self), clocks)  # type: ignore[call-arg]


class Folding:
    """Case events folded one at a time, in log order, into each case's facts; only the facts are kept."""

    def __init__(self, as_of: datetime) -> None:
        self.as_of = as_of
        self.cases: dict[str, _Case] = {}

    def add(self, event: Event) -> None:
        if event.occurred_at > self.as_of:
            return
        p = event.payload
        if event.type == "CaseRegistered":
            if p["case_id"] not in self.cases:
                self.cases[sys.intern(p["case_id"])] = _registered(event)
            return
        case = self.cases.get(p["case_id"])
        if case is not None:
            _apply(case, event)

    def facts(self, clocks: Latest | None = None) -> dict[str, CaseFacts]:
        return {case_id: case.facts(clocks.of(case_id) if clocks else {}) for case_id, case in self.cases.items()}


def _registered(event: Event) -> _Case:
    p = event.payload
    case = _Case()
    for name in _FIELDS:  # the defaults of CaseFacts' optional fields
        default = CaseFacts.__dataclass_fields__[name].default
        setattr(case, name, None if default is MISSING else default)
    case.case_id, case.reference, case.office = p["case_id"], p["reference"], sys.intern(p["office"])
    case.incident_key, case.sitrep_id, case.location = p["incident_key"], p["sitrep_id"], p["location"]
    case.violation_types, case.reported_at = tuple(p["violation_types"]), p["reported_at"]
    case.registered_at, case.stage, case.stage_since = event.occurred_at, p["stage"], p["reported_at"]
    case.assignee, case.place_pcode = _name(p.get("assignee")), p.get("place_pcode")
    case.latitude, case.longitude = p.get("latitude"), p.get("longitude")
    return case


def _name(value: str | None) -> str | None:
    """Officers, offices and stages repeat over a million cases: one string each."""
    return None if value is None else sys.intern(value)


def _apply(case: _Case, event: Event) -> None:
    p, at, kind = event.payload, event.occurred_at, event.type
    case.assignee, case.reference, case.office = _name(p.get("assignee")), p["reference"], sys.intern(p["office"])
    if p["stage"] != case.stage:
        case.stage, case.stage_since = sys.intern(p["stage"]), at
    if kind in ACTIVITY:
        case.last_activity_at, case.delay_reason, case.delay_until = at, None, None
    if kind in REVIEW_RESTARTS:
        case.review_since = at
    if kind == "CaseRecorded":
        case.recorded_at, case.recorded_by = at, p["actor"]
    elif kind == "DelayJustified":
        case.delay_reason, case.delay_until = p["reason"], p["until"]
    elif kind == "FollowUpRecorded":
        case.follow_ups += 1
    elif kind == "ClosureRequested":
        case.closure_requested_at = at
    elif kind in ("ClosureApproved", "CaseClosedWithoutApproval"):
        approved = kind == "ClosureApproved"
        case.closed_at, case.closed_by = at, p["actor"]
        case.closure = "approved" if approved else "without_approval"
    elif kind == "CaseMerged":  # closed as the same incident as another case, by a Team Leader (ADR 0022)
        case.closed_at, case.closed_by, case.closure = at, p["actor"], "merged"
    elif kind in ("CaseReopened", "ClosureRejected"):
        case.closed_at = case.closed_by = case.closure = case.closure_requested_at = None
    elif kind == "IncidentAmended":  # figures count the incident as amended, from the amendment's time on
        for name, value in _amended(p["changes"]).items():
            setattr(case, name, value)


def _amended(fields: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The facts a report keeps of an incident (where, which violations) as an amendment leaves them."""
    out: dict[str, Any] = {}
    if "location" in fields:
        out["location"] = fields["location"]["new"]
    if "violation_types" in fields:
        out["violation_types"] = tuple(fields["violation_types"]["new"])
    return out
