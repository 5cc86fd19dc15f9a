"""SQLite engines tuned for the embedded runtime: WAL, a busy timeout, foreign keys on; reads that take no lock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

from services.private_files import private_file

WAL_PAGES = 16384  # 64 MiB of 4 KiB pages
READ_ONLY = "hrcase_read_only"  # the execution option `reading` sets; the SQLite begin listener reads it


def reading(engine: Engine) -> Connection:
    """A connection whose transactions only read, on either database: it never takes SQLite's write lock, so a slow
    read (a large overview, a report) holds up no writer, and WAL gives it a snapshot while writers commit; PostgreSQL
    runs it READ ONLY. A statement that writes fails on it ("readonly database", "read-only transaction"): a unit
    that reads then writes must use `engine.begin()`, which takes the write lock first (a deferred SQLite
    transaction that upgrades to write fails under contention, SQLITE_BUSY_SNAPSHOT, instead of waiting)."""
    return engine.connect().execution_options(**{READ_ONLY: True, "postgresql_readonly": True})


def sqlite_engine(path: Path | str) -> Engine:
    url = "sqlite://" if str(path) == ":memory:" else f"sqlite:///{path}"
    if str(path) != ":memory:" and Path(path).parent.is_dir():
        # Case data: 0600 before SQLite opens it (its -wal and -shm files follow its mode). In a folder that is not
        # there the engine is made all the same, and fails when used, as a database that is down does.
        private_file(path)
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
        # Checkpoint every 64 MiB of WAL, not SQLite's default 4 MiB: a batch's inserts into random-keyed indexes
        # (event ids, case ids) dirty pages all over them, so a casework or sla_monitor commit wrote past 4 MiB and
        # checkpointed every time, copying into the database pages that the next batch dirtied again (commits: 6.9 s
        # of a 100,000-incident run; 3.8 s at 64 MiB). The file is cut back to 64 MiB after each checkpoint.
        cur.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES}")
        # A 16 MiB page cache per connection, not SQLite's 2 MiB: a search's window of a thousand cases looks each up
        # in two tables, and with 2 MiB most of those pages were read again from the file on every search (a fifth of
        # its CPU at a million cases; 64 MiB won no more). Filled only as pages are read.
        cur.execute("PRAGMA cache_size=-16384")
        cur.execute(f"PRAGMA journal_size_limit={WAL_PAGES * 4096}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # A read (`reading`) begins DEFERRED: it takes no lock until it reads, then only WAL's shared read lock on
        # its snapshot, which no writer waits for. Every other transaction begins IMMEDIATE, taking the one write
        # lock before it reads anything: what it reads cannot change under it (no lost update), and the outbox
        # relay's claim relies on it (services/messaging/store.py). query_only makes the read's promise checked.
        read_only = bool(conn.get_execution_options().get(READ_ONLY))
        if conn.info.get(READ_ONLY, False) != read_only:  # set per DBAPI connection, only when it changes
            conn.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
            conn.info[READ_ONLY] = read_only
        conn.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")

    return engine
