"""The monitor's schedules in casework's table: the latest per case and clock, upserted; read for lists and pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Insert, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.casework.adapters.tables import case_schedules, cases
from services.casework.domain.schedules import FIELDS, Schedule
from services.messaging import pg_arrays
from services.messaging.many import execute_many
from services.messaging.times import as_utc, utc

CHUNK = 500  # keeps IN (...) lists under SQLite's bound-parameter limit
_WHEN = ("started_at", "due_at", "warn_at", "escalate_at", "paused_until", "stopped_at")
_UPSERTS: dict[str, Insert] = {}


def _upsert(dialect: str) -> Insert:
    """Insert, or replace the row of the same case and clock unless it holds a later episode (a late duplicate)."""
    if dialect not in _UPSERTS:
        insert = pg_insert(case_schedules) if dialect == "postgresql" else sqlite_insert(case_schedules)
        _UPSERTS[dialect] = insert.on_conflict_do_update(
            index_elements=["case_id", "clock"],
            set_={name: insert.excluded[name] for name in FIELDS if name not in ("case_id", "clock")},
            where=insert.excluded.started_at >= case_schedules.c.started_at)
    return _UPSERTS[dialect]


def _row(s: Schedule) -> dict[str, Any]:
    return {name: (utc(value) if name in _WHEN and value is not None else value)
            for name, value in ((n, getattr(s, n)) for n in FIELDS)}


def save(conn: Connection, schedules: Sequence[Schedule]) -> None:
    """Upsert the schedules, at most one per case and clock (`BatchSchedules` keeps the last of each)."""
    if not schedules:
        return
    rows = [_row(s) for s in schedules]
    if conn.dialect.name == "postgresql":
        # One statement of one array per column: an executemany is a statement per row on PostgreSQL (2,000 rows:
        # 33 ms of the worker's CPU and 90-180 ms in all). Safe as an upsert because no key comes twice.
        conn.execute(_pg_upsert(), pg_arrays.columns(conn, rows, FIELDS))
    else:
        execute_many(conn, _upsert("sqlite"), rows)


@cache
def _pg_upsert() -> Insert:
    v = pg_arrays.arrays(case_schedules, FIELDS)
    insert = pg_insert(case_schedules).from_select(list(FIELDS), select(*(v.c[name] for name in FIELDS)))
    return insert.on_conflict_do_update(
        index_elements=["case_id", "clock"],
        set_={name: insert.excluded[name] for name in FIELDS if name not in ("case_id", "clock")},
        where=insert.excluded.started_at >= case_schedules.c.started_at)


class BatchSchedules:
    """A batch's schedules, the last per case and clock, written at its end in one statement."""

    def __init__(self) -> None:
        self.latest: dict[tuple[str, str], Schedule] = {}

    def add(self, schedule: Schedule) -> None:
        self.latest[schedule.case_id, schedule.clock] = schedule

    def flush(self, conn: Connection) -> list[str]:
        """Write them; returns the cases whose schedules changed."""
        found = list(self.latest.values())
        save(conn, found)
        self.latest = {}
        return list(dict.fromkeys(s.case_id for s in found))


def for_cases(conn: Connection, case_ids: Sequence[str]) -> dict[str, list[Schedule]]:
    """The schedules of these cases, by case."""
    out: dict[str, list[Schedule]] = {case_id: [] for case_id in case_ids}
    wanted = list(out)
    for start in range(0, len(wanted), CHUNK):
        query = select(case_schedules).where(case_schedules.c.case_id.in_(wanted[start:start + CHUNK]))
        for row in conn.execute(query).mappings():
            out[row["case_id"]].append(_schedule(row))
    return out


def all_schedules(conn: Connection, office_case_ids: Sequence[str] | None = None) -> list[Schedule]:
    """Every schedule casework holds (of these cases only, when given)."""
    if office_case_ids is not None:
        return [s for found in for_cases(conn, office_case_ids).values() for s in found]
    return [_schedule(row) for row in conn.execute(select(case_schedules)).mappings()]


def _schedule(row: Any) -> Schedule:
    values: dict[str, Any] = {name: (as_utc(row[name]) if name in _WHEN else row[name]) for name in FIELDS}
    return Schedule(**values)


def recording_goals(conn: Connection, now: datetime) -> list[tuple[str, str, int, datetime | None]]:
    """(office, verdict, count, earliest due) of the recording clocks casework holds, for the gauges: `met` and
    `missed` as the monitor judged them when it stopped them; running ones `overdue` once their due instant has
    come (the instant the monitor's breach fires, as `domain.schedules.sla_state` reads it), `pending` before."""
    come = case_schedules.c.due_at <= utc(now)
    query = (select(cases.c.office, case_schedules.c.state, case_schedules.c.outcome, come, func.count(),
                    func.min(case_schedules.c.due_at))
             .join(cases, cases.c.case_id == case_schedules.c.case_id)
             .where(case_schedules.c.clock == "recording")
             .group_by(cases.c.office, case_schedules.c.state, case_schedules.c.outcome, come))
    out = []
    for office, state, outcome, due, n, earliest in conn.execute(query):
        running = "overdue" if due else "pending"
        verdict = ("met" if outcome == "met" else "missed") if state == "stopped" else running
        out.append((office, verdict, int(n), as_utc(earliest)))
    return out
