"""The case: its state, and how each case event changes it (the only place state changes)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from services.casework.domain import consent
from services.casework.domain.amendments import amended

# In a case's history but not part of its state: alerts are kept apart, so folding the history must give
# the case exactly as stored (same version), which the live path never bumped for these.
NOT_CASE_STATE = frozenset({"AlertAcknowledged", "DuplicateDismissed"})


@dataclass(frozen=True)
class Event:
    """A case event before it is enveloped: type as in schemas/, payload already typed."""

    type: str
    payload: dict[str, Any]
    occurred_at: datetime


@dataclass(frozen=True)
class Case:
    case_id: str
    reference: str
    incident_key: str
    office: str
    stage: str
    reported_at: datetime
    registered_at: datetime
    assignee: str | None = None
    recorded_at: datetime | None = None
    last_activity_at: datetime | None = None
    last_review_at: datetime | None = None
    closure: dict[str, Any] | None = None  # open closure request: proposer, reason, note, previous_stage
    delay: dict[str, Any] | None = None  # the latest justified delay: reason, until, note
    follow_ups: tuple[str, ...] = ()
    possible_duplicates: tuple[str, ...] = ()
    closed_at: datetime | None = None
    approved_by: str | None = None
    merged_into: str | None = None  # the reference of the case this one was merged into (closed as a duplicate)
    merged_from: tuple[str, ...] = ()  # the references of the cases merged into this one
    version: int = 0
    details: dict[str, Any] = field(default_factory=dict)  # incident facts shown on the case page

    def common(self, actor: str, stage: str | None = None, assignee: str | None = None) -> dict[str, Any]:
        """The fields every case event carries (see schemas.case.CaseEventSchema)."""
        return {
            "case_id": self.case_id,
            "reference": self.reference,
            "office": self.office,
            "stage": stage or self.stage,
            "actor": actor,
            "assignee": assignee if assignee is not None else self.assignee,
        }


def apply(case: Case, event: Event) -> Case:
    """Fold one event into the case; CaseRegistered is handled by `registered`."""
    if event.type in NOT_CASE_STATE:
        return case
    p, at = event.payload, event.occurred_at
    changes: dict[str, Any] = {"stage": p["stage"], "assignee": p.get("assignee"), "version": case.version + 1}
    if event.type == "CaseRecorded":
        changes |= {"recorded_at": at, "last_activity_at": at}
    elif event.type in ("ActivityLogged", "StageChanged", "FollowUpRecorded"):
        changes["last_activity_at"] = at
        if event.type == "FollowUpRecorded":
            changes["follow_ups"] = (*case.follow_ups, p["kind"])
    elif event.type == "DelayJustified":
        changes["delay"] = {"reason": p["reason"], "until": p["until"], "note": p.get("note", ""), "at": at}
    elif event.type == "CaseReviewed":
        changes["last_review_at"] = at
    elif event.type == "ClosureRequested":
        changes["closure"] = {"proposer": p["actor"], "reason": p["reason"], "note": p["note"],
                              "previous_stage": p["previous_stage"], "requested_at": at}
    elif event.type == "ClosureApproved":
        changes |= {"closed_at": at, "approved_by": p["actor"]}
    elif event.type == "CaseClosedWithoutApproval":  # historical only (ADR 0006): closed, nobody approved
        changes |= {"closed_at": at, "closure": None, "approved_by": None}
    elif event.type == "ClosureRejected":
        changes |= {"closure": None, "last_activity_at": at}
    elif event.type == "IncidentAmended":  # the details change; no clock moves (see domain.amendments)
        changes["details"] = amended(case.details, p["changes"])
    elif event.type == "ConsentRecorded":  # the person's consent, as the case shows and sharing reads it
        changes["details"] = consent.recorded(case.details, p["person"], p["consent"])
    elif event.type == "ConsentWithdrawn":
        changes["details"] = consent.withdrawn(case.details, p["person"], p["withdrawn"], p.get("partners") or [],
                                               p["withdrawn_at"])
    elif event.type == "CaseReopened":
        changes |= {"closure": None, "closed_at": None, "approved_by": None, "merged_into": None,
                    "last_activity_at": at}
    elif event.type == "CaseMerged":  # closed as the same incident as another case (ADR 0022): no Director's approval
        changes |= {"closed_at": at, "closure": None, "approved_by": None, "merged_into": p["into_reference"]}
    elif event.type == "DuplicateAbsorbed":
        changes["merged_from"] = (*case.merged_from, p["from_reference"])
    return replace(case, **changes)


def registered(event: Event, details: dict[str, Any]) -> Case:
    p = event.payload
    return Case(
        case_id=p["case_id"],
        reference=p["reference"],
        incident_key=p["incident_key"],
        office=p["office"],
        stage=p["stage"],
        reported_at=p["reported_at"],
        registered_at=event.occurred_at,
        assignee=p.get("assignee"),
        possible_duplicates=tuple(p.get("possible_duplicates", ())),
        version=1,
        details=details,
    )
