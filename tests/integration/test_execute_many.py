"""Batch writes through `execute_many` store exactly what SQLAlchemy's own executemany stores, on SQLite and on
PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, MetaData, Table, insert, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import StatementError

from services.casework.adapters import tables as casework_tables
from services.casework.adapters.repository import _case_row
from services.casework.domain.case import Case
from services.intake.adapters import tables as intake_tables
from services.messaging.embedded import metadata as log_metadata
from services.messaging.embedded import records
from services.messaging.many import execute_many
from services.messaging.sqlite import sqlite_engine
from services.sla_monitor.adapters import repository as sla_repo
from services.sla_monitor.adapters import tables as sla_tables
from services.sla_monitor.domain.clocks import Clock
from sitreps.key import incident_key

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BAMAKO_PLUS_TWO = timezone(timedelta(hours=2))


def clock(n: int, **changes: Any) -> Clock:
    values: dict[str, Any] = dict(
        case_id=f"c-{n:04d}", name="stall", reference=f"MOP-2026-{n:04d}", office="Mopti", stage="preliminary",
        assignee=None if n % 2 else "awa", started_at=(T0 + timedelta(days=n)).astimezone(BAMAKO_PLUS_TWO),
        episode=T0.isoformat(), policy_version="default", periods_fired=n % 3, warned=bool(n % 2),
        escalated=False, pause_shift=timedelta(microseconds=n), paused_until=None, last_due=None, running=True,
        next_due=T0 + timedelta(days=30 + n, microseconds=7))
    return Clock(**{**values, **changes})


def case(n: int) -> Case:
    return Case(case_id=f"c-{n:04d}", reference=f"MOP-2026-{n:04d}", incident_key=incident_key("SR-1", n),
                office="Mopti", stage="reported", reported_at=T0.astimezone(BAMAKO_PLUS_TWO),
                registered_at=T0 + timedelta(hours=n),
                assignee=None, version=1, details={"location": "Konna", "violation_types": ["abduction"], "n": n})


def log_row(n: int) -> dict[str, Any]:
    return {"topic": "case-events", "key": f"c-{n:04d}", "value": bytes(range(n % 256)) + b"\x00\xff",
            "headers": '{"type":"CaseRegistered"}', "event_id": None if n % 5 == 0 else f"e-{n}"}


WRITES: dict[str, tuple[MetaData, Any, Callable[[int], dict[str, Any]]]] = {
    "sla_clocks": (sla_tables.metadata, insert(sla_tables.clocks), lambda n: sla_repo._row(clock(n))),
    "cases": (casework_tables.metadata, insert(casework_tables.cases), lambda n: _case_row(case(n))),
    "log_records": (log_metadata, insert(records).prefix_with("OR IGNORE"), log_row),
}


def stored(path: Path, table: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(f"select * from {table} order by rowid").fetchall()


def engine_with(path: Path, metadata: MetaData) -> Engine:
    engine = sqlite_engine(path)
    metadata.create_all(engine)
    return engine


@pytest.mark.parametrize("table", sorted(WRITES))
def test_rows_written_as_tuples_are_stored_as_sqlalchemy_stores_them(tmp_path: Path, table: str) -> None:
    metadata, statement, row = WRITES[table]
    rows = [row(n) for n in range(1, 40)]
    ours, theirs = engine_with(tmp_path / "ours.sqlite", metadata), engine_with(tmp_path / "theirs.sqlite", metadata)
    with ours.begin() as conn:
        execute_many(conn, statement, rows)
    with theirs.begin() as conn:
        conn.execute(statement, rows)
    assert stored(tmp_path / "ours.sqlite", table) == stored(tmp_path / "theirs.sqlite", table)
    assert len(stored(tmp_path / "ours.sqlite", table)) == 39


def test_an_update_by_key_changes_the_same_rows_the_same_way(tmp_path: Path) -> None:
    paths = tmp_path / "ours.sqlite", tmp_path / "theirs.sqlite"
    run: list[Callable[[Connection, Any, list[dict[str, Any]]], Any]] = [
        execute_many, lambda conn, statement, rows: conn.execute(statement, rows)]
    changed = [clock(n, periods_fired=4, escalated=True, last_due=T0 + timedelta(days=n)) for n in range(1, 20, 3)]
    for path, write in zip(paths, run, strict=True):
        engine = engine_with(path, sla_tables.metadata)
        with engine.begin() as conn:
            sla_repo.save(conn, [(None, clock(n)) for n in range(1, 20)])
        with engine.begin() as conn:
            columns = ("periods_fired", "escalated", "last_due")
            write(conn, sla_repo._update(columns), [
                {"k_case_id": c.case_id, "k_clock": c.name, **{k: sla_repo._row(c)[k] for k in columns}}
                for c in changed])
        engine.dispose()
    assert stored(paths[0], "sla_clocks") == stored(paths[1], "sla_clocks")
    with sqlite_engine(paths[0]).connect() as conn:
        assert sla_repo.load_case(conn, "c-0004")["stall"] == changed[1]


def test_a_value_of_the_wrong_kind_is_refused_as_sqlalchemy_refuses_it(tmp_path: Path) -> None:
    engine = engine_with(tmp_path / "ours.sqlite", sla_tables.metadata)
    row = {**sla_repo._row(clock(1)), "started_at": "2026-03-02T08:00:00+00:00"}  # text, not a datetime
    with pytest.raises(TypeError, match="SQLite DateTime type only accepts Python datetime"), engine.begin() as conn:
        execute_many(conn, insert(sla_tables.clocks), [row])
    assert stored(tmp_path / "ours.sqlite", "sla_clocks") == []


def test_a_statement_with_a_default_to_fill_in_goes_through_sqlalchemy_and_gets_it(tmp_path: Path) -> None:
    outbox = sla_tables.outbox  # headers default to "{}" when a row leaves them out
    engine = engine_with(tmp_path / "ours.sqlite", sla_tables.metadata)
    with engine.begin() as conn:
        execute_many(conn, insert(outbox), [{"topic": "sla-events", "key": "c-0001", "value": b"{}"}])
    assert stored(tmp_path / "ours.sqlite", "outbox") == [(1, "sla-events", "c-0001", b"{}", "{}")]


def accepted(n: int) -> dict[str, Any]:
    return {"incident_key": incident_key("SR-MOP-1", n), "content_hash": f"{n:064x}", "sitrep_id": "SR-MOP-1",
            "incident_number": n, "office": "Mopti", "occurred_on": (T0 + timedelta(days=n)).date(),
            "location": f"konna {n}", "violation_types": "abduction;killing", "reported_at": T0.astimezone(
                BAMAKO_PLUS_TWO), "accepted_at": T0 + timedelta(seconds=n, microseconds=n)}


def history(n: int) -> dict[str, Any]:
    return {"event_id": f"e-{n:04d}", "case_id": f"c-{n % 7:04d}", "type": "CaseRegistered",
            "occurred_at": T0 + timedelta(minutes=n), "actor": "system", "payload": f'{{"n":{n},"é":"ß"}}'}


def outgoing(n: int) -> dict[str, Any]:
    return {"topic": "sla-events", "key": f"c-{n:04d}", "value": bytes(range(n % 256)) + b"\x00\xff",
            "headers": '{"type":"SlaBreached"}'}


# Every kind of column the services write in batches: text, integers, booleans, dates, timestamps with a zone,
# bytes; NULLs, and columns that are NULL in every row; serial ids, which must follow the rows' order.
PG_WRITES: dict[str, tuple[Table, Callable[[int], dict[str, Any]]]] = {
    "sla_clocks": (sla_tables.clocks, lambda n: sla_repo._row(clock(n))),
    "cases": (casework_tables.cases, lambda n: _case_row(case(n))),
    "case_history": (casework_tables.case_history, history),
    "accepted_incidents": (intake_tables.accepted_incidents, accepted),
    "outbox": (sla_tables.outbox, outgoing),
}


@pytest.fixture
def two_schemas(postgres: tuple[Engine, str]) -> Iterator[tuple[Engine, Engine]]:
    """Ours and theirs: the same tables in two fresh schemas of the test database."""
    server, schema = postgres
    names = (schema, f"{schema}_b")
    with server.begin() as conn:
        for name in names:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
    engines = tuple(server.execution_options(schema_translate_map={None: name}) for name in names)
    for engine in engines:
        for metadata in (sla_tables.metadata, casework_tables.metadata, intake_tables.metadata):
            metadata.create_all(engine)
    yield engines[0], engines[1]
    with server.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{names[1]}" CASCADE'))


def pg_stored(engine: Engine, table: Table) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(PG_WRITES))
def test_rows_written_as_arrays_are_stored_as_sqlalchemy_stores_them_on_postgresql(
        two_schemas: tuple[Engine, Engine], name: str) -> None:
    table, row = PG_WRITES[name]
    rows = [row(n) for n in range(1, 40)]
    ours, theirs = two_schemas
    with ours.begin() as conn:
        execute_many(conn, insert(table), rows)
    with theirs.begin() as conn:
        conn.execute(insert(table), rows)
    assert pg_stored(ours, table) == pg_stored(theirs, table)
    assert len(pg_stored(ours, table)) == 39


@pytest.mark.postgres
def test_on_postgresql_serial_ids_follow_the_order_of_the_rows(two_schemas: tuple[Engine, Engine]) -> None:
    ours, _ = two_schemas
    keys = [f"c-{n:04d}" for n in (5, 3, 9, 1, 7, 2)]
    with ours.begin() as conn:
        execute_many(conn, insert(sla_tables.outbox), [{**outgoing(1), "key": key} for key in keys])
    assert [row[2] for row in pg_stored(ours, sla_tables.outbox)] == keys  # by id


@pytest.mark.postgres
def test_on_postgresql_an_upsert_still_meets_each_row_in_turn(two_schemas: tuple[Engine, Engine]) -> None:
    ours, _ = two_schemas
    upsert = postgresql.insert(sla_tables.outbox).on_conflict_do_nothing(index_elements=["id"])
    rows = [{"id": 1, **outgoing(1)}, {"id": 1, **outgoing(2)}, {"id": 2, **outgoing(3)}]
    with ours.begin() as conn:  # one INSERT ... ON CONFLICT of all three would refuse to meet id 1 twice
        execute_many(conn, upsert, rows)
    assert [row[:3] for row in pg_stored(ours, sla_tables.outbox)] == [(1, "sla-events", "c-0001"),
                                                                       (2, "sla-events", "c-0003")]


@pytest.mark.postgres
def test_on_postgresql_a_default_to_fill_in_is_filled_in(two_schemas: tuple[Engine, Engine]) -> None:
    ours, _ = two_schemas
    with ours.begin() as conn:
        execute_many(conn, insert(sla_tables.outbox), [{"topic": "sla-events", "key": "c-0001", "value": b"{}"}])
    assert pg_stored(ours, sla_tables.outbox) == [(1, "sla-events", "c-0001", b"{}", "{}")]


@pytest.mark.postgres
def test_on_postgresql_a_value_of_the_wrong_kind_is_refused_and_nothing_is_stored(
        two_schemas: tuple[Engine, Engine]) -> None:
    ours, _ = two_schemas
    rows = [sla_repo._row(clock(1)), {**sla_repo._row(clock(2)), "started_at": "yesterday"}]
    with pytest.raises(StatementError, match="yesterday"), ours.begin() as conn:
        execute_many(conn, insert(sla_tables.clocks), rows)
    assert pg_stored(ours, sla_tables.clocks) == []
