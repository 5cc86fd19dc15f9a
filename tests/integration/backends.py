"""A service's database for a test, on each of the two it runs on: a SQLite file, and PostgreSQL in a schema."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from services.messaging.sqlite import sqlite_engine

# For @pytest.fixture(params=BACKENDS): PostgreSQL's case carries the marker that CI requires it for.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def migrated(request: pytest.FixtureRequest, tmp_path: Path, migrate: Callable[..., None]) -> Iterator[Engine]:
    """The engine a service is built on, its tables made by `migrate(engine[, schema])`; disposed of afterwards."""
    if request.param == "sqlite":
        engine = sqlite_engine(tmp_path / "service.sqlite")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    server, schema = request.getfixturevalue("postgres")  # a fresh schema, dropped afterwards
    migrate(server, schema)
    yield server.execution_options(schema_translate_map={None: schema})
