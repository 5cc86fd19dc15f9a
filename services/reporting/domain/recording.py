"""Situation reports against recorded cases: what was recorded, how late, and what never was."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.reporting.domain.cases import CaseFacts
from services.reporting.domain.model import Chart, Pct, Table, Targets
from services.reporting.domain.stats import days_between, mean, median, percentile, share

DELAY_BUCKETS = ((4, "within 4 days"), (30, "5 to 30 days"), (60, "31 to 60 days"), (90, "61 to 90 days"),
                 (180, "91 to 180 days"), (365, "181 to 365 days"), (None, "over a year"))


@dataclass(frozen=True)
class DelayStats:
    recorded: int
    mean: float | None
    median: float | None
    p90: float | None
    longest: float | None
    within_goal: int

    @property
    def within_share(self) -> float | None:
        return share(self.within_goal, self.recorded)


def delay_stats(cases: Sequence[CaseFacts], targets: Targets) -> DelayStats:
    delays = [c.recording_days for c in cases if c.recording_days is not None]
    return DelayStats(
        recorded=len(delays), mean=mean(delays), median=median(delays), p90=percentile(delays, 90),
        longest=max(delays, default=None), within_goal=sum(1 for c in cases if c.recorded_on_time),
    )


def offices_of(cases: Sequence[CaseFacts]) -> list[str]:
    return sorted({c.office for c in cases})


def reconciliation(cases: Sequence[CaseFacts], targets: Targets) -> Table:
    rows = []
    for office in [*offices_of(cases), None]:
        mine = [c for c in cases if office is None or c.office == office]
        recorded = [c for c in mine if c.recorded_at is not None]
        stats = delay_stats(mine, targets)
        rows.append((office or "Total", len(mine), len(recorded), len(mine) - len(recorded),
                     Pct(share(len(mine) - len(recorded), len(mine))), stats.within_goal, Pct(stats.within_share)))
    return Table(
        "reconciliation", "Situation reports against recorded cases",
        ("Office", "Incidents reported", "Recorded", "Never recorded", "Never recorded %",
         f"Recorded within {targets.recording_days:g} days", "Within goal % of recorded"),
        tuple(rows),
        "Every incident accepted from a situation report opens a case at stage 'reported'; it is recorded when an "
        "officer records it (stage 'preliminary'). 'Never recorded' means not recorded by the report date.",
    )


def unrecorded(cases: Sequence[CaseFacts], as_of: datetime) -> Table:
    rows = tuple(
        (c.incident_key, c.reference, c.office, c.reported_at.date().isoformat(),
         round(days_between(c.reported_at, as_of), 1), c.assignee or "(unassigned)", c.location,
         ", ".join(c.violation_types))
        for c in sorted(cases, key=lambda c: (c.reported_at, c.incident_key)) if c.recorded_at is None
    )
    return Table("unrecorded_incidents", "Incidents never recorded",
                 ("Incident", "Case", "Office", "Reported", "Days since reported", "Assigned to", "Location",
                  "Violations"), rows)


def recording_delay(cases: Sequence[CaseFacts], targets: Targets) -> Table:
    rows = []
    for office in [*offices_of(cases), None]:
        s = delay_stats([c for c in cases if office is None or c.office == office], targets)
        rows.append((office or "Total", s.recorded, _r(s.mean), _r(s.median), _r(s.p90), _r(s.longest),
                     s.within_goal, Pct(s.within_share)))
    return Table(
        "recording_delay", "Recording delay (days from the situation report to recording)",
        ("Office", "Recorded", "Mean", "Median", "90th percentile", "Longest",
         f"Within {targets.recording_days:g} days", "Within goal %"),
        tuple(rows),
        "Median: the middle value (mean of the two middle ones for an even count). 90th percentile: nearest rank.",
    )


def delay_chart(table: Table) -> Chart:
    return Chart("recording_delay", "Recorded cases by recording delay", tuple(r[0] for r in table.rows),
                 (("cases", tuple(r[1] for r in table.rows)),))


def delay_distribution(cases: Sequence[CaseFacts]) -> Table:
    delays = [c.recording_days for c in cases if c.recording_days is not None]
    rows, low = [], None
    for high, label in DELAY_BUCKETS:
        n = sum(1 for d in delays if (low is None or d > low) and (high is None or d <= high))
        rows.append((label, n, Pct(share(n, len(delays)))))
        low = high
    return Table("recording_delay_distribution", "Recorded cases by recording delay",
                 ("Recorded after", "Cases", "Share"), tuple(rows))


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
