"""A statement run once per row of a batch, without SQLAlchemy's per-row parameter handling where it can be skipped."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect, Insert, Table
from sqlalchemy.sql.dml import UpdateBase

from services.messaging import pg_arrays

_Plan = tuple[str, tuple[tuple[str, Callable[[Any], Any] | None], ...]]


def execute_many(conn: Connection, statement: UpdateBase, rows: Sequence[dict[str, Any]]) -> None:
    """`conn.execute(statement, rows)`, with the same SQL effect and the same values reaching the database.

    On SQLite the rows go to the driver as tuples, each value through the bind processor its column's type gives
    SQLAlchemy (datetimes to text, bytes to blobs): SQLAlchemy's own executemany builds and processes a parameter
    dict per row, about 2.5 us a row, and a batch writes a dozen rows per incident. On PostgreSQL a plain INSERT
    becomes one INSERT ... SELECT FROM unnest() of one binary array per column, in the rows' order: executemany
    sends a statement per row, which the server parses, binds and runs one by one. A statement whose parameters are
    not exactly the rows' keys (a Python-side default to fill in, say) goes through SQLAlchemy as before, as do
    updates and upserts on PostgreSQL."""
    if not rows:
        return
    keys = tuple(rows[0])
    if conn.dialect.name == "postgresql":
        arrays = _pg_insert(statement, keys, conn.dialect)
        if arrays is None:
            conn.execute(statement, list(rows))
        else:
            conn.execute(arrays, pg_arrays.columns(conn, rows, keys))
        return
    plan = _plan(statement, keys, conn.dialect) if conn.dialect.name == "sqlite" else None
    if plan is None:
        conn.execute(statement, list(rows))
        return
    sql, columns = plan
    conn.exec_driver_sql(sql, [tuple([row[name] if process is None else process(row[name])
                                      for name, process in columns]) for row in rows])


@lru_cache(maxsize=128)  # statements are built once per module; this bounds the cache if one is not
def _plan(statement: UpdateBase, keys: tuple[str, ...], dialect: Dialect) -> _Plan | None:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    names = tuple(compiled.positiontup or ())
    if sorted(names) != sorted(keys) or compiled.literal_execute_params or compiled.post_compile_params:
        return None
    processors = compiled._bind_processors
    return compiled.string, tuple((name, processors.get(name)) for name in names)  # type: ignore[misc]


@lru_cache(maxsize=128)
def _pg_insert(statement: UpdateBase, keys: tuple[str, ...], dialect: Dialect) -> Insert | None:
    # Only an INSERT of the rows' values into a table's columns, as they are: not a dialect's insert (an upsert
    # would meet a key twice in one statement, which executemany allows), nothing returned, no values fixed in the
    # statement, no defaults computed in Python.
    if type(statement) is not Insert or statement.select is not None or len(statement.exported_columns):
        return None
    if not isinstance(statement.table, Table) or not set(keys) <= set(statement.table.c.keys()):
        return None
    if set(statement.compile(dialect=dialect, column_keys=list(keys)).params) != set(keys):
        return None
    return pg_arrays.ordered_insert(statement.table, keys)
