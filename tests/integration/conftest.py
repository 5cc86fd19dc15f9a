"""Fixtures several integration modules share: casework's database on either backend, a local SMTP server and a
webhook receiver (loopback only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from services.messaging.sqlite import sqlite_engine
from tests.integration.api_channels import Hooks, Inbox, smtp_server, webhook_server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engines(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, str | None]]:
    """An empty casework database: a SQLite file, or a schema of its own on the test PostgreSQL (with its name)."""
    if request.param == "sqlite":
        engine = sqlite_engine(tmp_path / "casework.sqlite")
        yield engine, None
        engine.dispose()
        return
    server, schema = request.getfixturevalue("postgres")
    yield server, schema


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as running:
        yield running


@pytest.fixture
def hooks() -> Iterator[tuple[type[Hooks], str]]:
    with webhook_server() as running:
        yield running
