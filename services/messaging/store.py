"""Inbox (processed event ids) and outbox tables, written in the same transaction as a service's effects."""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
)

from services.messaging import pg_arrays
from services.messaging.many import execute_many
from services.messaging.ports import Outgoing, Publisher


def encode_headers(headers: dict[str, str]) -> str:
    """A record's headers as stored in an outbox or the embedded log: compact JSON, keys sorted."""
    return orjson.dumps(headers, option=orjson.OPT_SORT_KEYS).decode()


def decode_headers(text: str) -> dict[str, str]:
    """Headers as `encode_headers` stored them."""
    headers: dict[str, str] = orjson.loads(text)
    return headers


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("message_id", String(200), primary_key=True),
    )


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("topic", String(100), nullable=False),
        Column("key", String(200), nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("headers", Text, nullable=False, default="{}"),
    )


class Mailboxes:
    """A service's inbox and outbox; every method runs inside the caller's transaction."""

    def __init__(self, inbox: Table, outbox: Table):
        self.inbox = inbox
        self.outbox = outbox
        self._mark, self._enqueue = insert(inbox), insert(outbox)
        self._pg_seen = select(inbox.c.message_id).where(pg_arrays.any_of(inbox.c.message_id, "ids"))

    def seen(self, conn: Connection, message_ids: Iterable[str]) -> set[str]:
        ids = list(message_ids)
        if ids and conn.dialect.name == "postgresql":  # a batch's ids as one array: one short statement to plan
            return set(conn.scalars(self._pg_seen, {"ids": pg_arrays.binary(conn, ids)}))
        found: set[str] = set()
        for start in range(0, len(ids), 500):  # keep under SQLite's bound-parameter limit
            chunk = ids[start : start + 500]
            found.update(conn.scalars(select(self.inbox.c.message_id).where(self.inbox.c.message_id.in_(chunk))))
        return found

    def mark(self, conn: Connection, message_ids: Iterable[str]) -> None:
        execute_many(conn, self._mark, [{"message_id": m} for m in message_ids])

    def enqueue(self, conn: Connection, records: Iterable[Outgoing]) -> None:
        rows = [
            {"topic": r.topic, "key": r.key, "value": r.value, "headers": encode_headers(r.headers)}
            for r in records
        ]
        execute_many(conn, self._enqueue, rows)  # in order: the relay sends by id

    def backlog(self, conn: Connection) -> int:
        return int(conn.scalar(select(func.count()).select_from(self.outbox)) or 0)

    def relay(self, engine: Engine, publisher: Publisher, limit: int = 1000) -> int:
        """Publish the oldest outbox records, then delete them; a crash in between re-sends (inbox dedupes)."""
        with engine.connect() as conn:
            rows = conn.execute(select(self.outbox).order_by(self.outbox.c.id).limit(limit)).all()
        if not rows:
            return 0
        publisher.publish(
            [Outgoing(r.topic, r.key, r.value, decode_headers(r.headers)) for r in rows]
        )
        # Delete exactly what was published: with two workers on one database, a transaction that took a lower
        # id may commit while this one publishes, and `id <= last` would delete its record unpublished.
        ids = [r.id for r in rows]
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # one statement, the ids as one array (a burst relays thousands)
                conn.execute(delete(self.outbox).where(pg_arrays.any_of(self.outbox.c.id, "ids")),
                             {"ids": pg_arrays.binary(conn, ids)})
                return len(rows)
            for start in range(0, len(ids), 500):  # keep under SQLite's bound-parameter limit
                conn.execute(delete(self.outbox).where(self.outbox.c.id.in_(ids[start : start + 500])))
        return len(rows)
