"""The embedded log: durable topics and consumer offsets in one SQLite file, for the one-process runtime."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.messaging.many import execute_many
from services.messaging.ports import Message, Outgoing, Publisher
from services.messaging.processing import BatchProcessor
from services.messaging.sqlite import reading, sqlite_engine
from services.messaging.store import Mailboxes, decode_headers, encode_headers

metadata = MetaData()
records = Table(
    "log_records",
    metadata,
    Column("offset", Integer, primary_key=True, autoincrement=True),  # one global sequence; partition 0
    Column("topic", String(100), nullable=False, index=True),
    Column("key", String(200), nullable=True),
    Column("value", LargeBinary, nullable=False),
    Column("headers", Text, nullable=False),
    # Enveloped records carry their event id: a relay that re-sends after a crash appends nothing new.
    Column("event_id", String(64), nullable=True, unique=True),
)
offsets = Table(
    "log_offsets",
    metadata,
    Column("group_id", String(100), primary_key=True),
    Column("topic", String(100), primary_key=True),
    Column("committed", Integer, nullable=False),
)


# Built once: a statement costs more to build than to run when polls come every few milliseconds.
_COMMITTED = select(offsets.c.topic, offsets.c.committed).where(offsets.c.group_id == bindparam("group_id"))
_APPEND = insert(records).prefix_with("OR IGNORE")
_NEXT = (select(records).where(records.c.topic == bindparam("topic"), records.c.offset > bindparam("after"))
         .order_by(records.c.offset).limit(bindparam("limit")))


class EmbeddedLog:
    """Append-only topics in SQLite; each consumer group keeps its committed offset per topic."""

    def __init__(self, engine: Engine):
        self.engine = engine
        metadata.create_all(engine)

    @classmethod
    def open(cls, path: Path | str) -> EmbeddedLog:
        return cls(sqlite_engine(path))

    def publish(self, batch: list[Outgoing]) -> None:
        if not batch:
            return
        rows = [
            {"topic": r.topic, "key": r.key, "value": r.value, "headers": encode_headers(r.headers),
             "event_id": r.headers.get("event_id")}
            for r in batch
        ]
        with self.engine.begin() as conn:
            execute_many(conn, _APPEND, rows)

    def subscriber(self, group_id: str, topics: tuple[str, ...]) -> EmbeddedSubscriber:
        return EmbeddedSubscriber(self, group_id, topics)

    def committed(self, group_id: str, topic: str) -> int:
        with reading(self.engine) as conn:
            value = conn.scalar(
                select(offsets.c.committed).where(offsets.c.group_id == group_id, offsets.c.topic == topic)
            )
        return int(value or 0)

    def end_offset(self) -> int:
        """The log's last offset (one global sequence over every topic); 0 when it is empty."""
        with reading(self.engine) as conn:
            return int(conn.scalar(select(func.max(records.c.offset))) or 0)

    def lag(self, group_id: str, topic: str) -> int:
        with reading(self.engine) as conn:
            done = self.committed(group_id, topic)
            return int(
                conn.scalar(
                    select(func.count()).select_from(records).where(records.c.topic == topic, records.c.offset > done)
                )
                or 0
            )

    def read_topic(self, topic: str) -> list[Message]:
        """Every record of a topic, oldest first: for reports, tests and the demo's printout."""
        with reading(self.engine) as conn:
            rows = conn.execute(select(records).where(records.c.topic == topic).order_by(records.c.offset)).all()
        return [_message(r) for r in rows]

    def stream_topic(self, topic: str, chunk: int = 5_000, after: int = 0, end: int | None = None) -> Iterator[Message]:
        """Every record of a topic after offset `after` up to `end` (default: the log's end when reading began),
        oldest first, `chunk` records per read transaction: memory holds one chunk, and no read stays open while the
        caller works (a report at a million cases reads tens of millions of records)."""
        end = self.end_offset() if end is None else end
        while True:
            with reading(self.engine) as conn:
                rows = conn.execute(_NEXT, {"topic": topic, "after": after, "limit": chunk}).all()
            for row in rows:
                if row.offset > end:
                    return
                yield _message(row)
            if len(rows) < chunk:
                return
            after = rows[-1].offset


class EmbeddedSubscriber:
    """A consumer group's cursor over some topics of the embedded log."""

    def __init__(self, log: EmbeddedLog, group_id: str, topics: tuple[str, ...]):
        self.log = log
        self.group_id = group_id
        self.topics = topics

    def poll(self, max_records: int) -> list[Message]:
        with reading(self.log.engine) as conn:
            done = dict(conn.execute(_COMMITTED, {"group_id": self.group_id}).all())
            # Each topic's next records by its own index range, merged by global offset so that a group reading two
            # topics sees them in append order. (One query with OR sorted every record past the offsets to return
            # the first few: a topic far behind made each poll cost its whole backlog.)
            rows = [row for t in self.topics
                    for row in conn.execute(_NEXT, {"topic": t, "after": done.get(t, 0), "limit": max_records})]
        if len(self.topics) > 1:
            rows = sorted(rows, key=lambda r: r.offset)[:max_records]
        return [_message(r) for r in rows]

    def commit(self, messages: list[Message]) -> None:
        last: dict[str, int] = {}
        for m in messages:
            last[m.topic] = max(last.get(m.topic, 0), m.offset)
        if not last:
            return
        with self.log.engine.begin() as conn:
            for topic, offset in last.items():
                stmt = sqlite_insert(offsets).values(group_id=self.group_id, topic=topic, committed=offset)
                conn.execute(
                    stmt.on_conflict_do_update(index_elements=["group_id", "topic"], set_={"committed": offset})
                )


@dataclass
class Consumer:
    """A service on the embedded log: its processor, database and mailboxes, its cursor, where its outbox goes."""

    name: str
    processor: BatchProcessor
    engine: Engine
    mailboxes: Mailboxes
    subscriber: EmbeddedSubscriber = field(repr=False)
    publisher: Publisher = field(repr=False)


class Pump:
    """Moves records between the services of one process: each pass relays every outbox into the log, lets each
    consumer take a batch from it (its offset committed after its effects), and relays again. `timed` is told each
    batch's seconds."""

    def __init__(self, consumers: list[Consumer], batch_size: int,
                 timed: Callable[[str, float], None] | None = None):
        self.consumers = consumers
        self.batch_size = batch_size
        self.timed = timed

    def relay(self) -> int:
        return sum(c.mailboxes.relay(c.engine, c.publisher, self.batch_size) for c in self.consumers)

    def step(self, now: datetime) -> int:
        """One pass: every consumer takes a batch, then outboxes are relayed. Returns records moved."""
        moved = self.relay()
        for consumer in self.consumers:
            messages = consumer.subscriber.poll(self.batch_size)
            if not messages:
                continue
            started = time.perf_counter()
            consumer.processor.process(messages, now)
            consumer.subscriber.commit(messages)
            if self.timed:
                self.timed(consumer.name, time.perf_counter() - started)
            moved += len(messages)
        return moved + self.relay()


def _message(row: object) -> Message:
    return Message(
        topic=row.topic,  # type: ignore[attr-defined]
        partition=0,
        offset=row.offset,  # type: ignore[attr-defined]
        key=row.key,  # type: ignore[attr-defined]
        value=row.value,  # type: ignore[attr-defined]
        headers=decode_headers(row.headers),  # type: ignore[attr-defined]
    )
