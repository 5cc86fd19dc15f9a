"""Inbox (processed event ids) and outbox tables, written in the same transaction as a service's effects."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    Row,
    String,
    Table,
    Text,
    bindparam,
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
        self._oldest = select(outbox).order_by(outbox.c.id).limit(bindparam("limit"))
        self._pg_claim = self._oldest.with_for_update(skip_locked=True)
        self._pg_below = select(func.count()).select_from(outbox).where(outbox.c.id <= bindparam("last"))
        self._pg_delete = delete(outbox).where(pg_arrays.any_of(outbox.c.id, "ids"))

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
        """Claim the oldest outbox records, publish them and delete them, in one transaction: two relays never
        publish the same record. A crash after publishing and before the commit leaves them to be sent again (the
        consumers' inboxes skip the copies). Returns the records published."""
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                rows = self._claim(conn, limit)
            else:
                # SQLite needs no SKIP LOCKED: the engine begins every transaction with BEGIN IMMEDIATE, which takes
                # the database's one write lock, so a second relay (another thread, or a command beside `hrcase
                # serve`) waits for this one to commit and then finds these rows gone. One relay at a time keeps
                # the order.
                rows = list(conn.execute(self._oldest, {"limit": limit}))
            if not rows:
                return 0
            publisher.publish([Outgoing(r.topic, r.key, r.value, decode_headers(r.headers)) for r in rows])
            # Exactly the ids published, not `id <= last`: rows held back, or committed meanwhile with a lower id, stay.
            ids = [r.id for r in rows]
            if conn.dialect.name == "postgresql":  # one statement, the ids as one array (a burst relays thousands)
                conn.execute(self._pg_delete, {"ids": pg_arrays.binary(conn, ids)})
                return len(rows)
            for start in range(0, len(ids), 500):  # keep under SQLite's bound-parameter limit
                conn.execute(delete(self.outbox).where(self.outbox.c.id.in_(ids[start : start + 500])))
        return len(rows)

    def _claim(self, conn: Connection, limit: int) -> list[Row[Any]]:
        """PostgreSQL: lock the oldest rows no other relay holds, leaving out those of a key whose earlier row
        another relay holds.

        Several relays (one per worker) share a service's outbox, and SKIP LOCKED lets each take rows the others
        hold neither waiting for them nor reading them too. But the events of one key (one case) must reach their
        partition in order: a later row of a key is left alone while another relay holds an earlier one (it stays
        locked until this transaction ends; a later round takes it). Rows held by others are the ones the claim
        skipped: below the newest claimed id and not claimed. Counting the rows up to that id (an index-only
        count) shows whether there are any; only then are their keys read. A row that another relay held at the
        claim and has deleted since was published before its delete committed: it holds nothing back.

        Claiming by a hash of the key (a lane per relay) would keep order too, but leaves a lane idle while its
        relay is busy and needs a new column; this needs none.
        """
        rows = conn.execute(self._pg_claim, {"limit": limit}).all()
        if not rows or conn.scalar(self._pg_below, {"last": rows[-1].id}) == len(rows):
            return list(rows)
        mine = {r.id for r in rows}
        earlier = conn.execute(select(self.outbox.c.id, self.outbox.c.key).where(self.outbox.c.id < rows[-1].id))
        held = {key for id_, key in earlier if id_ not in mine}
        return [r for r in rows if r.key not in held]
