"""The access log is append-only in the database itself: triggers refuse to change or delete a row, on both."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from services.casework.adapters import access_log
from services.casework.adapters.tables import access_log as table
from services.casework.bootstrap import migrate
from services.messaging.sqlite import sqlite_engine

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BEFORE = "1402a5e352b3"  # the revision before the triggers


@dataclass
class Backend:
    name: str
    server: Engine  # as migrations see it
    schema: str | None
    engine: Engine  # as the service sees it: its tables in its schema


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        engine = sqlite_engine(tmp_path / "casework.sqlite")
        migrate(engine)
        yield Backend("sqlite", engine, None, engine)
        engine.dispose()
        return
    server, schema = request.getfixturevalue("postgres")
    migrate(server, schema)
    yield Backend("postgresql", server, schema, server.execution_options(schema_translate_map={None: schema}))


def entry(n: int) -> access_log.Access:
    return access_log.Access(at=T0, username=f"user{n}", role="hro", office="Mopti", remote_addr="10.0.0.1",
                             method="GET", endpoint="/cases/{ref}", case_id=f"c-{n}", reference=f"MOP-2026-{n:04d}",
                             action="read", status=200, identities_shown=n % 2 == 0)


def rows(backend: Backend) -> list[tuple[object, ...]]:
    with backend.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).order_by(table.c.seq))]


def append_two(backend: Backend) -> list[tuple[object, ...]]:
    with backend.engine.begin() as conn:
        access_log.append(conn, entry(1))
        access_log.append(conn, entry(2))
    return rows(backend)


def downgrade(backend: Backend, target: str) -> None:
    config = Config()
    config.set_main_option("script_location", "services.casework:migrations")
    config.attributes["schema"] = backend.schema
    with backend.server.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, target)


@pytest.mark.parametrize("change", [
    update(table).values(status=404, identities_shown=False),
    update(table).where(table.c.username == "user2").values(username="someone.else"),
    delete(table),
    delete(table).where(table.c.seq == 1),
], ids=["update every row", "update one row", "delete every row", "delete one row"])
def test_no_row_of_the_access_log_can_be_changed_or_deleted_even_with_the_services_own_connection(
        backend: Backend, change: object) -> None:
    before = append_two(backend)
    with pytest.raises(DBAPIError, match="access_log is append-only"), backend.engine.begin() as conn:
        conn.execute(change)  # type: ignore[call-overload]
    assert rows(backend) == before


def test_rows_are_still_appended_and_read_as_before(backend: Backend) -> None:
    append_two(backend)
    with backend.engine.begin() as conn:
        access_log.append(conn, entry(3))
    with backend.engine.connect() as conn:
        total, page = access_log.entries(conn, limit=10)
    assert total == 3 and [e.username for _, e in page] == ["user3", "user2", "user1"]


@pytest.mark.postgres
def test_on_postgresql_the_table_cannot_be_truncated_either(postgres: tuple[Engine, str]) -> None:
    server, schema = postgres
    migrate(server, schema)
    backend = Backend("postgresql", server, schema, server.execution_options(schema_translate_map={None: schema}))
    before = append_two(backend)
    with pytest.raises(DBAPIError, match="access_log is append-only: TRUNCATE refused"), server.begin() as conn:
        conn.execute(text(f'TRUNCATE "{schema}".access_log'))
    assert rows(backend) == before


def test_the_migration_goes_down_and_up_again(backend: Backend) -> None:
    before = append_two(backend)
    downgrade(backend, BEFORE)
    with backend.engine.begin() as conn:  # without the triggers, as before: nothing stops it
        conn.execute(update(table).where(table.c.seq == 1).values(status=500))
    migrate(backend.server, backend.schema)
    with pytest.raises(DBAPIError, match="append-only"), backend.engine.begin() as conn:
        conn.execute(delete(table))
    with backend.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(table)) == len(before)
