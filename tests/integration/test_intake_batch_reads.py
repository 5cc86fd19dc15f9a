"""Intake's batch read-ahead finds exactly what one query per record finds, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, Select, insert

from services.config import Settings
from services.intake.adapters import repository as repo
from services.intake.adapters.tables import accepted_incidents
from services.intake.bootstrap import migrate
from services.intake.domain.dedup import Facts
from services.messaging import pg_arrays
from services.messaging.many import execute_many
from sitreps.key import incident_key, split_key
from tests.integration.backends import BACKENDS, migrated

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DAYS = [date(2026, 11, d) for d in (10, 11, 12)]


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from migrated(request, tmp_path, migrate)


def facts(n: int, day: date, place: str) -> Facts:
    return Facts(incident_key=incident_key("SR-MOP-2026-W46", n), content_hash=f"{n:064x}", sitrep_id="SR-MOP-2026-W46",
                 occurred_on=day, location=place, violation_types=frozenset({"abduction", "killing"}))


def record(f: Facts) -> dict[str, object]:
    key = split_key(f.incident_key)
    assert key is not None
    return {"incident_number": key[1], "office": "Mopti",
            "reported_at": NOW}


@pytest.fixture
def accepted(engine: Engine) -> list[Facts]:
    """600 accepted incidents: three at each of 200 places, on three days; place 0 has all three on one day."""
    stored = [facts(n, DAYS[0] if n % 200 == 0 else DAYS[n % 3], f"Village {n % 200}") for n in range(600)]
    batch = repo.BatchAccepted()
    for f in stored:
        batch.add(f, record(f), NOW)
    with engine.begin() as conn:
        batch.flush(conn)
    return stored


def by_query(engine: Engine, places: list[tuple[date, str]]) -> dict[tuple[date, str], list[Facts]]:
    with engine.connect() as conn:
        return {p: sorted(repo.same_place_and_day(conn, *p), key=str) for p in places}


@pytest.mark.parametrize("count", [1, 16, 17, 64, 65, 249, 250, 251, 530])
def test_places_read_ahead_in_chunks_match_one_query_per_place(
        engine: Engine, accepted: list[Facts], count: int) -> None:
    # Every place on every day (one match each; three for Village 0's first day), and now and then a place nobody
    # reported anything at.
    reported = [(day, f"Village {n}") for n in range(200) for day in DAYS]
    places = [p for n, pair in enumerate(reported) for p in ([pair, (DAYS[1], f"Nowhere {n}")] if n % 5 else [pair])]
    places = places[:count]
    batch = repo.BatchAccepted()
    with engine.connect() as conn:
        batch.prefetch(conn, [], places)
        got = {p: sorted(batch.same_place_and_day(conn, *p), key=str) for p in places}
    assert got == by_query(engine, places)
    assert sum(len(v) for v in got.values()) == sum(1 for f in accepted if (f.occurred_on, f.location) in got)


def test_a_place_with_three_incidents_on_one_day_is_read_ahead_once_each(engine: Engine, accepted: list[Facts]) -> None:
    batch = repo.BatchAccepted()
    with engine.connect() as conn:
        batch.prefetch(conn, [], [(DAYS[0], "Village 0")])  # a short chunk: its pair repeated to fill the statement
        found = batch.same_place_and_day(conn, DAYS[0], "Village 0")
    assert sorted(f.incident_key for f in found) == [incident_key("SR-MOP-2026-W46", n) for n in (0, 200, 400)]


@pytest.mark.postgres
def test_on_postgresql_a_batchs_read_ahead_is_planned_through_the_indexes(
        postgres: tuple[Engine, str], postgres_url: str) -> None:
    # Scanning instead would cost every batch more as accepted incidents grow (42 ms at 100,000 against 4.5 ms).
    server, schema = postgres
    migrate(server, schema)
    service, _ = Settings(database_url=postgres_url).database("intake")
    engine = service.execution_options(schema_translate_map={None: schema})
    stored = [facts(n, DAYS[n % 3], f"Village {n}") for n in range(100_000)]
    with engine.begin() as conn:
        execute_many(conn, insert(accepted_incidents), [repo._accepted_row(f, record(f), NOW) for f in stored])
        conn.exec_driver_sql(f'ANALYZE "{schema}".accepted_incidents')
    batch = [facts(n, DAYS[n % 3], f"Village {n}") for n in range(99_000, 101_000)]
    with engine.connect() as conn:
        conn.exec_driver_sql(f'SET search_path TO "{schema}"')  # EXPLAIN goes to the driver, untranslated
        keys = {"keys": pg_arrays.binary(conn, [f.incident_key for f in batch])}
        places = pg_arrays.columns(conn, [{"occurred_on": f.occurred_on, "location": f.location} for f in batch],
                                   ("occurred_on", "location"))
        plans = [explain(conn, repo._KEYS_PG, keys), explain(conn, repo._PLACES_PG, places)]
    service.dispose()
    assert all("Index" in plan and "Seq Scan" not in plan for plan in plans), plans


def explain(conn: Connection, statement: Select[Any], params: dict[str, Any]) -> str:
    sql = str(statement.compile(dialect=conn.dialect))
    return "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}", params))
