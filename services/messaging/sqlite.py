"""SQLite engines tuned for the embedded runtime: WAL, a busy timeout, foreign keys on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event


def sqlite_engine(path: Path | str) -> Engine:
    url = "sqlite://" if str(path) == ":memory:" else f"sqlite:///{path}"
    # Few prepared statements per connection: IN-lists and multi-row statements change their text with every batch
    # size, so pysqlite's default 128 filled with large single-use ones (14.7 MB on one connection of a long replay)
    # and memory grew with the history; the statements that repeat stay cached by SQLAlchemy, as compiled SQL.
    engine = create_engine(url, future=True, connect_args={"cached_statements": 16})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling is off so that BEGIN IMMEDIATE below takes the write lock early.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes, which is what we promise
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
