"""The outbox relay on every log: what a service enqueued arrives as enqueued, and a crash re-sends harmlessly."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Column, Connection, Engine, LargeBinary, MetaData, String, Table, func, insert, select

from services.messaging.ports import Message, Outgoing, Publisher
from services.messaging.processing import BatchProcessor, PerMessage
from services.messaging.sqlite import sqlite_engine
from services.messaging.store import Mailboxes, inbox_table, outbox_table
from tests.contract.logs import LogUnderTest, as_published

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
metadata = MetaData()
mailboxes = Mailboxes(inbox_table(metadata), outbox_table(metadata))
effects = Table("effects", metadata, Column("event_id", String(64), nullable=False), Column("value", LargeBinary))


class Crashed(Exception):
    pass


class CrashesAfterPublishing:
    """A relay process that dies once the log has the records, before the outbox rows are deleted."""

    def __init__(self, publisher: Publisher):
        self.publisher = publisher

    def publish(self, records: list[Outgoing]) -> None:
        self.publisher.publish(records)
        raise Crashed


@pytest.fixture
def producer_db(tmp_path: Path) -> Iterator[Engine]:
    engine = sqlite_engine(tmp_path / "producer.sqlite")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def consumer_db(tmp_path: Path) -> Iterator[Engine]:
    engine = sqlite_engine(tmp_path / "consumer.sqlite")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def enveloped(topic: str, key: str, n: int) -> Outgoing:
    return Outgoing(topic, key, f'{{"n": {n}}}'.encode(), {"event_id": str(uuid.uuid4()), "type": "CaseRecorded"})


def enqueue(engine: Engine, records: Sequence[Outgoing]) -> None:
    with engine.begin() as conn:
        mailboxes.enqueue(conn, records)


def backlog(engine: Engine) -> int:
    with engine.connect() as conn:
        return mailboxes.backlog(conn)


def record_effect(conn: Connection, message: Message, now: datetime) -> list[Outgoing]:
    conn.execute(insert(effects).values(event_id=message.headers["event_id"], value=message.value))
    return []


def test_the_relay_delivers_every_outbox_record_as_enqueued_and_empties_the_outbox(
    log: LogUnderTest, producer_db: Engine
) -> None:
    case_events, dead_letters = log.topic("case-events"), log.topic("dead-letter")
    first = [enveloped(case_events, f"case-{n % 3}", n) for n in range(7)]
    second = [enveloped(dead_letters, "c-1", 7), *(enveloped(case_events, f"case-{n % 3}", n) for n in range(8, 12))]
    enqueue(producer_db, first)
    enqueue(producer_db, second)
    relayed = []
    while moved := mailboxes.relay(producer_db, log.publisher, limit=4):
        relayed.append(moved)
    assert sum(relayed) == len(first) + len(second)
    assert backlog(producer_db) == 0
    got = log.poll_until(log.new_subscriber("sla_monitor", [case_events, dead_letters]), sum(relayed))
    assert as_published(got) == as_published(first + second)
    for key in ("case-0", "case-1", "case-2"):
        assert [m.value for m in got if m.key == key] == [r.value for r in first + second if r.key == key]


def test_a_relay_interrupted_after_publishing_re_sends_and_the_consumers_inbox_takes_effect_once(
    log: LogUnderTest, producer_db: Engine, consumer_db: Engine
) -> None:
    topic = log.topic("case-events")
    sent = [enveloped(topic, f"case-{n % 2}", n) for n in range(6)]
    enqueue(producer_db, sent)
    with pytest.raises(Crashed):
        mailboxes.relay(producer_db, CrashesAfterPublishing(log.publisher))
    assert backlog(producer_db) == len(sent)  # the rows stay until the log is known to have them
    assert mailboxes.relay(producer_db, log.publisher) == len(sent)
    assert backlog(producer_db) == 0

    copies = 1 if log.absorbs_duplicates else 2
    got = log.poll_until(log.new_subscriber("sla_monitor", [topic]), copies * len(sent))
    assert as_published(got) == sorted(as_published(sent) * copies)
    assert Counter(m.headers["event_id"] for m in got) == {r.headers["event_id"]: copies for r in sent}

    consumer = BatchProcessor(engine=consumer_db, mailboxes=mailboxes, topics=(topic,), producer="contract",
                              dead_letter_topic="contract-dead-letter", handler=PerMessage(record_effect))
    for message in got:  # one transaction per delivery: the stored inbox, not the batch, must catch the copy
        consumer.process([message], NOW)
    with consumer_db.connect() as conn:
        per_event = select(effects.c.event_id, func.count()).group_by(effects.c.event_id)
        taken: dict[str, int] = {event: int(n) for event, n in conn.execute(per_event)}
        assert taken == {r.headers["event_id"]: 1 for r in sent}
        assert mailboxes.backlog(conn) == 0  # nothing was dead-lettered
