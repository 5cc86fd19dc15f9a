"""What hrcase would have done: the SLA warnings, breaches and escalations over the period, and to whom."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

from schemas import vocabulary
from services.reporting.domain.events import LEVELS, Crossing, Crossings
from services.reporting.domain.model import LazyRows, Table

CLOCKS = vocabulary.CLOCKS  # the wire vocabulary, which the monitor's clock registry is tested against
CLOCK_LABELS = {"recording": "Recording (4-day rule)", "stall": "Stall (no activity)", "review": "Team Leader review",
                "closure_approval": "Closure decision"}
ROLE_LABELS = {"hro": "assigned officer", "team_leader": "Team Leader", "director": "Director"}


def recipient(event: Crossing) -> str:
    """Who an SLA event went to: the Director, an office's Team Leader, or the named officer."""
    role = event.recipient_role
    if role == "director":
        return "Director"
    if role == "hro":
        return f"officer {event.assignee or '(unassigned)'}"
    return f"Team Leader, {event.office}"


def counts(events: Iterable[Crossing]) -> Counter:
    return Counter((e.clock, e.level) for e in events)


def by_clock(events: Iterable[Crossing]) -> Table:
    n = counts(events)
    rows = [(CLOCK_LABELS[c], *[n[(c, lv)] for lv in LEVELS]) for c in CLOCKS]
    rows.append(("Total", *[sum(n[(c, lv)] for c in CLOCKS) for lv in LEVELS]))
    return Table("sla_events_by_clock", "SLA events the monitor emitted, by clock and level",
                 ("Clock", "Warnings", "Breaches", "Escalations", "Cleared"), tuple(rows),
                 "Warnings go to the assigned officer (the Team Leader if nobody is assigned); breaches to the "
                 "office's Team Leader (closure decisions: the Director); escalations to the Director.")


def recording_by_month(events: Iterable[Crossing], offices: Sequence[str]) -> Table:
    """Recording breaches per month and office (each went to that office's Team Leader), and escalations."""
    shown: set[str] = set()  # months with a warning, breach or escalation (a month of clears only is not a row)
    breaches: dict[str, Counter] = {}
    escalations: Counter = Counter()
    for e in events:  # one pass, grouped by month
        if e.clock != "recording":
            continue
        month = f"{e.occurred_at.year:04d}-{e.occurred_at.month:02d}"
        if e.level != "cleared":
            shown.add(month)
        if e.level == "breach":
            breaches.setdefault(month, Counter())[e.office] += 1
        elif e.level == "escalation":
            escalations[month] += 1
    rows = []
    for month in sorted(shown):
        mine = breaches.get(month, Counter())
        rows.append((month, *[mine[o] for o in offices], sum(mine.values()), escalations[month]))
    return Table("recording_breaches_by_month",
                 "Recording breaches by month: to each office's Team Leader, and escalations to the Director",
                 ("Month", *[f"Team Leader, {o}" for o in offices], "Breaches", "Escalations to the Director"),
                 tuple(rows), "Each event is dated by its deadline (report time plus the policy's goal or "
                 "escalation days), and counted in that month.")


def event_list(events: Crossings) -> Table:
    """Every one, as listed (`events.listed()`): rows made as they are written, never held (a million cases have
    some 17 million); its Period column holds a number in every row."""

    def rows() -> Iterator[tuple]:
        for e in events.listed():
            yield (e.occurred_at.isoformat(timespec="minutes"), e.reference, e.office, e.clock, e.level, e.period,
                   recipient(e) if e.level != "cleared" else "", e.reason or "", e.policy_version)

    return Table("sla_events", "Every SLA event, in time order",
                 ("When", "Case", "Office", "Clock", "Level", "Period", "To", "Cleared because", "Policy"),
                 LazyRows(len(events), rows), preview=50, numeric_columns=frozenset({5}))
