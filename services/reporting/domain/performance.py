"""Each office and each officer against the policy's targets."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime

from services.reporting.domain.cases import CaseFacts
from services.reporting.domain.events import LEVELS, Crossings
from services.reporting.domain.model import Pct, Table, Targets
from services.reporting.domain.recording import delay_stats, offices_of, recording_goal
from services.reporting.domain.stages import stalled

UNASSIGNED = "(unassigned)"


def review_overdue(case: CaseFacts, as_of: datetime) -> bool:
    return case.is_open and case.overdue("review", as_of)


def closure_overdue(case: CaseFacts, as_of: datetime) -> bool:
    return case.stage == "closure_requested" and case.overdue("closure_approval", as_of)


def _measures(mine: Sequence[CaseFacts], levels: Counter, targets: Targets, as_of: datetime) -> tuple:
    stats, goal = delay_stats(mine, targets), recording_goal(mine, as_of)
    stuck = stalled(mine, as_of)
    by_stage = _by_stage(mine, as_of)
    return (
        len(mine), stats.recorded, len(mine) - stats.recorded, goal.on_time, goal.goal_passed, Pct(goal.share),
        goal.overdue, None if stats.mean is None else round(stats.mean, 1), by_stage["open"], len(stuck),
        sum(1 for c in stuck if not c.delay_reason), by_stage["review_overdue"], by_stage["closure_overdue"],
        by_stage["closed"], by_stage["without_approval"], levels["breach"], levels["escalation"],
    )


def _by_stage(mine: Sequence[CaseFacts], as_of: datetime) -> Counter[str]:
    """Open, review overdue, closure decision overdue, closed and closed without the Director: one pass (a table of
    2,400 officers and their Total makes these counts over a million cases each)."""
    n: Counter[str] = Counter()
    for c in mine:
        if c.is_open:
            n["open"] += 1
            n["review_overdue"] += review_overdue(c, as_of)
        elif c.stage == "closed":
            n["closed"] += 1
            n["without_approval"] += c.closure == "without_approval"
        else:
            n["closure_overdue"] += closure_overdue(c, as_of)
    return n


MEASURES = ("Cases", "Recorded", "Never recorded", "Recorded on time", "Whose recording goal has passed",
            "On time, % of those", "Not recorded, past the goal", "Mean recording delay over the recorded",
            "Open", "Stalled", "Stalled without reason", "Review overdue", "Closure decision overdue", "Closed",
            "Closed without Director", "SLA breaches", "SLA escalations")


def _levels(cases: Sequence[CaseFacts], sla: Crossings,
            groupings: Sequence[Callable[[CaseFacts], str]]) -> list[dict[str | None, Counter]]:
    """The SLA events' levels counted by each grouping's key (None: all), in one pass over the events by case for
    every grouping: at a million cases a pass costs seconds."""
    owners = {c.case_id: tuple(key_of(c) for key_of in groupings) for c in cases}
    owned: dict[tuple[str, ...] | None, list[int]] = {}
    owner = owners.get
    for case_id, *counts in sla.by_case():  # a row per case: its events at each level, summed by owner
        mine = owner(case_id)
        into = owned.get(mine)
        if into is None:
            owned[mine] = counts
        else:
            for i, n in enumerate(counts):
                into[i] += n
    total: Counter = Counter()
    out: list[defaultdict[str | None, Counter]] = [defaultdict(Counter) for _ in groupings]
    for mine, counts in owned.items():
        by_level = Counter(dict(zip(LEVELS, counts, strict=True)))
        total.update(by_level)
        if mine is not None:
            for key, levels in zip(mine, out, strict=True):
                levels[key].update(by_level)
    for levels in out:
        levels[None] = total
    return [dict(levels) for levels in out]


def _grouped(name: str, slug: str, title: str, keys: list[str], key_of: Callable[[CaseFacts], str],
             cases: Sequence[CaseFacts], levels: dict[str | None, Counter], targets: Targets, as_of: datetime,
             total: tuple, extra: Callable[[str], tuple] = lambda _: ()) -> Table:
    # One pass over the cases, grouped by key: never a pass per office or officer.
    groups: dict[str, list[CaseFacts]] = {key: [] for key in keys}
    for c in cases:
        groups.setdefault(key_of(c), []).append(c)
    rows = []
    for key in keys:
        rows.append((key, *extra(key), *_measures(groups[key], levels.get(key, Counter()), targets, as_of)))
    rows.append(("Total", *extra(""), *total))
    goals = (f"Goals ({targets.policy_version}): recorded within {targets.recording_days:g} days; activity at least "
             f"every {', '.join(f'{v:g}' for v in targets.stall_days.values())} days at preliminary, investigation, "
             f"concluded; a Team Leader review every {targets.review_days:g} days; a closure decided within "
             f"{targets.closure_days:g} days. SLA breaches and escalations: those the monitor emitted on these cases. "
             "On time: recorded before the due instant, over every incident whose goal has passed, recorded or not.")
    columns = (name, "Office") if name == "Officer" else (name,)
    return Table(slug, title, (*columns, *MEASURES), tuple(rows), goals)


def _office(c: CaseFacts) -> str:
    return c.office


def _officer(c: CaseFacts) -> str:
    return c.assignee or UNASSIGNED


def by_office_and_officer(cases: Sequence[CaseFacts], sla: Crossings, targets: Targets,
                          as_of: datetime) -> tuple[Table, Table]:
    """Each office, and each officer (the cases' current assignees: who is responsible for each case now)."""
    for_offices, for_officers = _levels(cases, sla, (_office, _officer))
    office_of: dict[str, Counter] = {}
    for c in cases:
        office_of.setdefault(_officer(c), Counter())[c.office] += 1
    officers = sorted(office_of, key=lambda o: (o == UNASSIGNED, office_of[o].most_common(1)[0][0], o))

    def office(officer: str) -> tuple:
        counts = office_of.get(officer)
        return (counts.most_common(1)[0][0] if counts and officer != UNASSIGNED else "",)

    total = _measures(cases, for_offices[None], targets, as_of)  # both tables' Total row: every case
    return (_grouped("Office", "performance_by_office", "Performance by office against the targets",
                     offices_of(cases), _office, cases, for_offices, targets, as_of, total),
            _grouped("Officer", "performance_by_officer", "Performance by officer (the case's assigned officer)",
                     officers, _officer, cases, for_officers, targets, as_of, total, office))
