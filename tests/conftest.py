"""Shared fixtures: the real PostgreSQL and Kafka that `make test` starts; missing ones fail, never skip."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text


def _required(variable: str, what: str) -> str:
    value = os.environ.get(variable)
    if not value:
        pytest.fail(f"{variable} is not set: run the suite with `make test`, which starts {what} and sets it")
    return value


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return _required("HRCASE_TEST_DATABASE_URL", "PostgreSQL")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return _required("HRCASE_TEST_KAFKA", "Apache Kafka")


@pytest.fixture
def postgres(postgres_url: str) -> Iterator[tuple[Engine, str]]:
    """An engine and a fresh schema of its own, dropped afterwards: tests never share tables."""
    # A lock wait fails the test within seconds instead of hanging it.
    engine = create_engine(postgres_url, connect_args={"options": "-c lock_timeout=5000"})
    schema = f"test_{uuid.uuid4().hex[:12]}"
    try:
        yield engine, schema
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by it
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `broker` every test that uses the shared broker: the system tests reset the fixed hrcase topics and one
    restarts the broker itself, so scripts/test runs them one after another in a lane of their own, and the rest
    (tables and schemas of their own) in a second lane beside it."""
    for item in items:
        if "/tests/system/" in item.path.as_posix() or item.get_closest_marker("kafka") or "kafka_bootstrap" in getattr(
                item, "fixturenames", ()):
            item.add_marker(pytest.mark.broker)
