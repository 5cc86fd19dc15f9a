"""Words for the values the system stores (stages, clocks, reasons...), in the reader's language."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

LABELS: dict[str, dict[str, Any]] = {
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
    "violation": {
        "killing": _l("Killing"), "injury": _l("Injury"), "abduction": _l("Abduction"),
        "enforced_disappearance": _l("Enforced disappearance"), "arbitrary_detention": _l("Arbitrary detention"),
        "torture": _l("Torture"), "sexual_violence": _l("Sexual violence"),
        "recruitment_of_children": _l("Recruitment of children"), "attack_on_civilians": _l("Attack on civilians"),
        "forced_displacement": _l("Forced displacement"), "destruction_of_property": _l("Destruction of property"),
        "threats_and_intimidation": _l("Threats and intimidation"), "other": _l("Other"),
    },
    "perpetrator": {
        "state_armed_forces": _l("State armed forces"), "state_security_forces": _l("State security forces"),
        "international_forces": _l("International forces"), "armed_group": _l("Armed group"),
        "community_militia": _l("Community militia"), "unidentified": _l("Unidentified"), "other": _l("Other"),
    },
    "source": {
        "victim": _l("Victim"), "direct_witness": _l("Direct witness"), "indirect_witness": _l("Indirect witness"),
        "ngo": _l("NGO"), "media": _l("Media"), "official": _l("Official"), "other": _l("Other"),
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
        "AlertAcknowledged": _l("Alert acknowledged"),
    },
}


def label(kind: str, value: Any) -> str:
    if value is None:
        return "—"
    found = LABELS.get(kind, {}).get(value)
    return str(found) if found is not None else str(value)


def choices(kind: str, values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, label(kind, v)) for v in values]
