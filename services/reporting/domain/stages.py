"""Where cases stand as at the report date: by stage and since when, stalled work, and closures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from services.reporting.domain.cases import OPEN_STAGES, STAGE_ORDER, CaseFacts
from services.reporting.domain.model import Chart, Pct, Scope, Table, Targets
from services.reporting.domain.stats import days_between, share

STAGE_LABELS = {
    "reported": "Reported, not recorded",
    "preliminary": "Preliminary information gathering",
    "investigation": "Investigation",
    "concluded": "Concluded (findings and follow-up)",
    "closure_requested": "Closure requested",
    "closed": "Closed",
}
AGE_BUCKETS = ((30, "up to 30 days"), (90, "31 to 90 days"), (180, "91 to 180 days"), (365, "181 to 365 days"),
               (None, "over a year"))


def years(cases: Sequence[CaseFacts], scope: Scope) -> list[int]:
    first = min((c.reported_at.year for c in cases), default=scope.as_of.year)
    return list(range(first, scope.as_of.year + 1))


def by_stage(cases: Sequence[CaseFacts], scope: Scope) -> Table:
    rows = []
    for stage in STAGE_ORDER:
        mine = [c for c in cases if c.stage == stage]
        old = sum(1 for c in mine if c.stage_since <= scope.cut_end)
        rows.append((STAGE_LABELS[stage], len(mine), Pct(share(len(mine), len(cases))), old))
    rows.append(("Total", len(cases), Pct(share(len(cases), len(cases))),
                 sum(1 for c in cases if c.stage_since <= scope.cut_end)))
    return Table("cases_by_stage", f"Cases by stage as at {scope.as_of:%d %B %Y}",
                 ("Stage", "Cases", "Share of all cases", f"In that stage since {scope.cut} or earlier"), tuple(rows),
                 "A case's stage since: when it entered its current stage (for 'reported', when it was reported).")


def by_stage_and_year(cases: Sequence[CaseFacts], scope: Scope) -> tuple[Table, Chart]:
    ys = years(cases, scope)
    entered = Counter((c.stage, c.stage_since.year) for c in cases)  # one pass, not one per stage and year
    counts = {stage: [entered[stage, y] for y in ys] for stage in STAGE_ORDER}
    rows = tuple((STAGE_LABELS[s], *counts[s], sum(counts[s])) for s in STAGE_ORDER)
    table = Table("cases_by_stage_and_year", "Cases by stage and the year they entered it",
                  ("Stage", *[str(y) for y in ys], "Total"), rows)
    shown = [s for s in STAGE_ORDER if sum(counts[s])]
    chart = Chart("status_of_cases", f"Status of cases as at {scope.as_of:%d %B %Y}, by year of entering the stage",
                  tuple(STAGE_LABELS[s] for s in shown),
                  tuple((str(y), tuple(counts[s][i] for s in shown)) for i, y in enumerate(ys)))
    return table, chart


def by_age_in_stage(cases: Sequence[CaseFacts], scope: Scope) -> Table:
    rows = []
    for stage in STAGE_ORDER:
        ages = [days_between(c.stage_since, scope.as_of) for c in cases if c.stage == stage]
        rows.append((STAGE_LABELS[stage], *_bucketed(ages), len(ages)))
    return Table("cases_by_age_in_stage", "Cases by time spent in their current stage",
                 ("Stage", *[label for _, label in AGE_BUCKETS], "Total"), tuple(rows))


def by_last_activity(cases: Sequence[CaseFacts], scope: Scope) -> Table:
    ys = years(cases, scope)
    rows = []
    for stage in OPEN_STAGES:
        mine = [c for c in cases if c.stage == stage]
        worked = Counter(c.work_since.year for c in mine)
        per_year = [worked[y] for y in ys]
        idle = sum(1 for c in mine if c.work_since <= scope.cut_end)
        rows.append((STAGE_LABELS[stage], len(mine), *per_year, idle))
    return Table("open_cases_by_last_activity", "Open cases by the year of their last activity",
                 ("Stage", "Cases", *[str(y) for y in ys], f"No activity since {scope.cut}"), tuple(rows),
                 "Activity: recording, logged work, a stage change, a follow-up, a reopening or a rejected closure.")


def is_stalled(case: CaseFacts, as_of: datetime) -> bool:
    """In an open stage with its stall clock past its goal, as the monitor scheduled it (justified delays count)."""
    return case.is_open and case.overdue("stall", as_of)


def stalled(cases: Sequence[CaseFacts], as_of: datetime) -> list[CaseFacts]:
    return [c for c in cases if is_stalled(c, as_of)]


def stalled_summary(cases: Sequence[CaseFacts], targets: Targets, as_of: datetime) -> Table:
    rows = []
    for stage in [*OPEN_STAGES, None]:
        mine = [c for c in cases if c.stage == stage or (stage is None and c.is_open)]
        stuck = stalled(mine, as_of)
        reasoned = sum(1 for c in stuck if c.delay_reason)
        goal = f"{targets.stall_days[stage]:g}" if stage else ""
        rows.append((STAGE_LABELS[stage] if stage else "All open stages", goal, len(mine), len(stuck),
                     Pct(share(len(stuck), len(mine))), reasoned, len(stuck) - reasoned))
    return Table("stalled_cases", "Stalled cases: no activity for longer than the stage's goal",
                 ("Stage", "Goal (days)", "Open cases", "Stalled", "Stalled, % of open cases",
                  "With a recorded delay reason", "Without a recorded reason"), tuple(rows),
                 "A recorded delay reason is a justified delay (access, security, awaiting information, other) "
                 "recorded since the case's last activity.")


def stalled_list(cases: Sequence[CaseFacts], as_of: datetime) -> Table:
    stuck = sorted(stalled(cases, as_of), key=lambda c: (c.work_since, c.reference))
    rows = tuple((c.reference, c.office, STAGE_LABELS[c.stage], c.assignee or "(unassigned)",
                  c.work_since.date().isoformat(), round(days_between(c.work_since, as_of), 1),
                  c.delay_reason or "none recorded") for c in stuck)
    return Table("stalled_case_list", "Stalled cases, longest without activity first",
                 ("Case", "Office", "Stage", "Assigned to", "Last activity", "Days without activity",
                  "Delay reason"), rows, preview=100)


def closures(cases: Sequence[CaseFacts]) -> Table:
    closed = [c for c in cases if c.stage == "closed"]
    rows = []
    merged = ((("Merged into another case as the same incident (a Team Leader's decision)", "merged"),)
              if any(c.closure == "merged" for c in closed) else ())  # a row only where a merge happened (ADR 22)
    for label, kind in (("With the Director's or Deputy Director's approval", "approved"),
                        ("Without it (imported history)", "without_approval"), *merged, ("Total", None)):
        mine = [c for c in closed if kind is None or c.closure == kind]
        followed = sum(1 for c in mine if c.follow_ups)
        rows.append((label, len(mine), followed, len(mine) - followed))
    return Table("closures", "Closed cases: Director's review and follow-up",
                 ("Closure", "Cases", "With a recorded follow-up", "Without follow-up"), tuple(rows))


def unapproved_closures(cases: Sequence[CaseFacts]) -> Table:
    rows = tuple((c.reference, c.office, c.closed_at.date().isoformat() if c.closed_at else "", c.closed_by or "",
                  c.follow_ups) for c in sorted(cases, key=lambda c: (c.closed_at or c.reported_at, c.reference))
                 if c.stage == "closed" and c.closure == "without_approval")
    return Table("closures_without_approval", "Cases closed without the Director's or Deputy Director's approval",
                 ("Case", "Office", "Closed", "Closed by", "Follow-ups"), rows)


def _bucketed(ages: Sequence[float]) -> list[int]:
    out, low = [], None
    for high, _ in AGE_BUCKETS:
        out.append(sum(1 for a in ages if (low is None or a > low) and (high is None or a <= high)))
        low = high
    return out
