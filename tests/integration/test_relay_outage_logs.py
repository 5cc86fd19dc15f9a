"""A relay through a database outage logs its start, a reminder a minute and its end; the outbox loses nothing."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, create_engine

from services.logs import OutageLog
from services.messaging.faust_worker import relay_round
from services.messaging.ports import Outgoing
from services.messaging.sqlite import sqlite_engine
from services.messaging.store import Mailboxes, inbox_table, outbox_table
from tests import aio

metadata = MetaData()
mailboxes = Mailboxes(inbox_table(metadata), outbox_table(metadata))
ROUNDS_DOWN = 450  # five rounds a second for 90 seconds


class Collected:
    def __init__(self) -> None:
        self.records: list[Outgoing] = []

    def publish(self, records: list[Outgoing]) -> None:
        self.records.extend(records)


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Engine]:
    engine = sqlite_engine(tmp_path / "casework.sqlite")
    metadata.create_all(engine)
    with engine.begin() as conn:
        mailboxes.enqueue(conn, [Outgoing("case-events", f"case-{n}", b"{}", {"event_id": str(uuid.uuid4())})
                                 for n in range(3)])
    yield engine
    engine.dispose()


def test_a_relay_through_a_database_outage_logs_its_start_a_reminder_a_minute_and_its_end(
        outbox: Engine, caplog: pytest.LogCaptureFixture) -> None:
    # A PostgreSQL server that is not there: every connection is refused, as during a restart.
    away = create_engine("postgresql+psycopg://hrcase@127.0.0.1:1/hrcase", connect_args={"connect_timeout": 2})
    published = Collected()
    engine = away
    clock = [0.0]

    async def relay() -> int:
        return await asyncio.to_thread(mailboxes.relay, engine, published, 1000)

    async def run() -> None:
        nonlocal engine
        outage = OutageLog("relay of casework", logging.getLogger("services.messaging.faust_worker"))
        for _ in range(ROUNDS_DOWN):
            await relay_round(relay, outage, lambda: clock[0])
            clock[0] += 0.2
        engine = outbox  # the database is back
        await relay_round(relay, outage, lambda: clock[0])
        await relay_round(relay, outage, lambda: clock[0] + 0.2)

    caplog.set_level(logging.INFO, logger="services.messaging.faust_worker")
    try:
        aio.run(run())
    finally:
        away.dispose()

    lines = [r.getMessage() for r in caplog.records if r.name == "services.messaging.faust_worker"]
    assert len(lines) == 3, lines
    start, reminder, end = lines
    assert start.startswith("database unavailable: relay of casework failed (OperationalError: ")
    assert reminder.startswith(f"database still unavailable after 60 s: relay of casework failed "
                               f"{int(60 / 0.2) + 1} times")
    assert end == f"database available again after 90 s: relay of casework resumed after {ROUNDS_DOWN} failed attempts"
    assert len(published.records) == 3, "the outbox kept what the outage held back"
