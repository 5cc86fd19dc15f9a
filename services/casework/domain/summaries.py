"""The case read model's row: what lists, filters, sorting and counts need of a case, derived from it alone."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from reference.places import region_of_incident
from services.casework.domain.case import Case
from services.casework.domain.schedules import Schedule, next_deadline

EXCERPT = 240  # characters of the summary a list shows beside the reference
FLAGS = ("possible_duplicate", "consent_withdrawn", "free_text_place", "unit_unknown", "delay_justified",
         "closed_without_approval")


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def summary_of(case: Case) -> dict[str, Any]:
    """The row of a case, from the case as its events left it (the deadline columns come from `deadline_of`)."""
    facts = case.details
    region = region_of_incident(facts.get("place_pcode"), facts.get("location"))
    people = facts.get("people") or []
    victims = facts.get("victims") or {}
    return {
        "case_id": case.case_id, "reference": case.reference, "office": case.office, "stage": case.stage,
        "assignee": case.assignee, "sitrep_id": facts.get("sitrep_id"),
        "reported_at": case.reported_at, "occurred_at": _when(facts.get("occurred_at")),
        "registered_at": case.registered_at, "recorded_at": case.recorded_at,
        "last_activity_at": case.last_activity_at, "closed_at": case.closed_at,
        "closure_requested_at": (case.closure or {}).get("requested_at"),
        "place": facts.get("location") or "", "place_pcode": facts.get("place_pcode"),
        "region_pcode": region.pcode if region else None,
        "latitude": facts.get("latitude"), "longitude": facts.get("longitude"),
        # Space-delimited on both sides, so that one code is found whole: " killing torture ".
        "violations": " " + " ".join(sorted(set(facts.get("violation_types") or []))) + " ",
        "perpetrator": facts.get("perpetrator_category"),
        "victims": sum(int(n) for n in victims.values()) if isinstance(victims, dict) else 0,
        "excerpt": (facts.get("summary") or "")[:EXCERPT],
        "possible_duplicate": bool(case.possible_duplicates),
        "consent_withdrawn": any((p.get("consent") or {}).get("withdrawn_at") for p in people),
        "free_text_place": bool(facts.get("place_free_text")) or not facts.get("place_pcode"),
        "unit_unknown": bool(facts.get("perpetrator_unit_unknown")),
        "delay_justified": case.delay is not None,
        # A merge closes a case without a Director's approval by design (ADR 0022): not a closure that skipped one.
        "closed_without_approval": case.closed_at is not None and case.approved_by is None and not case.merged_into,
        # What the overview counts (ADR 0019): follow-ups of closed cases, the stalled with a reason, the delays.
        "follow_ups": len(case.follow_ups),
        "stall_reason": _delay_since_activity(case),
        "recording_days": (None if case.recorded_at is None
                           else (case.recorded_at - case.reported_at).total_seconds() / 86400),
        "version": case.version,
    }


def _delay_since_activity(case: Case) -> bool:
    """A justified delay recorded since the case's last activity: the reason a stalled case gives (work after it
    ends the delay, as the reports fold it: services/reporting/domain/cases.py ACTIVITY)."""
    if case.delay is None:
        return False
    at = _when(case.delay.get("at"))
    return case.last_activity_at is None or at is None or at >= case.last_activity_at


def violations_of(case: Case) -> list[str]:
    """The violation types a case counts under (one row each in the read model's violation index)."""
    return sorted(set(case.details.get("violation_types") or []))


def deadline_of(schedules: Iterable[Schedule]) -> dict[str, Any]:
    """The read model's deadline columns: the next running clock (what lists sort by and SLA states read) and the
    recording clock as the monitor last scheduled it (what the overview's recording figures count), and the running
    stall clock's goal (what its stalled count reads)."""
    found = list(schedules)
    deadline = next_deadline(found)
    recording = next((s for s in found if s.clock == "recording"), None)
    stall = next((s for s in found if s.clock == "stall" and s.running), None)
    return {
        "next_clock": deadline.clock if deadline else None,
        "next_due_at": deadline.due_at if deadline else None,
        "next_warn_at": deadline.warn_at if deadline else None,
        "next_paused_until": deadline.paused_until if deadline else None,
        "recording_due_at": recording.due_at if recording else None,
        "recording_outcome": (recording.outcome or "missed") if recording and not recording.running else None,
        "recording_stopped_at": recording.stopped_at if recording else None,
        "stall_due_at": stall.due_at if stall else None,  # a case is stalled once its running stall goal has come
    }
