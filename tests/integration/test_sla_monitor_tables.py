"""sla_monitor tables on SQLite: the migration builds exactly them, and the tick reads due clocks by index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, Select, func, insert, select

from services.messaging.sqlite import sqlite_engine
from services.sla_monitor.adapters import repository, tables
from services.sla_monitor.bootstrap import migrate
from services.sla_monitor.domain.events import SlaEvent
from tests.integration.sla_saving import saved_and_loaded_again

T0 = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)


def migrated(path: Path) -> Engine:
    engine = sqlite_engine(path)
    migrate(engine)
    return engine


def plan(conn: Connection, query: Select) -> str:
    compiled = query.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    values = tuple(str(params[name]) for name in compiled.positiontup or ())
    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), values).all()
    return " | ".join(row[-1] for row in rows)


def test_the_migration_builds_exactly_the_tables_the_code_declares(tmp_path: Path) -> None:
    engine = migrated(tmp_path / "sla.sqlite")
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), tables.metadata) == []


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    engine = migrated(tmp_path / "sla.sqlite")
    migrate(engine)


def test_the_tick_reads_due_clocks_from_the_head_of_the_index_without_a_scan_or_sort(tmp_path: Path) -> None:
    engine = migrated(tmp_path / "sla.sqlite")
    far = T0 + timedelta(days=3650)
    rows = [{"case_id": f"c-{n:05d}", "clock": "stall", "reference": "MOP-2024-0001", "office": "Mopti",
             "stage": "investigation", "assignee": None, "started_at": T0, "episode": T0.isoformat(),
             "policy_version": "1", "periods_fired": 0, "warned": False, "escalated": False, "pause_shift_us": 0,
             "paused_until": None, "last_due": None, "running": n % 3 != 0, "next_due": far if n % 3 else None}
            for n in range(3000)]
    with engine.begin() as conn:
        conn.execute(insert(tables.clocks), rows)
        conn.exec_driver_sql("ANALYZE")
    with engine.connect() as conn:
        tick_plan = plan(conn, repository.due_query(T0, 500))
        assert "USING INDEX ix_sla_clocks_due" in tick_plan or "USING COVERING INDEX ix_sla_clocks_due" in tick_plan
        assert "SCAN" not in tick_plan
        assert "TEMP B-TREE" not in tick_plan
        assert repository.due(conn, T0, 500) == []


def test_the_next_deadline_is_read_from_the_index_too(tmp_path: Path) -> None:
    engine = migrated(tmp_path / "sla.sqlite")
    with engine.connect() as conn:
        assert "ix_sla_clocks_due" in plan(conn, repository.next_due_query())


def test_a_claim_returns_only_events_never_claimed_before_each_once(tmp_path: Path) -> None:
    engine = migrated(tmp_path / "sla.sqlite")
    events = [SlaEvent(case_id=f"c-{k:04d}", clock="stall", episode=T0.isoformat(), level="breach", period=1,
                       occurred_at=T0, due_at=T0, started_at=T0, reference="MOP-2024-0001", office="Mopti",
                       stage="preliminary", assignee=None, recipient_role="team_leader", policy_version="1")
              for k in range(1200)]
    with engine.begin() as conn:
        assert repository.claim(conn, events[:700] + events[:10]) == events[:700]
    with engine.begin() as conn:
        assert repository.claim(conn, events[::-1]) == events[700:][::-1]
        assert repository.claim(conn, events) == []
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(tables.emitted)) == 1200


def test_clocks_changed_in_different_fields_are_saved_together_and_read_back_as_they_were(tmp_path: Path) -> None:
    saved_and_loaded_again(migrated(tmp_path / "sla.sqlite"))
