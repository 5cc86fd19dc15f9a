"""sla_monitor on PostgreSQL: the same tables, exactly-once emission, and ticks that skip clocks in use."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, func, select

from schemas.topics import CASE_EVENTS
from services.messaging.ports import Message
from services.messaging.processing import emit
from services.sla_monitor.adapters import repository, tables
from services.sla_monitor.bootstrap import SlaMonitor, build, migrate
from services.sla_monitor.domain.events import SlaEvent
from services.sla_monitor.domain.policy import Policy, StallPolicy
from tests.integration.sla_saving import saved_and_loaded_again

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
    events = [json.loads(v) for v in values]
    return [(e["payload"]["clock"], e["payload"]["level"], e["payload"]["period"]) for e in events
            if e["type"] != "SlaScheduled"]


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


def crossings(n: int) -> list[SlaEvent]:
    return [SlaEvent(case_id=f"c-{k:04d}", clock="stall", episode=day(0).isoformat(), level="breach", period=1,
                     occurred_at=day(30), due_at=day(30), started_at=day(0), reference="MOP-2024-0001",
                     office="Mopti", stage="preliminary", assignee=None, recipient_role="team_leader",
                     policy_version="default") for k in range(n)]


@pytest.mark.postgres
def test_on_postgresql_a_claim_racing_an_uncommitted_one_waits_and_then_claims_nothing(
        postgres: tuple[Engine, str]) -> None:
    engine, schema = postgres
    m = monitor(engine, schema)
    events = crossings(300)
    later: list[list[SlaEvent]] = []
    with m.engine.connect() as first:
        held = first.begin()
        assert repository.claim(first, events) == events
        second = threading.Thread(target=lambda: later.append(_claim_and_commit(m.engine, crossings(301))))
        second.start()
        second.join(0.5)
        assert second.is_alive()  # waiting on the first transaction's rows, not claiming them again
        held.commit()
    second.join(10)
    assert [e.case_id for e in later[0]] == ["c-0300"]
    with m.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(tables.emitted)) == 301


@pytest.mark.postgres
def test_on_postgresql_a_claim_racing_one_rolled_back_claims_everything(postgres: tuple[Engine, str]) -> None:
    engine, schema = postgres
    m = monitor(engine, schema)
    events = crossings(50)
    later: list[list[SlaEvent]] = []
    with m.engine.connect() as first:
        held = first.begin()
        repository.claim(first, events)
        second = threading.Thread(target=lambda: later.append(_claim_and_commit(m.engine, events)))
        second.start()
        second.join(0.5)
        held.rollback()
    second.join(10)
    assert later == [events]


def _claim_and_commit(engine: Engine, events: list[SlaEvent]) -> list[SlaEvent]:
    with engine.begin() as conn:
        return repository.claim(conn, events)


@pytest.mark.postgres
def test_on_postgresql_two_monitors_ticking_at_once_fire_each_of_many_clocks_once(
        postgres: tuple[Engine, str]) -> None:
    engine, schema = postgres
    a, b = monitor(engine, schema), monitor(engine, schema)
    a.processor.process([registered_case(n) for n in range(1500)], now=day(0))
    barrier = threading.Barrier(2)
    fired: list[int] = []

    def tick(m: SlaMonitor) -> None:
        barrier.wait()
        fired.append(m.tick(day(31)))

    threads = [threading.Thread(target=tick, args=(m,)) for m in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(fired) == 1500
    with a.engine.connect() as conn:
        values = conn.scalars(select(tables.outbox.c.value)).all()
    cases = [json.loads(v)["payload"]["case_id"] for v in values if json.loads(v)["type"] == "SlaBreached"]
    assert sorted(cases) == sorted(set(cases)) and len(cases) == 1500
    assert a.tick(day(31)) == b.tick(day(31)) == 0


def activity(offset: int, at: float) -> Message:
    payload = {"case_id": CASE, "reference": "MOP-2024-0001", "office": "Mopti", "stage": "preliminary",
               "actor": "hro1", "assignee": "hro1", "description": "visit"}
    out = emit(CASE_EVENTS, "ActivityLogged", occurred_at=day(at), key=CASE, producer="casework", payload=payload)
    return Message(out.topic, 0, offset, out.key, out.value, out.headers)


@pytest.mark.postgres
def test_on_postgresql_adopting_a_new_policy_waits_for_a_case_event_on_the_same_clock_and_keeps_its_change(
        postgres: tuple[Engine, str]) -> None:
    engine, schema = postgres
    monitor(engine, schema).processor.process([recorded(1, at=0)], now=day(0))  # stall clock from day 0, 30 days
    shorter = Policy(version="v2", stall=StallPolicy(goal_days={"preliminary": 10, "investigation": 60,
                                                                "concluded": 30}))
    restarted = build(engine.execution_options(schema_translate_map={None: schema}), shorter)
    with restarted.engine.connect() as busy:
        held = busy.begin()
        # A worker handling an activity on day 5 under the new policy: the stall clock starts again, due day 15.
        message = activity(2, at=5)
        with restarted.processor.handler.batch(busy, [message], day(5)) as handle:
            handle(message)
        adopting = threading.Thread(target=restarted.tick, args=(day(6),))  # the first tick adopts the policy
        adopting.start()
        adopting.join(0.5)
        assert adopting.is_alive()  # waiting for the clock the activity holds, not rescheduling a stale copy of it
        held.commit()
    adopting.join(10)
    with restarted.engine.connect() as conn:
        stall = repository.load_case(conn, CASE)["stall"]
    assert (stall.started_at, stall.next_due, stall.policy_version) == (day(5), day(15), "v2")


def registered_case(n: int) -> Message:
    case = f"c-{n:04d}"
    payload = {"case_id": case, "reference": "MOP-2024-0001", "office": "Mopti", "stage": "preliminary",
               "actor": "hro1", "assignee": "hro1", "reported_at": day(0)}
    out = emit(CASE_EVENTS, "CaseRecorded", occurred_at=day(0), key=case, producer="casework", payload=payload)
    return Message(out.topic, 0, n, out.key, out.value, out.headers)


@pytest.mark.postgres
def test_on_postgresql_clocks_changed_in_different_fields_are_saved_together_and_read_back_as_they_were(
        postgres: tuple[Engine, str]) -> None:
    engine, schema = postgres
    migrate(engine, schema)
    saved_and_loaded_again(engine.execution_options(schema_translate_map={None: schema}))
