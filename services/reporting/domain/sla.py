"""What hrcase would have done: the SLA warnings, breaches and escalations over the period, and to whom."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from schemas import vocabulary
from services.reporting.domain.events import Event
from services.reporting.domain.model import Table

CLOCKS = vocabulary.CLOCKS  # the wire vocabulary, which the monitor's clock registry is tested against
LEVELS = ("warning", "breach", "escalation", "cleared")
CLOCK_LABELS = {"recording": "Recording (4-day rule)", "stall": "Stall (no activity)", "review": "Team Leader review",
                "closure_approval": "Closure decision"}
ROLE_LABELS = {"hro": "assigned officer", "team_leader": "Team Leader", "director": "Director"}


def recipient(payload: Mapping[str, Any]) -> str:
    """Who an SLA event went to: the Director, an office's Team Leader, or the named officer."""
    role = payload["recipient_role"]
    if role == "director":
        return "Director"
    if role == "hro":
        return f"officer {payload.get('assignee') or '(unassigned)'}"
    return f"Team Leader, {payload['office']}"


def counts(events: Iterable[Event]) -> Counter:
    return Counter((e.payload["clock"], e.payload["level"]) for e in events)


def by_clock(events: Sequence[Event]) -> Table:
    n = counts(events)
    rows = [(CLOCK_LABELS[c], *[n[(c, lv)] for lv in LEVELS]) for c in CLOCKS]
    rows.append(("Total", *[sum(n[(c, lv)] for c in CLOCKS) for lv in LEVELS]))
    return Table("sla_events_by_clock", "SLA events the monitor emitted, by clock and level",
                 ("Clock", "Warnings", "Breaches", "Escalations", "Cleared"), tuple(rows),
                 "Warnings go to the assigned officer (the Team Leader if nobody is assigned); breaches to the "
                 "office's Team Leader (closure decisions: the Director); escalations to the Director.")


def recording_by_month(events: Sequence[Event], offices: Sequence[str]) -> Table:
    """Recording breaches per month and office (each went to that office's Team Leader), and escalations."""
    recording = [e for e in events if e.payload["clock"] == "recording"]
    months = sorted({e.occurred_at.strftime("%Y-%m") for e in recording if e.payload["level"] != "cleared"})
    rows = []
    for month in months:
        mine = [e for e in recording if e.occurred_at.strftime("%Y-%m") == month]
        breaches = Counter(e.payload["office"] for e in mine if e.payload["level"] == "breach")
        escalations = sum(1 for e in mine if e.payload["level"] == "escalation")
        rows.append((month, *[breaches[o] for o in offices], sum(breaches.values()), escalations))
    return Table("recording_breaches_by_month",
                 "Recording breaches by month: to each office's Team Leader, and escalations to the Director",
                 ("Month", *[f"Team Leader, {o}" for o in offices], "Breaches", "Escalations to the Director"),
                 tuple(rows), "Each event is dated by its deadline (report time plus the policy's goal or "
                 "escalation days), and counted in that month.")


def event_list(events: Sequence[Event]) -> Table:
    rows = tuple(
        (e.occurred_at.isoformat(timespec="minutes"), e.payload["reference"], e.payload["office"], e.payload["clock"],
         e.payload["level"], e.payload["period"], recipient(e.payload) if e.payload["level"] != "cleared" else "",
         e.payload.get("reason") or "", e.payload["policy_version"])
        for e in sorted(events, key=_order)
    )
    return Table("sla_events", "Every SLA event, in time order",
                 ("When", "Case", "Office", "Clock", "Level", "Period", "To", "Cleared because", "Policy"), rows,
                 preview=50)


def _order(e: Event) -> tuple:
    """Time, then case, clock and level: the same events list the same way however the monitor was run."""
    p = e.payload
    return e.occurred_at, p["reference"], CLOCKS.index(p["clock"]), LEVELS.index(p["level"]), p["period"]
