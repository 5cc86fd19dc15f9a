"""Words for the values the system stores (stages, clocks, reasons...), in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import has_request_context

from schemas.vocabulary import term_label
from services.casework.web.i18n import language, request_translations


def _l(message: str) -> str:
    """A label's English words, marked for the catalogue (pybabel's `-k _l`): `label` translates them when shown,
    with the request's catalogue (a lazy string looked flask-babel's domain up again each time it was shown)."""
    return message


# Kinds whose words are the vocabularies' own labels (reference/data, or the installation's file with an admin's
# additions): written once there, in English and French, never copied into the catalogue.
VOCABULARIES = {"violation": "violation_types", "perpetrator": "perpetrator_types", "source": "source_types",
                "reliability": "source_reliability", "occupation": "occupation_categories"}

LABELS: dict[str, dict[str, str]] = {
    "stage": {
        "reported": _l("Reported"), "preliminary": _l("Preliminary"), "investigation": _l("Investigation"),
        "concluded": _l("Concluded"), "closure_requested": _l("Closure requested"), "closed": _l("Closed"),
    },
    "clock": {
        "recording": _l("Recording"), "stall": _l("Activity (stall)"), "review": _l("Team Leader review"),
        "closure_approval": _l("Closure decision"), "possible_duplicate": _l("Possible duplicate"),
    },
    "sla": {
        "overdue": _l("Overdue"), "due_soon": _l("Due soon"), "on_track": _l("On track"), "paused": _l("Paused"),
        "none": _l("No clock"),
    },
    "level": {"warning": _l("Warning"), "breach": _l("Breach"), "escalation": _l("Escalation"),
              "review": _l("To review")},
    "alert_state": {"open": _l("Open"), "acknowledged": _l("Acknowledged"), "resolved": _l("Resolved")},
    "role": {
        "hro": _l("Human Rights Officer"), "team_leader": _l("Team Leader"), "director": _l("Director"),
        "auditor": _l("Auditor"), "admin": _l("Administrator"),
    },
    "closure_reason": {
        "concluded": _l("Concluded (findings made)"), "unsubstantiated": _l("Unsubstantiated"),
        "duplicate": _l("Duplicate"), "merged": _l("Merged with another case"),
    },
    "delay_reason": {
        "access_constraints": _l("Access constraints"), "security": _l("Security"),
        "awaiting_information": _l("Awaiting information"), "other": _l("Other"),
    },
    "follow_up": {
        "handover_national_authorities": _l("Handover to national authorities"),
        "referral_to_services": _l("Referral to services"), "advocacy": _l("Advocacy"),
        "public_report": _l("Public report"), "other": _l("Other"),
    },
    "victims": {
        "female_adult": _l("Women"), "female_child": _l("Girls"), "male_adult": _l("Men"), "male_child": _l("Boys"),
        "unknown": _l("Unknown"),
    },
    "person_role": {"victim": _l("Victim"), "witness": _l("Witness"), "source": _l("Source")},
    "sex": {"female": _l("Female"), "male": _l("Male"), "other": _l("Other"), "unknown": _l("Unknown")},
    "age_group": {"adult": _l("Adult"), "child": _l("Child"), "unknown": _l("Unknown")},
    "occupation": {
        "human_rights_defender": _l("Human rights defender"), "journalist": _l("Journalist"),
        "trade_unionist": _l("Trade unionist"), "other": _l("Other"),
    },
    "protection_risk": {"none": _l("No risk"), "low": _l("Low risk"), "medium": _l("Medium risk"),
                        "high": _l("High risk"), "unknown": _l("Risk unknown")},
    "consent": {"recorded": _l("to be recorded"), "contact": _l("to be contacted"),
                "referral": _l("to be referred")},
    "event": {
        "CaseRegistered": _l("Case registered"), "CaseRecorded": _l("Recorded"), "CaseAssigned": _l("Assigned"),
        "ActivityLogged": _l("Activity logged"), "StageChanged": _l("Stage changed"),
        "DelayJustified": _l("Delay justified"), "CaseReviewed": _l("Reviewed"),
        "ClosureRequested": _l("Closure proposed"), "ClosureApproved": _l("Closure approved"),
        "ClosureRejected": _l("Closure rejected"), "CaseClosedWithoutApproval": _l("Closed without approval"),
        "FollowUpRecorded": _l("Follow-up recorded"), "CaseReopened": _l("Reopened"),
        "AlertAcknowledged": _l("Alert acknowledged"), "IncidentAmended": _l("Incident amended"),
        "ConsentRecorded": _l("Consent recorded"), "ConsentWithdrawn": _l("Consent withdrawn"),
        "IdentityCorrected": _l("Identity corrected"),
        "DuplicateDismissed": _l("Not a duplicate"), "CaseMerged": _l("Merged into another case"),
        "DuplicateAbsorbed": _l("Duplicate merged in"),
    },
    "identity_field": {"names": _l("names"), "date_of_birth": _l("date of birth"), "contact": _l("contact")},
    "duplicate_reason": {
        "window": _l("occurred within 3 days"), "same_place": _l("same place"), "same_region": _l("same region"),
        "violation": _l("same violation"), "similar_summary": _l("similar summaries"),
        "same_report": _l("same report"),
    },
    "pair_status": {"open": _l("To decide"), "distinct": _l("Distinct incidents"), "merged": _l("Merged"),
                    "superseded": _l("Left by a merge")},
}


def label(kind: str, value: Any) -> str:
    if value is None:
        return "—"
    if kind in VOCABULARIES:
        return term_label(VOCABULARIES[kind], str(value), language()) or str(value)
    found = LABELS.get(kind, {}).get(value)
    if found is None:
        return str(value)
    return request_translations().ugettext(found) if has_request_context() else found





def choices(kind: str, values: Sequence[str]) -> list[tuple[str, str]]:
    return [(v, label(kind, v)) for v in values]
