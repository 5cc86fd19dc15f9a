"""What hrcase would have done: the SLA warnings, breaches and escalations over the period, and to whom."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from schemas import vocabulary
from services.reporting.domain.events import LEVELS, Crossings
from services.reporting.domain.model import LazyRows, Table

CLOCKS = vocabulary.CLOCKS  # the wire vocabulary, which the monitor's clock registry is tested against
CLOCK_LABELS = {"recording": "Recording (4-day rule)", "stall": "Stall (no activity)", "review": "Team Leader review",
                "closure_approval": "Closure decision"}
ROLE_LABELS = {"hro": "assigned officer", "team_leader": "Team Leader", "director": "Director"}


def counts(events: Crossings) -> Counter:
    return events.counts()


def by_clock(events: Crossings) -> Table:
    n = counts(events)
    rows = [(CLOCK_LABELS[c], *[n[(c, lv)] for lv in LEVELS]) for c in CLOCKS]
    rows.append(("Total", *[sum(n[(c, lv)] for c in CLOCKS) for lv in LEVELS]))
    return Table("sla_events_by_clock", "SLA events the monitor emitted, by clock and level",
                 ("Clock", "Warnings", "Breaches", "Escalations", "Cleared"), tuple(rows),
                 "Warnings go to the assigned officer (the Team Leader if nobody is assigned); breaches to the "
                 "office's Team Leader (closure decisions: the Director); escalations to the Director.")


def recording_by_month(events: Crossings, offices: Sequence[str]) -> Table:
    """Recording breaches per month and office (each went to that office's Team Leader), and escalations."""
    shown: set[str] = set()  # months with a warning, breach or escalation (a month of clears only is not a row)
    breaches: dict[str, Counter] = {}
    escalations: Counter = Counter()
    for (month, office, level), n in events.recording_months().items():  # counted by month, office and level
        if level != "cleared":
            shown.add(month)
        if level == "breach":
            breaches.setdefault(month, Counter())[office] += n
        elif level == "escalation":
            escalations[month] += n
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
    """Every one, as listed: rows made as they are written, never held (a million cases have some 17 million); their
    cells are plain text and numbers, and the Period column a number in every row."""
    return Table("sla_events", "Every SLA event, in time order",
                 ("When", "Case", "Office", "Clock", "Level", "Period", "To", "Cleared because", "Policy"),
                 LazyRows(len(events), events.listed_rows, plain=True, lines=events.listed_lines), preview=50,
                 numeric_columns=frozenset({5}))
