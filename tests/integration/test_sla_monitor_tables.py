"""sla_monitor tables on SQLite: the migration builds exactly them, and the tick reads due clocks by index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, Select, insert

from services.messaging.sqlite import sqlite_engine
from services.sla_monitor.adapters import repository, tables
from services.sla_monitor.bootstrap import migrate

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
