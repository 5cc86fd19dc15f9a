"""Each case as at a date, folded from its case events (stage and since when, recording, work, closure) and from the
monitor's schedules of its clocks (when each is due, and whether it met its goal): facts, and the clocks' verdicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from services.reporting.domain.events import Event

# As casework's Case.last_activity_at: what counts as work on a case (a fact the report shows: "no work since").
ACTIVITY = frozenset({"CaseRecorded", "ActivityLogged", "StageChanged", "FollowUpRecorded", "ClosureRejected",
                      "CaseReopened"})
REVIEW_RESTARTS = frozenset({"CaseRecorded", "CaseReviewed", "CaseReopened", "ClosureRejected"})
OPEN_STAGES = ("preliminary", "investigation", "concluded")
STAGE_ORDER = ("reported", "preliminary", "investigation", "concluded", "closure_requested", "closed")


@dataclass(frozen=True)
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

    def overdue(self, clock: str, as_of: datetime) -> bool:
        """The clock runs and its goal has come (at its due instant the monitor's breach fires)."""
        s = self.clocks.get(clock)
        return s is not None and s["state"] != "stopped" and goal_come(s, as_of)

    def recording_verdict(self, as_of: datetime) -> str:
        """Where the recording goal stands at `as_of`, from the monitor's schedule (never worked out here):
        `met` / `missed` as the monitor judged the recording; `overdue` not recorded and its goal come; `pending`
        not recorded and its goal still ahead; `unjudged` recorded while the monitor's verdict has yet to arrive
        (its goal has come: counted, never as on time); `unscheduled` no schedule from the monitor yet."""
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
    return with_clocks(_fold_events(events, as_of), schedules, as_of)


def with_clocks(cases: dict[str, CaseFacts], schedules: Iterable[Event], as_of: datetime) -> dict[str, CaseFacts]:
    """The cases with the latest schedule of each clock published by `as_of` (a later one replaces an earlier)."""
    latest: dict[str, dict[str, Mapping[str, Any]]] = {}
    for event in sorted(schedules, key=lambda e: e.offset):
        if event.occurred_at <= as_of:
            latest.setdefault(event.payload["case_id"], {})[event.payload["clock"]] = event.payload
    return {case_id: replace(case, clocks=latest.get(case_id, {})) for case_id, case in cases.items()}


def _fold_events(events: Iterable[Event], as_of: datetime) -> dict[str, CaseFacts]:
    cases: dict[str, CaseFacts] = {}
    for event in sorted(events, key=lambda e: e.offset):
        if event.occurred_at > as_of:
            continue
        p = event.payload
        if event.type == "CaseRegistered":
            if p["case_id"] not in cases:
                cases[p["case_id"]] = _registered(event)
            continue
        case = cases.get(p["case_id"])
        if case is not None:
            cases[case.case_id] = _apply(case, event)
    return cases


def _registered(event: Event) -> CaseFacts:
    p = event.payload
    return CaseFacts(
        case_id=p["case_id"], reference=p["reference"], office=p["office"], incident_key=p["incident_key"],
        sitrep_id=p["sitrep_id"], location=p["location"], violation_types=tuple(p["violation_types"]),
        reported_at=p["reported_at"], registered_at=event.occurred_at, stage=p["stage"],
        stage_since=p["reported_at"], assignee=p.get("assignee"), place_pcode=p.get("place_pcode"),
        latitude=p.get("latitude"), longitude=p.get("longitude"),
    )


def _apply(case: CaseFacts, event: Event) -> CaseFacts:
    p, at, kind = event.payload, event.occurred_at, event.type
    changes: dict = {"assignee": p.get("assignee"), "reference": p["reference"], "office": p["office"]}
    if p["stage"] != case.stage:
        changes |= {"stage": p["stage"], "stage_since": at}
    if kind in ACTIVITY:
        changes |= {"last_activity_at": at, "delay_reason": None, "delay_until": None}
    if kind in REVIEW_RESTARTS:
        changes["review_since"] = at
    if kind == "CaseRecorded":
        changes |= {"recorded_at": at, "recorded_by": p["actor"]}
    elif kind == "DelayJustified":
        changes |= {"delay_reason": p["reason"], "delay_until": p["until"]}
    elif kind == "FollowUpRecorded":
        changes["follow_ups"] = case.follow_ups + 1
    elif kind == "ClosureRequested":
        changes["closure_requested_at"] = at
    elif kind in ("ClosureApproved", "CaseClosedWithoutApproval"):
        approved = kind == "ClosureApproved"
        changes |= {"closed_at": at, "closed_by": p["actor"], "closure": "approved" if approved else "without_approval"}
    elif kind == "CaseMerged":  # closed as the same incident as another case, by a Team Leader (ADR 0022)
        changes |= {"closed_at": at, "closed_by": p["actor"], "closure": "merged"}
    elif kind in ("CaseReopened", "ClosureRejected"):
        changes |= {"closed_at": None, "closed_by": None, "closure": None, "closure_requested_at": None}
    elif kind == "IncidentAmended":  # figures count the incident as amended, from the amendment's time on
        changes |= _amended(p["changes"])
    return replace(case, **changes)


def _amended(fields: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The facts a report keeps of an incident (where, which violations) as an amendment leaves them."""
    out: dict[str, Any] = {}
    if "location" in fields:
        out["location"] = fields["location"]["new"]
    if "violation_types" in fields:
        out["violation_types"] = tuple(fields["violation_types"]["new"])
    return out
