"""Policy what-if: the same history judged under another SLA policy, side by side with what was emitted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from services.reporting.domain.cases import OPEN_STAGES, CaseFacts, Latest
from services.reporting.domain.events import Crossings
from services.reporting.domain.model import Scope, Section, Table, Targets
from services.reporting.domain.reading import Monitor
from services.reporting.domain.sla import CLOCK_LABELS, CLOCKS, counts
from services.reporting.domain.stages import STAGE_LABELS, stalled


@dataclass(frozen=True)
class WhatIf:
    """Another policy's targets, and its monitor run over the same case events: the SLA events it would have emitted
    (counted by case, clock and level) and the schedules it would have published (each clock's latest)."""

    targets: Targets
    monitor: Monitor
    source: str = ""  # the policy file, for the report's text


def what_if_section(what_if: WhatIf, cases: Sequence[CaseFacts], emitted: Crossings, targets: Targets,
                    scope: Scope) -> Section:
    ids = {c.case_id for c in cases}
    other: Counter = Counter()  # the SLA events it would have emitted on these cases, up to the report date
    for (case_id, clock, level), n in what_if.monitor.counts().items():
        if case_id in ids:
            other[clock, level] += n
    a, b = targets.policy_version, what_if.targets.policy_version
    text = (f"The same case events, judged again under policy {b}"
            + (f" ({what_if.source})" if what_if.source else "")
            + f" instead of {a}. 'Under {a}' is what the monitor emitted; 'under {b}' is what a monitor running "
            f"policy {b} over the same history would have emitted, on event time, up to the report date.",)
    return Section(f"11. What-if: SLA policy {b} instead of {a}", text,
                   (sla_difference(counts(emitted), other, a, b),
                    stalled_difference(cases, targets, what_if.targets, scope, what_if.monitor.latest())))


def sla_difference(before: Counter, after: Counter, a: str, b: str) -> Table:
    """SLA events by clock and level (counted) as the monitor emitted them, and as another policy's would have."""
    rows = []
    for clock in CLOCKS:
        for level in ("warning", "breach", "escalation"):
            x, y = before[(clock, level)], after[(clock, level)]
            if x or y:
                rows.append((CLOCK_LABELS[clock], level, x, y, y - x))
    total = [sum(before[(c, lv)] for c in CLOCKS for lv in ("warning", "breach", "escalation")),
             sum(after[(c, lv)] for c in CLOCKS for lv in ("warning", "breach", "escalation"))]
    rows.append(("Total", "", total[0], total[1], total[1] - total[0]))
    return Table("what_if_sla_events", "SLA events under each policy",
                 ("Clock", "Level", f"Under {a}", f"Under {b}", "Difference"), tuple(rows))


def stalled_difference(cases: Sequence[CaseFacts], targets: Targets, other: Targets, scope: Scope,
                       schedules: Latest) -> Table:
    """Stalled under each policy: as the monitor scheduled the stall clocks, and as one running `other` would have."""
    rows = []
    for stage in OPEN_STAGES:
        mine = [c for c in cases if c.stage == stage]
        x = stalled(mine, scope.as_of)
        y = stalled([replace(c, clocks=schedules.of(c.case_id)) for c in mine], scope.as_of)
        rows.append((STAGE_LABELS[stage], f"{targets.stall_days[stage]:g}", f"{other.stall_days[stage]:g}", len(x),
                     len(y), len(y) - len(x), sum(1 for c in y if not c.delay_reason)))
    return Table("what_if_stalled", "Stalled cases under each policy's stall goals",
                 ("Stage", f"Goal under {targets.policy_version} (days)", f"Goal under {other.policy_version} (days)",
                  f"Stalled under {targets.policy_version}", f"Stalled under {other.policy_version}", "Difference",
                  f"Without a recorded reason under {other.policy_version}"), tuple(rows))
