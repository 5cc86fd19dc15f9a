"""A worker's probes on their own: readiness names what fails, liveness asks nothing, startup waits for the group."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from services.messaging import health as health_module
from services.messaging import migrate
from services.messaging.health import Health
from services.messaging.sqlite import sqlite_engine
from tests import aio


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = sqlite_engine(tmp_path / "intake.sqlite")
    yield engine
    engine.dispose()


async def answers() -> None:
    return None


async def refuses() -> None:
    raise ConnectionRefusedError("no broker")


async def hangs() -> None:
    await asyncio.sleep(60)


def test_a_worker_is_ready_when_its_database_is_at_this_release_and_a_broker_answers_once_it_has_partitions(
        engine: Engine) -> None:
    migrate.upgrade(engine, "services.intake")
    health = Health("intake", engine, answers, migrate.schema_check("services.intake"))
    assert health.started()[0] == 503
    status, body = aio.run(health.ready())
    assert (status, body["checks"]["partitions"]) == (503, "not joined its group yet")
    health.on_assigned(3)
    assert health.started()[0] == 200
    assert aio.run(health.ready()) == (200, {"status": "ready", "service": "intake", "partitions": 3,
                                               "checks": {"database": "ok", "broker": "ok", "partitions": "ok"}})
    health.rebalancing = True
    assert aio.run(health.ready())[1]["checks"]["partitions"] == "rebalancing"


def test_a_broker_that_refuses_or_never_answers_fails_readiness_and_not_liveness(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health_module, "CHECK_TIMEOUT", 0.2)
    for broker, reason in ((refuses, "failing: ConnectionRefusedError"), (hangs, "no answer within 0 s")):
        health = Health("intake", engine, broker)
        health.on_assigned(1)
        status, body = aio.run(health.ready())
        assert (status, body["status"], body["checks"]["broker"]) == (503, "not ready", reason)
        assert body["checks"]["database"] == "ok"
        assert health.live() == (200, {"status": "live", "service": "intake"})


def test_a_database_that_fails_fails_readiness_and_not_liveness(tmp_path: Path) -> None:
    gone = sqlite_engine(tmp_path / "no-such-dir" / "intake.sqlite")  # cannot be opened
    health = Health("intake", gone, answers)
    health.on_assigned(1)
    status, body = aio.run(health.ready())
    assert (status, body["checks"]["database"]) == (503, "failing: OperationalError")
    assert health.live()[0] == 200
    gone.dispose()


def test_a_schema_behind_this_release_fails_readiness_and_one_ahead_of_it_does_not(engine: Engine) -> None:
    behind = migrate.schema_check("services.intake")
    with engine.connect() as conn:
        assert "do not exist yet" in str(behind(conn))
    migrate.upgrade(engine, "services.intake")
    with engine.connect() as conn:
        assert behind(conn) is None
    with engine.begin() as conn:  # a newer release's expand step: this release runs beside it
        conn.execute(text("UPDATE alembic_version SET version_num = 'fffffffff000'"))
    with engine.connect() as conn:
        assert behind(conn) is None
    health = Health("intake", engine, answers, migrate.schema_check("services.intake"))
    health.on_assigned(1)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
    status, body = aio.run(health.ready())
    assert status == 503
    assert body["checks"]["database"].startswith("schema behind: intake's tables do not exist yet")
