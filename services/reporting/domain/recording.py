"""Situation reports against recorded cases: what was recorded, how late, and what never was."""

from __future__ import annotations

from collections import Counter
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


@dataclass(frozen=True)
class RecordingGoal:
    """Recording against its goal at a date, over every incident whose goal has come, recorded or not."""

    on_time: int  # recorded strictly before the due instant (the monitor's verdict `met`)
    late: int  # recorded at or after it, or closed unrecorded once it had come
    unjudged: int  # recorded after the goal came, the monitor's verdict not yet received
    overdue_days: tuple[float, ...]  # each unrecorded incident past its goal: days since the due instant, oldest first
    pending: int  # not recorded, the goal still ahead: not yet counted either way
    unscheduled: int  # no schedule from the monitor yet: not counted either way

    @property
    def overdue(self) -> int:
        return len(self.overdue_days)

    @property
    def goal_passed(self) -> int:
        """The denominator: incidents whose goal has come, and those recorded on time before it."""
        return self.on_time + self.late + self.unjudged + self.overdue

    @property
    def share(self) -> float | None:
        return share(self.on_time, self.goal_passed)

    @property
    def oldest_overdue_days(self) -> float | None:
        return self.overdue_days[0] if self.overdue_days else None

    @property
    def median_overdue_days(self) -> float | None:
        return median(self.overdue_days)


def overdue_days(case: CaseFacts, as_of: datetime) -> float | None:
    """Days an unrecorded incident is past its recording goal (None if it is not overdue)."""
    if case.recording_verdict(as_of) != "overdue":
        return None
    return days_between(case.clocks["recording"]["due_at"], as_of)


def overdue_unrecorded(cases: Sequence[CaseFacts], as_of: datetime) -> list[CaseFacts]:
    """Unrecorded incidents past their goal, the longest overdue first."""
    late = [c for c in cases if c.recording_verdict(as_of) == "overdue"]
    return sorted(late, key=lambda c: (c.clocks["recording"]["due_at"], c.reference))


def recording_goal(cases: Sequence[CaseFacts], as_of: datetime) -> RecordingGoal:
    verdicts: Counter[str] = Counter()
    ages = []
    for c in cases:  # one pass: the tables of offices, officers and regions ask it of every group
        verdict = c.recording_verdict(as_of)
        verdicts[verdict] += 1
        if verdict == "overdue":
            ages.append(days_between(c.clocks["recording"]["due_at"], as_of))
    ages.sort(reverse=True)
    return RecordingGoal(on_time=verdicts["met"], late=verdicts["missed"], unjudged=verdicts["unjudged"],
                         overdue_days=tuple(ages), pending=verdicts["pending"], unscheduled=verdicts["unscheduled"])


def delay_stats(cases: Sequence[CaseFacts], targets: Targets) -> DelayStats:
    delays = [days for days in (c.recording_days for c in cases) if days is not None]
    return DelayStats(
        recorded=len(delays), mean=mean(delays), median=median(delays), p90=percentile(delays, 90),
        longest=max(delays, default=None), within_goal=sum(1 for c in cases if c.recorded_on_time),
    )


def offices_of(cases: Sequence[CaseFacts]) -> list[str]:
    return sorted({c.office for c in cases})


def reconciliation(cases: Sequence[CaseFacts], targets: Targets, as_of: datetime) -> Table:
    rows = []
    for office in [*offices_of(cases), None]:
        mine = [c for c in cases if office is None or c.office == office]
        recorded = sum(1 for c in mine if c.recorded_at is not None)
        goal = recording_goal(mine, as_of)
        rows.append((office or "Total", len(mine), recorded, len(mine) - recorded,
                     Pct(share(len(mine) - recorded, len(mine))), goal.on_time, goal.goal_passed, Pct(goal.share),
                     goal.overdue, _r(goal.oldest_overdue_days), _r(goal.median_overdue_days)))
    days = f"{targets.recording_days:g}"
    return Table(
        "reconciliation", "Situation reports against recorded cases",
        ("Office", "Incidents reported", "Recorded", "Never recorded", "Never recorded, % of reported",
         "Recorded on time", f"Whose {days} days have passed", "On time, % of those", "Not recorded, past the goal",
         "Oldest past the goal (days)", "Median past the goal (days)"),
        tuple(rows),
        "Every incident accepted from a situation report opens a case at stage 'reported'; it is recorded when an "
        "officer records it (stage 'preliminary'). 'Never recorded' means not recorded by the report date. 'On time' "
        f"counts over every incident whose {days} days have passed, recorded or not (and those recorded before "
        "them): recorded strictly before the due instant the SLA monitor scheduled. Incidents not recorded whose "
        "goal is still ahead are counted neither way.",
    )


def unrecorded(cases: Sequence[CaseFacts], as_of: datetime) -> Table:
    rows = tuple(
        (c.incident_key, c.reference, c.office, c.reported_at.date().isoformat(),
         round(days_between(c.reported_at, as_of), 1), _past_goal(c, as_of), c.assignee or "(unassigned)",
         c.location, ", ".join(c.violation_types))
        for c in sorted(cases, key=lambda c: (c.reported_at, c.incident_key)) if c.recorded_at is None
    )
    return Table("unrecorded_incidents", "Incidents never recorded",
                 ("Incident", "Case", "Office", "Reported", "Days since reported", "Days past the goal",
                  "Assigned to", "Location", "Violations"), rows)


def _past_goal(case: CaseFacts, as_of: datetime) -> float | str:
    days = overdue_days(case, as_of)
    if days is not None:
        return round(days, 1)
    return "not scheduled yet" if case.recording_verdict(as_of) == "unscheduled" else "not yet due"


def recording_delay(cases: Sequence[CaseFacts], targets: Targets, as_of: datetime) -> Table:
    rows = []
    for office in [*offices_of(cases), None]:
        mine = [c for c in cases if office is None or c.office == office]
        s, goal = delay_stats(mine, targets), recording_goal(mine, as_of)
        rows.append((office or "Total", s.recorded, _r(s.mean), _r(s.median), _r(s.p90), _r(s.longest),
                     s.within_goal, goal.overdue, _r(goal.oldest_overdue_days)))
    return Table(
        "recording_delay", "Recording delay (days from the situation report to recording)",
        ("Office", "Recorded", "Mean over the recorded", "Median", "90th percentile", "Longest",
         f"Recorded within {targets.recording_days:g} days", "Not recorded, past the goal",
         "Oldest past the goal (days)"),
        tuple(rows),
        "The delays are those of the recorded cases only; the incidents never recorded are counted beside them "
        "(those past their goal, and by how many days the oldest is). Median: the middle value (mean of the two "
        "middle ones for an even count). 90th percentile: nearest rank.",
    )


def delay_chart(table: Table, overdue: int) -> Chart:
    """The recorded by delay, and beside them the unrecorded past their goal: an average never hides them."""
    late = tuple("on_time" if r[0] == DELAY_BUCKETS[0][1] else "late" for r in table.rows)
    return Chart("recording_delay", "Recorded cases by recording delay, and the unrecorded past their goal",
                 (*(r[0] for r in table.rows), "not recorded, past the goal"),
                 (("cases", (*(r[1] for r in table.rows), overdue)),), meanings=(*late, "overdue"))


def delay_distribution(cases: Sequence[CaseFacts]) -> Table:
    delays = [c.recording_days for c in cases if c.recording_days is not None]
    rows, low = [], None
    for high, label in DELAY_BUCKETS:
        n = sum(1 for d in delays if (low is None or d > low) and (high is None or d <= high))
        rows.append((label, n, Pct(share(n, len(delays)))))
        low = high
    return Table("recording_delay_distribution", "Recorded cases by recording delay",
                 ("Recorded after", "Cases", "Share of the recorded"), tuple(rows),
                 "Recorded cases only: the incidents never recorded are in section 1.")


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
