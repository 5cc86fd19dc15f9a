"""Alerts: what an SLA event or a likely duplicate asks of a person, open until acknowledged or resolved.

One alert per case and clock (ADR 0015): a later SLA event of the same clock is folded into it (its level rises,
its reminders count on, the roles it has reached grow) instead of opening another card.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from services.casework.domain.errors import CommandRefused
from services.casework.domain.roles import User

LEVEL_OF = {"SlaWarning": "warning", "SlaBreached": "breach", "SlaEscalated": "escalation"}
# How urgent a level is: what the worklist ranks by (a likely duplicate asks for a review, not yet overdue).
RANK = {"warning": 1, "review": 2, "breach": 3, "escalation": 4}
ROLES = ("hro", "team_leader", "director")


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
    reminders: int = 1  # the SLA events it holds: its first, then each new level or repeated breach
    latest_at: datetime | None = None  # the latest of them (None when made: `opened_at`)
    recipients: str = ""  # the roles it has reached, space-separated in ROLES order ("" when made: its recipient)

    def __post_init__(self) -> None:  # an alert of one event: its latest is its first, it reached its recipient
        if self.latest_at is None:
            object.__setattr__(self, "latest_at", self.opened_at)
        if not self.recipients:
            object.__setattr__(self, "recipients", self.recipient_role)

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None and self.resolved_at is None

    @property
    def live(self) -> bool:
        """Not resolved: a new SLA event of its clock is folded into it (and reopens it if acknowledged)."""
        return self.resolved_at is None

    @property
    def reached(self) -> tuple[str, ...]:
        return tuple(self.recipients.split())

    @property
    def last_at(self) -> datetime:
        return self.latest_at or self.opened_at

    @property
    def rank(self) -> int:
        return RANK.get(self.level, 0)


def from_sla_event(event_id: str, event_type: str, p: dict[str, Any], at: datetime) -> Alert | None:
    """The alert a warning, breach or escalation opens when its clock has none, at the SLA event's time."""
    level = LEVEL_OF.get(event_type)
    if level is None:
        return None
    return Alert(
        alert_id=event_id, case_id=p["case_id"], reference=p["reference"], office=p["office"], kind=p["clock"],
        level=level, recipient_role=p["recipient_role"], assignee=p.get("assignee"), period=p["period"],
        due_at=p["due_at"], opened_at=at, message=describe(level, p), latest_at=at, recipients=p["recipient_role"],
    )


def fold(alert: Alert, event_type: str, p: dict[str, Any], at: datetime) -> Alert:
    """A new SLA event of the clock of a live alert, held by it: the level only rises, the reminders count on, the
    event's recipient joins the roles reached. Anything new reopens an acknowledged alert, so that nothing escalating
    stays hidden behind an acknowledgement. `due_at` is the goal once breached (a warning's is its own instant):
    how long overdue the worklist ranks by, which neither a reminder nor an escalation moves."""
    level = LEVEL_OF[event_type]
    higher = RANK[level] > alert.rank
    shown = level if higher else alert.level
    due = p["due_at"] if higher and alert.level == "warning" else alert.due_at
    return replace(
        alert, level=shown, recipient_role=p["recipient_role"] if higher else alert.recipient_role,
        recipients=_with_role(alert.reached, p["recipient_role"]), reminders=alert.reminders + 1,
        latest_at=max(alert.last_at, at), period=max(alert.period, p["period"]), due_at=due,
        assignee=p.get("assignee", alert.assignee), message=describe(shown, {**p, "due_at": due}),
        acknowledged_by=None, acknowledged_at=None,
    )


def resolve(alert: Alert, at: datetime, resolution: str) -> Alert:
    """The clock cleared or stopped: the alert and all it holds are done with, acknowledged or not."""
    return replace(alert, resolved_at=at, resolution=resolution)


def _with_role(reached: tuple[str, ...], role: str) -> str:
    return " ".join(r for r in ROLES if r in reached or r == role)


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
        period=0, due_at=at, opened_at=at, latest_at=at, recipients="team_leader",
        message=f"Case {case['reference']} may duplicate incident(s) {others}: review, merge or keep",
    )


def may_see(user: User, alert: Alert) -> bool:
    """Each role the alert has reached sees it: HROs their own cases', Team Leaders their office's, Directors all."""
    if user.role not in alert.reached:
        return False
    if user.role == "director":
        return True
    if user.role == "hro":
        return alert.assignee == user.username
    return user.office == alert.office


def may_acknowledge(user: User, alert: Alert) -> bool:
    """Whoever it has reached may take it in hand, and so acknowledges every reminder it holds."""
    if not user.active or user.role not in alert.reached:
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
    return " or ".join(_one_addressee(alert, role) for role in alert.reached)


def _one_addressee(alert: Alert, role: str) -> str:
    if role == "director":
        return "the Director or a Deputy Director"
    if role == "hro":
        return f"the officer assigned to the case ({alert.assignee or 'nobody yet'})"
    return f"a Team Leader of {alert.office}"
