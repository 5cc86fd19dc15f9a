"""Runs of failed sign-ins in the casework database, shared by every worker: read, add one (an upsert), end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.casework.adapters.tables import sign_in_failures as table
from services.casework.auth.throttle import FORGET, Run
from services.messaging.times import utc


def runs(conn: Connection, keys: Sequence[str]) -> dict[str, Run]:
    rows = conn.execute(select(table).where(table.c.key.in_(keys))).mappings()
    return {row["key"]: Run(int(row["failures"]), utc(row["last_failure_at"])) for row in rows}


def add_failure(conn: Connection, keys: Sequence[str], now: datetime) -> None:
    """One more failure under each key (a run an hour old starts again at one); runs that old are removed."""
    at = utc(now)
    conn.execute(delete(table).where(table.c.last_failure_at <= at - FORGET))
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    for key in keys:
        stmt = dialect_insert(table).values(key=key, failures=1, last_failure_at=at)
        conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={
            "failures": case((table.c.last_failure_at <= at - FORGET, 1), else_=table.c.failures + 1),
            "last_failure_at": at}))


def end(conn: Connection, key: str) -> None:
    conn.execute(delete(table).where(table.c.key == key))
