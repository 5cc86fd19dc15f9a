"""Rows sent to PostgreSQL as one binary array per column: a batch written in one statement, little Python per row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Insert,
    Table,
    TableValuedAlias,
    any_,
    bindparam,
    cast,
    func,
    insert,
    select,
)


class BinaryList(list[Any]):
    """A list psycopg sends as a binary array: its text form escapes every element in Python, several times slower."""


def binary(conn: Connection, values: list[Any]) -> BinaryList:
    from psycopg.types.array import ListBinaryDumper

    # On the driver's connection: SQLAlchemy gives each its own adapters map, so a global registration made after
    # the connection was opened would go unseen. Registering again costs a dict assignment.
    conn.connection.driver_connection.adapters.register_dumper(BinaryList, ListBinaryDumper)  # type: ignore[union-attr]
    return BinaryList(values)


def columns(conn: Connection, rows: Sequence[dict[str, Any]], names: Sequence[str]) -> dict[str, BinaryList]:
    """The rows as one array per column, the parameters of `arrays`."""
    return {f"a_{name}": binary(conn, [row[name] for row in rows]) for name in names}


def any_of(column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """column = ANY(:name): a batch's keys as one array parameter (`binary(conn, keys)`), one statement to plan."""
    return column == any_(cast(bindparam(name), ARRAY(column.type)))


def arrays(table: Table, names: Sequence[str], ordinality: str | None = None) -> TableValuedAlias:
    """unnest(:a_<column>, ...) AS v(<column>, ...): rows given as one array per column, each a single parameter."""
    typed = [cast(bindparam(f"a_{name}"), ARRAY(table.c[name].type)) for name in names]
    return func.unnest(*typed).table_valued(*names, with_ordinality=ordinality).render_derived(name="v")


def ordered_insert(table: Table, names: Sequence[str]) -> Insert:
    """INSERT INTO table (names) SELECT ... FROM unnest(...) in the arrays' order: serial ids follow the rows."""
    v = arrays(table, names, ordinality="n")
    return insert(table).from_select(list(names), select(*(v.c[name] for name in names)).order_by(v.c.n))
