"""The overview's figures from the case read model: counts by GROUP BY, delays and ages by ordered queries (ADR 0019).

Each figure counts as the reports' fold does (services/reporting/domain: recording_verdict, is_stalled,
delay_stats, delay_distribution, by_region); tests/integration/test_overview_aggregates.py holds them equal."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, bindparam, case, func, select

from services.casework.adapters.case_lists import rows
from services.casework.adapters.tables import When, case_schedules, case_summaries, duplicate_pairs
from services.messaging.times import as_utc, utc
from services.reporting.domain.stats import DAY

s = case_summaries.c
OPEN_STAGES = ("preliminary", "investigation", "concluded")
STAGES = ("preliminary", "investigation", "concluded", "closure_requested", "closed")
# The recording delay's buckets (services/reporting/domain/recording.py DELAY_BUCKETS): upper bounds in days.
BUCKETS = (4, 30, 60, 90, 180, 365, None)
TOTAL = "__total__"
DELAY_SUM = "delay_sum"


def _now(now: datetime) -> ColumnElement[Any]:
    return bindparam("fig_now", as_utc(now), type_=When)


def recording_verdict_sql(now: datetime) -> ColumnElement[str]:
    """Where a case's recording goal stands at `now`: the SQL form of services/reporting/domain/cases.py
    `CaseFacts.recording_verdict`, on the recording schedule the row holds (met/missed as the monitor judged it)."""
    at, due = _now(now), s.recording_due_at
    return case(
        (due.is_(None), "unscheduled"),
        (and_(s.recorded_at.is_not(None), s.recording_outcome.is_not(None)), s.recording_outcome),
        (s.recorded_at.is_not(None), case((at >= due, "unjudged"), else_="pending")),
        (s.recording_outcome.is_not(None), case((at >= due, "missed"), else_="pending")),
        (at >= due, "overdue"),
        else_="pending",
    )


def _stalled(now: datetime) -> ColumnElement[bool]:
    """In an open stage with its stall clock running and its goal come (reporting's `is_stalled`): the row holds the
    running stall clock's goal, so no schedule is read per case."""
    return and_(s.stage.in_(OPEN_STAGES), s.stall_due_at <= _now(now))


def merged_by_office(conn: Connection, office: str | None) -> dict[str, int]:
    """Per office, the cases closed by a merge into another (reporting's closure "merged", ADR 0022): the read model
    keeps no such flag, so the decided pairs say it: merged, the case not its survivor, and closed at that decision's
    instant (a case reopened and closed again since was closed otherwise). Pairs are few: read from their side."""
    pair = duplicate_pairs.c
    merged = case((pair.survivor_case_id == pair.first_case_id, pair.second_case_id), else_=pair.first_case_id)
    query = _scoped(select(s.office, func.count()).select_from(duplicate_pairs)
                    .join(case_summaries, s.case_id == merged)
                    .where(pair.status == "merged", s.stage == "closed", pair.decided_at == s.closed_at), office)
    return {found: int(n) for found, n in conn.execute(query.group_by(s.office))}


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _scoped(query: Select[Any], office: str | None) -> Select[Any]:
    return query if office is None else query.where(s.office == office)


def _columns(now: datetime) -> dict[str, ColumnElement[Any]]:
    """The counts of a group of rows: incidents, recorded, each stage, each recording verdict, closures, the stalled,
    the open, the recorded per delay bucket."""
    verdict = recording_verdict_sql(now)
    closed = s.stage == "closed"
    stalled = _stalled(now)
    columns: dict[str, ColumnElement[Any]] = {
        "incidents": func.count(), "recorded": func.count(s.recorded_at),
        **{stage: _count(s.stage == stage) for stage in STAGES},
        **{f"v_{v}": _count(verdict == v) for v in ("met", "missed", "unjudged", "overdue", "pending", "unscheduled")},
        "closed_without_approval": _count(and_(closed, s.closed_without_approval.is_(True))),
        "closed_with_follow_up": _count(and_(closed, s.follow_ups > 0)),
        "stalled": _count(stalled), "stalled_without_reason": _count(and_(stalled, s.stall_reason.is_(False))),
        "open_cases": _count(s.stage.not_in(("reported", "closed"))),
    }
    low: int | None = None
    for i, high in enumerate(BUCKETS):
        days = s.recording_days
        columns[f"b_{i}"] = _count(and_(days.is_not(None), *(() if low is None else (days > low,)),
                                        *(() if high is None else (days <= high,))))
        low = high
    return columns


def tallies(conn: Connection, office: str | None, now: datetime) -> list[dict[str, Any]]:
    """The counts per office and region, and the sum of their recording delays (a float, for the mean), in one pass
    over the rows: the offices' figures and the regions' both come from it (a second pass grouped by region cost as
    much as the first, ADR 0025)."""
    columns = _columns(now)
    query = _scoped(select(s.office, s.region_pcode, *(c.label(k) for k, c in columns.items()),
                           func.sum(s.recording_days).label(DELAY_SUM)), office).group_by(s.office, s.region_pcode)
    return [{**{k: int(row[k] or 0) for k in columns}, "office": row["office"], "region_pcode": row["region_pcode"],
             DELAY_SUM: float(row[DELAY_SUM] or 0.0)} for row in conn.execute(query).mappings()]


def counts(conn: Connection, office: str | None, now: datetime,
           found: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """Per office (and TOTAL), the counts of `_columns`, the sum of the delays, and the cases closed by a merge;
    from `found` (the `tallies` already read) or read now."""
    found = tallies(conn, office, now) if found is None else found
    kinds = [*_columns(now), DELAY_SUM]
    out: dict[str, dict[str, Any]] = {}
    for row in found:
        mine = out.setdefault(row["office"], {k: 0 for k in kinds})
        for k in kinds:
            mine[k] += row[k]
    merged = merged_by_office(conn, office)
    for name, mine in out.items():
        mine["closed_merged"] = merged.get(name, 0)
    out[TOTAL] = {k: sum(mine[k] for mine in out.values()) for k in (*kinds, "closed_merged")}
    return out


def by_region(conn: Connection, office: str | None, now: datetime,
              found: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Per region code (None: a place that names no unit): incidents, recorded, on time, goal passed, overdue, open;
    from `found` (the `tallies` already read) or read now."""
    regions: dict[str | None, dict[str, int]] = {}
    for row in tallies(conn, office, now) if found is None else found:
        mine = regions.setdefault(row["region_pcode"], defaultdict(int))
        for name, value in (("incidents", row["incidents"]), ("recorded", row["recorded"]),
                            ("on_time", row["v_met"]), ("overdue_unrecorded", row["v_overdue"]),
                            ("goal_passed", row["v_met"] + row["v_missed"] + row["v_unjudged"] + row["v_overdue"]),
                            ("open_cases", row["open_cases"])):
            mine[name] += value
    return [{"region_pcode": pcode, **mine} for pcode, mine in regions.items()]


def _nth(conn: Connection, query: Select[Any], n: int) -> Any:
    return conn.scalar(query.limit(1).offset(n))


def delays(conn: Connection, office: str | None, recorded: int, total: float
           ) -> tuple[float | None, float | None, float | None]:
    """Mean, median and 90th percentile (nearest rank) of the recording delays in days, over the `recorded` whose
    delays add up to `total`: the middle and the rank read by ordered queries, one value each
    (ix_case_summaries_office_delay)."""
    if not recorded:
        return None, None, None
    base = _scoped(select(s.recording_days).where(s.recording_days.is_not(None)), office).order_by(s.recording_days)
    low, high = _nth(conn, base, (recorded - 1) // 2), _nth(conn, base, recorded // 2)
    median = high if recorded % 2 else (low + high) / 2
    p90 = _nth(conn, base, max(1, math.ceil(90 / 100 * recorded)) - 1)
    return total / recorded, median, p90


def _overdue(query: Select[Any], now: datetime) -> Select[Any]:
    return query.where(s.recorded_at.is_(None), s.recording_outcome.is_(None), s.recording_due_at <= _now(now))


def overdue_ages(conn: Connection, office: str | None, now: datetime, overdue: int
                 ) -> tuple[float | None, float | None]:
    """The oldest and the median days past the recording goal of the unrecorded overdue, by ordered queries."""
    if not overdue:
        return None, None
    base = _overdue(_scoped(select(s.recording_due_at), office), now).order_by(s.recording_due_at.desc())

    def days(n: int) -> float:  # the n-th youngest: days since its due instant
        return float((utc(now) - utc(_nth(conn, base, n))) / DAY)  # as reporting's days_between

    oldest = days(overdue - 1)
    low, high = days((overdue - 1) // 2), days(overdue // 2)
    return oldest, high if overdue % 2 else (low + high) / 2


def overdue_list(conn: Connection, office: str | None, now: datetime, limit: int) -> list[dict[str, Any]]:
    """The unrecorded past their recording goal, the longest overdue first (then by reference), at most `limit`."""
    query = _overdue(_scoped(select(s.reference, s.office, s.reported_at, s.recording_due_at, s.assignee), office),
                     now).order_by(s.recording_due_at, s.reference).limit(limit)
    return rows(conn.execute(query))


def placed(conn: Connection, office: str | None) -> list[tuple[str, float, float]]:
    """(reference, latitude, longitude) of the incidents with their own coordinates, by reference."""
    query = _scoped(select(s.reference, s.latitude, s.longitude)
                    .where(s.latitude.is_not(None), s.longitude.is_not(None)), office).order_by(s.reference)
    return [(r, float(la), float(lo)) for r, la, lo in conn.execute(query)]


def recording_goal_days(conn: Connection, office: str | None) -> float | None:
    """The goal the monitor last scheduled a recording clock with (the one most recently started)."""
    clock = case_schedules.c
    query = select(clock.started_at, clock.due_at).where(clock.clock == "recording")
    if office is not None:
        query = query.where(clock.case_id.in_(select(s.case_id).where(s.office == office)))
    found = conn.execute(query.order_by(clock.started_at.desc()).limit(1)).first()
    if found is None:
        return None
    return float((utc(found[1]) - utc(found[0])).total_seconds() / 86400)


def no_counts() -> dict[str, int]:
    """The counts of an office without a case: every one of them zero."""
    return defaultdict(int)
