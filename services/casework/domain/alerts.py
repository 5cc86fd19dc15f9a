"""Alerts: what an SLA event or a likely duplicate asks of a person, open until acknowledged or resolved."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from services.casework.domain.errors import CommandRefused
from services.casework.domain.roles import User

LEVEL_OF = {"SlaWarning": "warning", "SlaBreached": "breach", "SlaEscalated": "escalation"}
SUPERSEDED = "overdue: the breach's alert replaces this warning"


@dataclass(frozen=True)
class Alert:
    alert_id: str
    case_id: str
    reference: str
    office: str
    kind: str  # an SLA clock name, or "possible_duplicate"
    level: str
    recipient_role: str
    assignee: str | None
    period: int
    due_at: datetime
    opened_at: datetime
    message: str
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str = ""

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None and self.resolved_at is None


def from_sla_event(event_id: str, event_type: str, p: dict[str, Any], at: datetime) -> Alert | None:
    """An alert for each warning, breach and escalation, opened at the SLA event's time; clears resolve alerts."""
    level = LEVEL_OF.get(event_type)
    if level is None:
        return None
    return Alert(
        alert_id=event_id, case_id=p["case_id"], reference=p["reference"], office=p["office"], kind=p["clock"],
        level=level, recipient_role=p["recipient_role"], assignee=p.get("assignee"), period=p["period"],
        due_at=p["due_at"], opened_at=at, message=describe(level, p),
    )


def describe(level: str, p: dict[str, Any]) -> str:
    what = {
        "recording": "not recorded within the recording goal",
        "stall": f"no activity at stage '{p['stage']}' (period {p['period']})",
        "review": "not reviewed by a Team Leader within the review period",
        "closure_approval": "closure awaiting a Director's decision",
    }.get(p["clock"], p["clock"])
    prefix = {"warning": "Due soon", "breach": "Overdue", "escalation": "Escalated"}[level]
    # A warning's instant is the warning's own, not the goal's: it is never called "due".
    instant = "warned" if level == "warning" else "due"
    return f"{prefix}: case {p['reference']} ({p['office']}) {what}; {instant} {p['due_at']:%Y-%m-%d %H:%M} UTC"


def duplicate_alert(alert_id: str, case: dict[str, Any], at: datetime) -> Alert:
    others = ", ".join(case["possible_duplicates"])
    return Alert(
        alert_id=alert_id, case_id=case["case_id"], reference=case["reference"], office=case["office"],
        kind="possible_duplicate", level="review", recipient_role="team_leader", assignee=case.get("assignee"),
        period=0, due_at=at, opened_at=at,
        message=f"Case {case['reference']} may duplicate incident(s) {others}: review, merge or keep",
    )


def may_acknowledge(user: User, alert: Alert) -> bool:
    if not user.active or user.role != alert.recipient_role:
        return False
    if user.role == "director":
        return True
    if user.role == "hro":
        return alert.assignee == user.username
    return user.office == alert.office


def acknowledge(alert: Alert, user: User, at: datetime) -> Alert:
    """The recipient takes the alert in hand; an alert already closed stays as it was."""
    if not user.active:
        raise CommandRefused(f"user {user.username} is deactivated")
    if not may_acknowledge(user, alert):
        raise CommandRefused(f"alert for {alert.reference} is addressed to {_addressee(alert)}, not to {user.username}")
    if not alert.is_open:
        state = "acknowledged" if alert.acknowledged_at else "resolved"
        raise CommandRefused(f"alert for {alert.reference} is already {state}")
    return replace(alert, acknowledged_by=user.username, acknowledged_at=at)


def _addressee(alert: Alert) -> str:
    if alert.recipient_role == "director":
        return "the Director or a Deputy Director"
    if alert.recipient_role == "hro":
        return f"the officer assigned to the case ({alert.assignee or 'nobody yet'})"
    return f"a Team Leader of {alert.office}"
