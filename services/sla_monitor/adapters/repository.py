"""Clocks and emitted SLA events in SQL (SQLAlchemy Core), always inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    Update,
    and_,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from services.messaging import pg_arrays
from services.messaging.many import execute_many
from services.messaging.times import as_utc, utc
from services.sla_monitor.adapters.tables import clocks, emitted
from services.sla_monitor.domain.clocks import Clock
from services.sla_monitor.domain.events import SlaEvent

MICROSECOND = timedelta(microseconds=1)
CHUNK = 500  # keeps IN (...) lists under SQLite's bound-parameter limit

# Built once: making a statement costs several times what executing a cached one does, and these run per message.
# Locked in key order, as `stale` locks them: a case event and a policy adoption that want the same clocks wait for
# each other rather than deadlock (PostgreSQL; SQLite has one writer at a time).
_KEY_ORDER = (clocks.c.case_id, clocks.c.clock)
_LOAD_CASE = select(clocks).where(clocks.c.case_id == bindparam("case_id")).order_by(*_KEY_ORDER).with_for_update()
_LOAD_CASES = (select(clocks).where(clocks.c.case_id.in_(bindparam("ids", expanding=True))).order_by(*_KEY_ORDER)
               .with_for_update())
_LOAD_CASES_PG = (select(clocks).where(pg_arrays.any_of(clocks.c.case_id, "ids"))
                  .order_by(*_KEY_ORDER).with_for_update())
_INSERT_CLOCKS = insert(clocks)
_UPDATES: dict[tuple[str, ...], Update] = {}


def load_case(conn: Connection, case_id: str) -> dict[str, Clock]:
    """The clocks of one case, locked until commit so a concurrent tick cannot fire them meanwhile."""
    rows = conn.execute(_LOAD_CASE, {"case_id": case_id})
    return {row.clock: _clock(row) for row in rows}


class BatchClocks:
    """The clocks of a batch's cases, read in one query (locked until commit) and written at the batch's end.

    A case's second event in the batch sees what its first did; `flush` writes each clock's last state once.
    """

    def __init__(self) -> None:
        self.cases: dict[str, dict[str, Clock]] = {}
        self.stored: dict[tuple[str, str], Clock | None] = {}  # as in the database before the batch

    def prefetch(self, conn: Connection, case_ids: Sequence[str]) -> None:
        wanted = list(dict.fromkeys(c for c in case_ids if c not in self.cases))
        if conn.dialect.name == "postgresql" and wanted:  # one query, the ids as one array
            for case_id in wanted:
                self.cases[case_id] = {}
            for row in conn.execute(_LOAD_CASES_PG, {"ids": pg_arrays.binary(conn, wanted)}):
                self.cases[row.case_id][row.clock] = _clock(row)
            return
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            for case_id in chunk:
                self.cases[case_id] = {}
            for row in conn.execute(_LOAD_CASES, {"ids": chunk}):
                self.cases[row.case_id][row.clock] = _clock(row)

    def load_case(self, conn: Connection, case_id: str) -> dict[str, Clock]:
        if case_id not in self.cases:
            self.cases[case_id] = load_case(conn, case_id)
        return dict(self.cases[case_id])

    def save(self, changes: Sequence[tuple[Clock | None, Clock]]) -> None:
        for before, after in changes:
            self.stored.setdefault((after.case_id, after.name), before)
            self.cases.setdefault(after.case_id, {})[after.name] = after

    def flush(self, conn: Connection) -> None:
        save(conn, [(before, self.cases[case_id][name]) for (case_id, name), before in self.stored.items()])
        self.stored.clear()


def due(conn: Connection, t: datetime, limit: int) -> list[Clock]:
    """Running clocks with a deadline at or before `t`, earliest first, read from the head of the index."""
    return [_clock(row) for row in conn.execute(due_query(t, limit))]


def due_query(t: datetime, limit: int) -> Select:
    return (
        select(clocks)
        .where(clocks.c.running, clocks.c.next_due <= utc(t))
        .order_by(clocks.c.next_due)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL: two workers ticking never fire one clock twice
    )


def stale(conn: Connection, version: str, limit: int) -> list[Clock]:
    """Running clocks scheduled under another policy version (a scan: run once per start, not per tick), locked
    until commit: a case event another worker is applying to one of them is waited for, and the clock read as it
    left it, instead of rescheduled from the copy before it and written over its change."""
    query = (select(clocks).where(clocks.c.running, clocks.c.policy_version != version)
             .order_by(*_KEY_ORDER).limit(limit).with_for_update())
    return [_clock(row) for row in conn.execute(query)]


def save(conn: Connection, changes: Sequence[tuple[Clock | None, Clock]]) -> None:
    """Write (as loaded, as now) pairs: insert clocks not loaded before, update the ones that changed."""
    new = [_row(after) for before, after in changes if before is None]
    changed = [(before, after) for before, after in changes
               if before is not None and before is not after and before != after]
    execute_many(conn, _INSERT_CLOCKS, new)
    if not changed:
        return
    # Only the columns that changed in some clock (a tick moves five or six of the fifteen): a third of the values
    # to send, and to write.
    fields: set[str] = set()
    for before, after in changed:
        was = before.__dict__
        fields.update(name for name, value in after.__dict__.items() if was[name] != value)
    columns = tuple(name for field, name in _FIELD_COLUMNS if field in fields and name not in _KEY)
    if not columns:
        return  # only a key differs: not a change of this clock's row
    rows = [_row(after) for _, after in changed]
    if conn.dialect.name == "postgresql":
        # One statement for the lot, each column's values as one array: an UPDATE per clock (executemany) was
        # most of a burst's tick.
        conn.execute(_pg_update(columns), pg_arrays.columns(conn, rows, _KEY + columns))
    else:
        execute_many(conn, _update(columns), [{"k_case_id": row["case_id"], "k_clock": row["clock"],
                                               **{name: row[name] for name in columns}} for row in rows])


def _update(columns: tuple[str, ...]) -> Update:
    """The update of a clock's columns, by case and clock (built once per set of columns)."""
    if columns not in _UPDATES:
        key = and_(clocks.c.case_id == bindparam("k_case_id"), clocks.c.clock == bindparam("k_clock"))
        _UPDATES[columns] = update(clocks).where(key).values({name: bindparam(name) for name in columns})
    return _UPDATES[columns]


def _pg_update(columns: tuple[str, ...]) -> Update:
    """UPDATE sla_clocks SET ... FROM unnest(:a_case_id, :a_clock, ...) AS v(...) WHERE the keys match (PostgreSQL;
    built once per set of columns)."""
    if columns not in _PG_UPDATES:
        v = pg_arrays.arrays(clocks, _KEY + columns)
        # `case_id = ANY(:a_case_id)` lets the planner read the few rows by the primary key: joined to the unnest
        # alone, it estimated ten matches and could hash the whole table instead.
        key = and_(pg_arrays.any_of(clocks.c.case_id, "a_case_id"),
                   clocks.c.case_id == v.c.case_id, clocks.c.clock == v.c.clock)
        _PG_UPDATES[columns] = update(clocks).where(key).values({name: v.c[name] for name in columns})
    return _PG_UPDATES[columns]


_KEY = ("case_id", "clock")
# (Clock field, its column), in the table's order.
_FIELD_OF = {"clock": "name", "pause_shift_us": "pause_shift"}  # the others are named as their columns
_FIELD_COLUMNS = [(_FIELD_OF.get(c.name, c.name), c.name) for c in clocks.columns]
_PG_UPDATES: dict[tuple[str, ...], Update] = {}
_EMITTED_COLUMNS = tuple(c.name for c in emitted.columns)
_PG_CLAIM_ROWS = pg_arrays.arrays(emitted, _EMITTED_COLUMNS)
# The claim in one statement: insert what was never emitted and hand back those rows only. On PostgreSQL a concurrent
# transaction's uncommitted claim of the same event makes this one wait, then skip it once that one commits.
_CLAIM = {
    "postgresql": postgresql.insert(emitted)
    .from_select(_EMITTED_COLUMNS, select(*(_PG_CLAIM_ROWS.c[name] for name in _EMITTED_COLUMNS)))
    .on_conflict_do_nothing().returning(emitted.c.event_id),
    "sqlite": sqlite.insert(emitted).on_conflict_do_nothing().returning(emitted.c.event_id),
}


def claim(conn: Connection, events: Sequence[SlaEvent]) -> list[SlaEvent]:
    """Record events as emitted and return those never emitted before, so a replay emits nothing twice."""
    unique = list({e.event_id: e for e in events}.values())
    if not unique:
        return []
    rows = [{"event_id": e.event_id, "case_id": e.case_id, "clock": e.clock, "episode": e.episode,
             "period": e.period, "level": e.level, "occurred_at": utc(e.occurred_at)} for e in unique]
    if conn.dialect.name == "postgresql":
        fresh = set(conn.scalars(_CLAIM["postgresql"], pg_arrays.columns(conn, rows, _EMITTED_COLUMNS)))
    else:
        fresh = set(conn.scalars(_CLAIM[conn.dialect.name], rows))
    return [e for e in unique if e.event_id in fresh]


def next_due(conn: Connection) -> datetime | None:
    return as_utc(conn.scalar(next_due_query()))


def next_due_query() -> Select:
    return select(func.min(clocks.c.next_due)).where(clocks.c.running)


def open_clocks(conn: Connection) -> int:
    return int(conn.scalar(select(func.count()).select_from(clocks).where(clocks.c.running)) or 0)


def open_breaches(conn: Connection) -> dict[tuple[str, str], int]:
    """Running clocks past their goal, counted by (clock, office): counts only, never case identities."""
    query = (
        select(clocks.c.clock, clocks.c.office, func.count())
        .where(clocks.c.running, clocks.c.periods_fired > 0)
        .group_by(clocks.c.clock, clocks.c.office)
    )
    return {(clock, office): int(n) for clock, office, n in conn.execute(query)}


def running_by_clock(conn: Connection) -> dict[tuple[str, str], int]:
    """Running clocks by (clock, office)."""
    query = (select(clocks.c.clock, clocks.c.office, func.count()).where(clocks.c.running)
             .group_by(clocks.c.clock, clocks.c.office))
    return {(clock, office): int(n) for clock, office, n in conn.execute(query)}


def _row(c: Clock) -> dict[str, Any]:
    return {
        "case_id": c.case_id, "clock": c.name, "reference": c.reference, "office": c.office, "stage": c.stage,
        "assignee": c.assignee, "started_at": utc(c.started_at), "episode": c.episode,
        "policy_version": c.policy_version, "periods_fired": c.periods_fired, "warned": c.warned,
        "escalated": c.escalated, "pause_shift_us": c.pause_shift // MICROSECOND,
        "paused_until": as_utc(c.paused_until), "last_due": as_utc(c.last_due), "running": c.running,
        "next_due": as_utc(c.next_due), "first_due": as_utc(c.first_due), "published_under": c.published_under,
    }


def _clock(row: Sequence[Any]) -> Clock:
    """A row of `select(clocks)`, its columns in the table's order (unpacked by position: a tick reads thousands)."""
    (case_id, name, reference, office, stage, assignee, started_at, episode, policy_version, periods_fired, warned,
     escalated, pause_shift_us, paused_until, last_due, running, next_due, first_due, published_under) = row
    return Clock(
        case_id=case_id, name=name, reference=reference, office=office, stage=stage, assignee=assignee,
        started_at=utc(started_at), episode=episode, policy_version=policy_version, periods_fired=periods_fired,
        warned=warned, escalated=escalated, pause_shift=pause_shift_us * MICROSECOND, paused_until=as_utc(paused_until),
        last_due=as_utc(last_due), running=running, next_due=as_utc(next_due), first_due=as_utc(first_due),
        published_under=published_under,
    )
