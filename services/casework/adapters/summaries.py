"""The case read model's tables: written with the cases and schedules they come from, rebuilt on demand."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Insert, Update, bindparam, delete, func, insert, select, update
from sqlalchemy import case as when_then
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.casework.adapters import state
from services.casework.adapters.tables import When, case_counts, case_schedules, case_summaries, case_violations
from services.casework.domain.case import Case
from services.casework.domain.summaries import summary_of, violations_of
from services.messaging.many import execute_many
from services.messaging.times import as_utc

FAR = datetime(9999, 12, 31, tzinfo=UTC)  # the urgency of a case with no running clock: after every deadline
CHUNK = 500
TIMES = ("reported_at", "occurred_at", "registered_at", "recorded_at", "last_activity_at", "closed_at",
          "closure_requested_at", "next_due_at", "next_warn_at", "next_paused_until", "urgency_at",
          "recording_due_at", "recording_stopped_at", "stall_due_at")
DEADLINE_COLUMNS = ("next_clock", "next_due_at", "next_warn_at", "next_paused_until", "urgency_at",
                    "recording_due_at", "recording_outcome", "recording_stopped_at", "stall_due_at")
_CASE_COLUMNS = tuple(c.name for c in case_summaries.columns if c.name not in (*DEADLINE_COLUMNS, "case_id"))
_INSERT = insert(case_summaries)
_INSERT_VIOLATIONS = insert(case_violations)
_UPDATE_CASE: Update = (update(case_summaries).where(case_summaries.c.case_id == bindparam("k_case_id"))
                        .values({name: bindparam(name) for name in _CASE_COLUMNS}))
# The deadline columns from every schedule casework holds of each case, in one statement run by the database (read
# back and worked out in Python, they cost a tenth of the write path's throughput). It states in SQL what
# domain.summaries.deadline_of says (by domain.schedules.next_deadline): the soonest running clock (by due instant, then
# clock name), and the recording clock's verdict once stopped (missed unless the monitor said met); the property
# test of the read model holds the two to agreement.
_S = case_schedules.alias("s")
_OF_CASE = _S.c.case_id == case_summaries.c.case_id
_RUNNING = (_OF_CASE, _S.c.state != "stopped")
_RECORDING = (_OF_CASE, _S.c.clock == "recording")


def _next(column: str) -> Any:
    """A column of the case's soonest running clock (correlated: one indexed lookup per case)."""
    return select(_S.c[column]).where(*_RUNNING).order_by(_S.c.due_at, _S.c.clock).limit(1).scalar_subquery()


def _recording(column: Any) -> Any:
    return select(column).where(*_RECORDING).scalar_subquery()


# Core, not text: production's tables live in each service's schema, which only Core statements are translated to.
_FOLLOW = (update(case_summaries).where(case_summaries.c.case_id.in_(bindparam("ids", expanding=True))).values(
    next_clock=_next("clock"), next_due_at=_next("due_at"), next_warn_at=_next("warn_at"),
    next_paused_until=_next("paused_until"),
    urgency_at=func.coalesce(select(func.min(_S.c.due_at)).where(*_RUNNING).scalar_subquery(),
                             bindparam("far", FAR, type_=When)),
    recording_due_at=_recording(_S.c.due_at),
    recording_outcome=_recording(when_then((_S.c.state == "stopped", func.coalesce(_S.c.outcome, "missed")))),
    recording_stopped_at=_recording(_S.c.stopped_at),
    stall_due_at=select(_S.c.due_at).where(*_RUNNING, _S.c.clock == "stall").scalar_subquery()))
_SCHEDULED = (select(case_schedules.c.case_id).distinct()
              .where(case_schedules.c.case_id.in_(bindparam("ids", expanding=True))))
_NO_DEADLINE = {name: None for name in DEADLINE_COLUMNS} | {"urgency_at": FAR}  # until follow_schedules runs
_FORGET_VIOLATIONS = delete(case_violations).where(case_violations.c.case_id == bindparam("k_case_id"))


def _utc(row: dict[str, Any]) -> dict[str, Any]:
    """In UTC: SQLite keeps no offset, so a time written with one would be read back shifted (and misordered)."""
    for name in TIMES:
        if name in row:
            row[name] = as_utc(row[name])
    return row


def add(conn: Connection, new: Sequence[Case]) -> dict[str, dict[str, Any]]:
    """The rows of newly registered cases, with whatever schedules of theirs arrived first, and their counts by
    office and stage; returns the rows as they were written (by case id: what the likely duplicates read of the new
    cases), deadline columns aside."""
    written = _add_rows(conn, new)
    _count(conn, Counter((case.office, case.stage) for case in new))
    return written


def _add_rows(conn: Connection, new: Sequence[Case]) -> dict[str, dict[str, Any]]:
    if not new:
        return {}
    rows = [_utc({**summary_of(case), **_NO_DEADLINE}) for case in new]
    execute_many(conn, _INSERT, rows)
    execute_many(conn, _INSERT_VIOLATIONS, [{"violation": v, "case_id": case.case_id}
                                            for case in new for v in violations_of(case)])
    # Most cases are registered before the monitor schedules them: only those it scheduled first need following.
    ids = [case.case_id for case in new]
    follow_schedules(conn, [found for start in range(0, len(ids), CHUNK)
                            for found in conn.scalars(_SCHEDULED, {"ids": ids[start:start + CHUNK]})])
    return {row["case_id"]: row for row in rows}


def change(conn: Connection, changed: Sequence[tuple[Case, Case]]) -> None:
    """The rows of cases a command changed (before, after): their own columns; the deadline ones follow schedules."""
    if not changed:
        return
    rows = []
    for _before, after in changed:
        row = _utc(summary_of(after))
        rows.append({"k_case_id": row.pop("case_id"), **row})
    execute_many(conn, _UPDATE_CASE, rows)
    moves: Counter[tuple[str, str]] = Counter()
    for before, after in changed:
        if (before.office, before.stage) != (after.office, after.stage):
            moves[(before.office, before.stage)] -= 1
            moves[(after.office, after.stage)] += 1
    _count(conn, moves)
    moved = [after for before, after in changed if violations_of(before) != violations_of(after)]
    if moved:  # an amendment of the violations: rare, so the rows are simply replaced
        execute_many(conn, _FORGET_VIOLATIONS, [{"k_case_id": case.case_id} for case in moved])
        execute_many(conn, _INSERT_VIOLATIONS, [{"violation": v, "case_id": case.case_id}
                                                for case in moved for v in violations_of(case)])


def follow_schedules(conn: Connection, case_ids: Iterable[str]) -> None:
    """The deadline columns of cases whose schedules changed, from every schedule casework holds of each."""
    wanted = list(dict.fromkeys(case_ids))
    for start in range(0, len(wanted), CHUNK):
        conn.execute(_FOLLOW, {"ids": wanted[start:start + CHUNK]})


def rebuild(conn: Connection) -> int:
    """Every row again, from casework's cases and the monitor's schedules it holds (their counts: `recount`); returns
    the number of cases.
    (Casework's cases are themselves rebuilt from the log by `hrcase restore`, through the same handlers.)"""
    conn.execute(delete(case_violations))
    conn.execute(delete(case_summaries))
    done = 0
    for found in state.every_case(conn, CHUNK):
        _add_rows(conn, found)
        done += len(found)
    return done


_COUNTS: dict[str, Insert] = {}


def _count(conn: Connection, deltas: Counter[tuple[str, str]]) -> None:
    """Cases in or out of each office and stage: one upsert each, in one order (two transactions moving cases
    between the same stages take their rows' locks alike, and never wait on each other in a circle)."""
    dialect = conn.dialect.name
    if dialect not in _COUNTS:
        first = (pg_insert if dialect == "postgresql" else sqlite_insert)(case_counts)
        _COUNTS[dialect] = first.on_conflict_do_update(
            index_elements=["office", "stage"], set_={"cases": case_counts.c.cases + first.excluded.cases})
    rows = [{"office": office, "stage": stage, "cases": n} for (office, stage), n in sorted(deltas.items()) if n]
    if rows:
        execute_many(conn, _COUNTS[dialect], rows)


# How many rows each office has at each stage: what case_counts must hold (recount writes it, check compares it).
COUNTED = (select(case_summaries.c.office, case_summaries.c.stage, func.count())
           .group_by(case_summaries.c.office, case_summaries.c.stage))


def recount(conn: Connection) -> None:
    """The counts by office and stage from the rows, all of them again (what `rebuild` leaves to its callers: older
    migrations run it before case_counts exists)."""
    conn.execute(delete(case_counts))
    conn.execute(insert(case_counts).from_select(["office", "stage", "cases"], COUNTED))


def count(conn: Connection) -> int:
    return int(conn.scalar(select(func.count()).select_from(case_summaries)) or 0)
