"""A tick with more clocks due than one transaction takes: fired in chunks, each committed whole, none lost or twice."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from services.sla_monitor import bootstrap
from services.sla_monitor.adapters import tables
from services.sla_monitor.bootstrap import SlaMonitor, build, migrate
from services.sla_monitor.domain.policy import Policy
from tests.integration.backends import BACKENDS, migrated
from tests.integration.test_sla_monitor_postgres import day, registered_case

CHUNK = 100
CASES = 250  # two full chunks and part of a third


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from migrated(request, tmp_path, migrate)


@pytest.fixture
def monitors(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[SlaMonitor]]:
    """Monitors over one database whose ticks commit every CHUNK clocks, with CASES stall clocks due at day 30."""
    monkeypatch.setattr(bootstrap, "TICK_CHUNK", CHUNK)
    made = [build(engine, Policy()), build(engine, Policy())]
    made[0].processor.process([registered_case(n) for n in range(CASES)], now=day(0))
    yield made


def breached_cases(m: SlaMonitor) -> list[str]:
    with m.engine.connect() as conn:
        values = conn.scalars(select(tables.outbox.c.value)).all()
    events = [json.loads(v) for v in values]
    return sorted(e["payload"]["case_id"] for e in events if e["type"] == "SlaBreached")


def still_due(m: SlaMonitor, t: datetime) -> int:
    with m.engine.connect() as conn:
        query = select(func.count()).where(tables.clocks.c.running, tables.clocks.c.next_due <= t)
        return int(conn.scalar(query) or 0)


def claimed(m: SlaMonitor) -> int:
    with m.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(tables.emitted)) or 0)


def enqueued_sizes(m: SlaMonitor, monkeypatch: pytest.MonkeyPatch, fail_at: int = 0) -> list[int]:
    """Records each tick transaction's events as they go to the outbox; the `fail_at`th transaction fails there."""
    sizes: list[int] = []
    real = m.mailboxes.enqueue

    def enqueue(conn: Any, records: Any) -> None:
        sizes.append(len(records))
        if len(sizes) == fail_at:
            raise OSError("disk full")
        real(conn, records)

    monkeypatch.setattr(m.mailboxes, "enqueue", enqueue)
    return sizes


def test_a_tick_fires_more_clocks_than_a_transaction_takes_all_once_a_chunk_per_transaction(
        monitors: list[SlaMonitor], monkeypatch: pytest.MonkeyPatch) -> None:
    m = monitors[0]
    sizes = enqueued_sizes(m, monkeypatch)
    assert m.tick(day(31)) == CASES
    assert sizes == [CHUNK, CHUNK, CASES - 2 * CHUNK]
    assert breached_cases(m) == [f"c-{n:04d}" for n in range(CASES)]
    assert still_due(m, day(31)) == 0
    assert m.tick(day(31)) == 0


def test_a_tick_failing_in_a_later_chunk_keeps_the_earlier_chunks_and_the_next_tick_fires_the_rest_once(
        monitors: list[SlaMonitor], monkeypatch: pytest.MonkeyPatch) -> None:
    m = monitors[0]
    enqueued_sizes(m, monkeypatch, fail_at=3)
    with pytest.raises(OSError):
        m.tick(day(31))
    assert len(breached_cases(m)) == claimed(m) == 2 * CHUNK  # the third chunk's claims rolled back with it
    assert still_due(m, day(31)) == CASES - 2 * CHUNK
    monkeypatch.undo()  # the disk has room again (and the real chunk size: the rest fits in one)
    assert m.tick(day(31)) == CASES - 2 * CHUNK
    assert breached_cases(m) == [f"c-{n:04d}" for n in range(CASES)]
    assert claimed(m) == CASES


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_two_monitors_ticking_at_once_in_chunks_fire_each_clock_once_and_leave_none_due(
        monitors: list[SlaMonitor]) -> None:
    barrier = threading.Barrier(2)
    fired: list[int] = []

    def tick(m: SlaMonitor) -> None:
        barrier.wait()
        fired.append(m.tick(day(31)))

    threads = [threading.Thread(target=tick, args=(m,)) for m in monitors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(fired) == CASES
    assert breached_cases(monitors[0]) == [f"c-{n:04d}" for n in range(CASES)]
    assert still_due(monitors[0], day(31)) == 0


def test_clocks_overdue_for_many_periods_are_fired_in_transactions_bounded_by_their_events(
        monitors: list[SlaMonitor], monkeypatch: pytest.MonkeyPatch) -> None:
    m = monitors[0]
    monkeypatch.setattr(bootstrap, "BATCH_SIZE", 10)
    sizes = enqueued_sizes(m, monkeypatch)
    # Half a year unwatched: each stall clock owes six breaches and an escalation, each review clock two reminders.
    assert m.tick(day(181)) == sum(sizes) == claimed(m) == CASES * 9
    assert max(sizes) < CHUNK + 10 * 7  # stopped at CHUNK events, past it by at most a batch of 10 clocks
    assert still_due(m, day(181)) == 0
    assert breached_cases(m) == sorted(f"c-{n:04d}" for n in range(CASES) for _ in range(6 + 2))
    assert m.tick(day(181)) == 0
