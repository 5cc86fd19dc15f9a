"""sla_monitor on PostgreSQL: the same tables, exactly-once emission, and ticks that skip clocks in use."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, select

from schemas.topics import CASE_EVENTS
from services.messaging.ports import Message
from services.messaging.processing import emit
from services.sla_monitor.adapters import repository, tables
from services.sla_monitor.bootstrap import SlaMonitor, build, migrate
from services.sla_monitor.domain.policy import Policy

T0 = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
CASE = "c-0001"


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def recorded(offset: int, at: float) -> Message:
    payload = {"case_id": CASE, "reference": "MOP-2024-0001", "office": "Mopti", "stage": "preliminary",
               "actor": "hro1", "assignee": "hro1", "reported_at": day(0)}
    out = emit(CASE_EVENTS, "CaseRecorded", occurred_at=day(at), key=CASE, producer="casework", payload=payload)
    return Message(out.topic, 0, offset, out.key, out.value, out.headers)




def monitor(engine: Engine, schema: str) -> SlaMonitor:
    migrate(engine, schema)
    return build(engine.execution_options(schema_translate_map={None: schema}), Policy())


def sla_levels(m: SlaMonitor) -> list[tuple[str, str, int]]:
    with m.engine.connect() as conn:
        values = conn.scalars(select(tables.outbox.c.value).order_by(tables.outbox.c.id)).all()
    return [(p["clock"], p["level"], p["period"]) for p in (json.loads(v)["payload"] for v in values)]


@pytest.mark.postgres
def test_on_postgresql_the_migration_builds_exactly_the_declared_tables(postgres: tuple[Engine, str]) -> None:
    engine, schema = postgres
    migrate(engine, schema)
    migrate(engine, schema)
    # Reflection ignores schema_translate_map, so compare through a connection whose search path is the schema.
    searching = create_engine(engine.url, connect_args={"options": f"-csearch_path={schema}"})
    with searching.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), tables.metadata) == []
    searching.dispose()


@pytest.mark.postgres
def test_on_postgresql_redelivery_and_restart_emit_each_crossing_once(postgres: tuple[Engine, str]) -> None:
    engine, schema = postgres
    first = monitor(engine, schema)
    first.processor.process([recorded(1, at=0)], now=day(0))
    assert first.tick(day(31)) == 1
    second = monitor(engine, schema)
    second.processor.process([recorded(1, at=0)], now=day(31))
    assert second.tick(day(31)) == 0
    assert second.tick(day(60)) == 2
    assert sla_levels(second) == [("stall", "breach", 1), ("stall", "breach", 2), ("stall", "escalation", 2)]
    assert second.next_due() == day(90)
    assert (second.open_clocks(), second.open_breaches()) == (2, {("stall", "Mopti"): 1})
    with second.engine.connect() as conn:
        stall = repository.load_case(conn, CASE)["stall"]
    assert (stall.started_at, stall.last_due, stall.next_due) == (day(0), day(60), day(90))


@pytest.mark.postgres
def test_on_postgresql_a_tick_skips_clocks_another_transaction_is_working_on(postgres: tuple[Engine, str]) -> None:
    engine, schema = postgres
    m = monitor(engine, schema)
    m.processor.process([recorded(1, at=0)], now=day(0))
    with m.engine.connect() as busy:
        held = busy.begin()
        repository.load_case(busy, CASE)  # the case's clocks are locked, as while handling its next event
        assert m.tick(day(31)) == 0
        held.rollback()
    assert m.tick(day(31)) == 1
