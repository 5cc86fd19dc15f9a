"""The compliance report: the audit's questions (OIOS 2021/011) answered from events, for any period and office."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from schemas import vocabulary
from services.reporting.domain import duplicates, performance, recording, regions, sdg, sla, stages
from services.reporting.domain.cases import CaseFacts
from services.reporting.domain.events import History
from services.reporting.domain.model import PointMap, Report, Scope, Section, Table, Targets
from services.reporting.domain.reading import Digest, Reading, history_events, read
from services.reporting.domain.whatif import WhatIf, what_if_section

Cohort = Digest  # the period's cases and their SLA events: what key_figures counts (the web overview builds one)


def cohort(history: History | Digest, scope: Scope) -> Digest:
    """The period's cases and what was read with them: a history held in memory is read as the log is."""
    if isinstance(history, Digest):
        return history
    return read(history_events(history), Reading(scope, vocabulary.current()), history.sources)


def performance_tables(c: Digest, scope: Scope, targets: Targets) -> tuple[Table, Table]:
    """Section 6's tables: each office and each officer against the targets."""
    return performance.by_office_and_officer(c.cases, c.sla_events, targets, scope.as_of)


def build_report(history: History | Digest, scope: Scope, targets: Targets, what_if: WhatIf | None = None,
                 performance_made: Callable[[], tuple[Table, Table]] | None = None) -> Report:
    """The report. `performance_made`: section 6's tables as `performance_tables` makes them from the same digest,
    made elsewhere meanwhile (the costliest section: `hrcase report` makes it in a second process)."""
    c = cohort(history, scope)
    cases, events = list(c.cases), c.sla_events  # the events are read again by each table, never held here
    offices = recording.offices_of(cases)
    status_table, status_chart = stages.by_stage_and_year(cases, scope)
    distribution = recording.delay_distribution(cases)
    figures = key_figures(c, scope, targets)
    region_map = regions.incident_map(cases, scope.as_of)
    # The SDG counts were kept as the incidents were read, over the installation's vocabularies (which types and
    # occupations it counts): the same ones are named here.
    terms = vocabulary.current()
    sections = [
        Section("1. Situation reports against recorded cases", _reconciliation_text(c),
                (recording.reconciliation(cases, targets, scope.as_of), recording.unrecorded(cases, scope.as_of))),
        Section("2. Recording delay", (), (recording.recording_delay(cases, targets, scope.as_of), distribution),
                (recording.delay_chart(distribution, int(figures["overdue_unrecorded"] or 0)),)),
        Section("3. Cases by stage and time in stage", (),
                (stages.by_stage(cases, scope), status_table, stages.by_age_in_stage(cases, scope),
                 stages.by_last_activity(cases, scope)), (status_chart,)),
        Section("4. Stalled cases and recorded reasons", (),
                (stages.stalled_summary(cases, targets, scope.as_of),
                 stages.stalled_list(cases, scope.as_of))),
        Section("5. Closures, Director's review and follow-up", (),
                (stages.closures(cases), stages.unapproved_closures(cases))),
        Section("6. Performance by office and by officer", (),
                performance_made() if performance_made else performance_tables(c, scope, targets)),
        Section("7. What hrcase did: SLA warnings, breaches and escalations", _sla_text(figures),
                (sla.by_clock(events), sla.recording_by_month(events, offices), sla.event_list(events))),
        Section("8. Incidents by region", _region_text(region_map),
                (regions.region_table(cases, targets, scope.as_of),), maps=(region_map,)),
        sdg.section(c.sdg, terms, 9),
        duplicates.section(c.duplicates, 10),
    ]
    if what_if is not None:
        sections.append(what_if_section(what_if, cases, events, targets, scope))
    return Report(
        title="hrcase compliance report", scope=describe(scope, targets, c), summary=summary(figures, scope, targets),
        sections=tuple(sections), figures=figures,
    )


def key_figures(c: Digest, scope: Scope, targets: Targets) -> dict[str, float | int | None]:
    cases = c.cases
    stats = recording.delay_stats(cases, targets)
    goal = recording.recording_goal(cases, scope.as_of)
    stuck = stages.stalled(cases, scope.as_of)
    at: dict[str, list[CaseFacts]] = {s: [] for s in stages.STAGE_ORDER}
    for k in cases:  # one pass, not one per stage
        at.setdefault(k.stage, []).append(k)
    levels = sla.counts(c.sla_events)
    closed = at["closed"]
    return {
        "incidents": len(cases), "recorded": stats.recorded, "unrecorded": len(cases) - stats.recorded,
        "mean_delay_days": stats.mean, "median_delay_days": stats.median, "p90_delay_days": stats.p90,
        # On time over every incident whose goal has come, recorded or not (the denominator is `goal_passed`).
        "within_goal": goal.on_time, "goal_passed": goal.goal_passed, "within_goal_share": goal.share,
        "recorded_late": goal.late + goal.unjudged, "not_yet_due": goal.pending, "unscheduled": goal.unscheduled,
        "overdue_unrecorded": goal.overdue, "oldest_overdue_days": goal.oldest_overdue_days,
        "median_overdue_days": goal.median_overdue_days,
        "preliminary": len(at["preliminary"]),
        "preliminary_since_cut": sum(1 for k in at["preliminary"] if k.stage_since <= scope.cut_end),
        "investigation": len(at["investigation"]),
        "investigation_idle_since_cut": sum(1 for k in at["investigation"] if k.work_since <= scope.cut_end),
        "concluded": len(at["concluded"]), "closure_requested": len(at["closure_requested"]), "closed": len(closed),
        "closed_without_approval": sum(1 for k in closed if k.closure == "without_approval"),
        "closed_merged": sum(1 for k in closed if k.closure == "merged"),  # duplicates merged into another case
        "closed_with_follow_up": sum(1 for k in closed if k.follow_ups),
        "stalled": len(stuck), "stalled_without_reason": sum(1 for k in stuck if not k.delay_reason),
        "rejected_records": c.rejected, "incidents_without_case": len(c.without_case),
        **{f"sla_{lv}": sum(n for (_, level), n in levels.items() if level == lv) for lv in sla.LEVELS},
        "recording_breaches": levels[("recording", "breach")],
        "recording_escalations": levels[("recording", "escalation")],
    }


def describe(scope: Scope, targets: Targets, c: Digest) -> tuple[tuple[str, str], ...]:
    start = f"{scope.start:%d %B %Y}" if scope.start else "the first report"
    end = f"{scope.end:%d %B %Y}" if scope.end else f"{scope.as_of:%d %B %Y}"
    return (
        ("As at", f"{scope.as_of:%d %B %Y}"),
        ("Incidents reported", f"from {start} to {end}"),
        ("Offices", scope.office or "all"),
        ("SLA policy (targets)", targets.policy_version),
        ("Computed from", "events only: accepted incidents, case events, SLA events, intake rejections"),
    )


def summary(f: dict, scope: Scope, targets: Targets) -> tuple[str, ...]:
    n = int(f["incidents"] or 0)
    lines = [
        f"{n:,} incidents in situation reports; {f['unrecorded']:,} never recorded; {f['recorded']:,} recorded"
        + (f", on average {f['mean_delay_days']:.1f} days after being reported (over the {f['recorded']:,} recorded; "
           f"median {f['median_delay_days']:.1f}, 90th percentile {f['p90_delay_days']:.1f})" if f["recorded"] else "")
        + ".",
        f"Recorded on time: {on_time_text(f, targets.recording_days)}. {overdue_text(f)}",
        f"As at {scope.as_of:%d %B %Y}: {f['preliminary']:,} cases at preliminary information gathering "
        f"({f['preliminary_since_cut']:,} of them since {scope.cut} or earlier), {f['investigation']:,} at "
        f"investigation ({f['investigation_idle_since_cut']:,} with no activity since {scope.cut}), "
        f"{f['concluded']:,} concluded, {f['closure_requested']:,} awaiting a closure decision, {f['closed']:,} "
        f"closed ({f['closed_without_approval']:,} of them without the Director's or Deputy Director's approval; "
        f"{f['closed_with_follow_up']:,} with a recorded follow-up).",
        f"{f['stalled']:,} open cases stalled beyond their stage's goal, {f['stalled_without_reason']:,} of them "
        f"without a recorded reason for the delay.",
        f"The SLA monitor emitted {f['sla_warning']:,} warnings, {f['sla_breach']:,} breaches and "
        f"{f['sla_escalation']:,} escalations on these cases, of which {f['recording_breaches']:,} recording breaches "
        f"to Team Leaders and {f['recording_escalations']:,} recording escalations to the Director.",
    ]
    return tuple(lines)


def on_time_text(f: Mapping[str, Any], goal_days: float) -> str:
    """The share with its denominator in words: "4 of 20 incidents whose 4 days have passed (20%)"."""
    pct = "no share yet" if f["within_goal_share"] is None else f"{f['within_goal_share']:.0%}"
    return f"{f['within_goal']:,} of {f['goal_passed']:,} incidents whose {goal_days:g} days have passed ({pct})"


def overdue_text(f: Mapping[str, Any]) -> str:
    if not f["overdue_unrecorded"]:
        return "No incident is past its recording goal unrecorded."
    return (f"{f['overdue_unrecorded']:,} not recorded and past the goal, the oldest by "
            f"{f['oldest_overdue_days']:.1f} days (median {f['median_overdue_days']:.1f}).")


def _reconciliation_text(c: Digest) -> tuple[str, ...]:
    out = []
    if c.rejected:
        out.append(f"{c.rejected:,} situation report records were rejected by intake in the period and opened no "
                   "case; `hrcase rejected` lists them with their reasons.")
    if c.without_case:
        out.append(f"{len(c.without_case):,} accepted incidents have no case yet: {', '.join(c.without_case[:20])}.")
    return tuple(out)


def _region_text(shown: PointMap) -> tuple[str, ...]:
    text = [f"The map draws each region's incidents at its seat, the circle's area and its label giving the count; "
            f"{len(shown.incidents):,} incidents with their own coordinates are also drawn as dots. There are no "
            "region boundaries: none matching the 2023 regions is available (docs/reference-data.md)."]
    if shown.unplaced:
        text.append(f"{shown.unplaced:,} incidents have a free-text place that names no unit of the gazetteer: they "
                    f"are counted under '{regions.UNKNOWN_REGION}' in the table and are not on the map.")
    return tuple(text)


def _sla_text(f: dict) -> tuple[str, ...]:
    return ("These are the events the SLA monitor emitted while it ran over the history (live, or replayed by "
            "`hrcase import` on event time), up to the report date.",)


def table_named(report: Report, slug: str) -> Table:
    return next(t for t in report.tables() if t.slug == slug)
