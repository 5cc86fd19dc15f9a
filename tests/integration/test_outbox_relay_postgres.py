"""The outbox relay on PostgreSQL: each record published once, and only what was published deleted."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, MetaData, select

from services.messaging.ports import Outgoing
from services.messaging.store import Mailboxes, inbox_table, outbox_table

metadata = MetaData()
mailboxes = Mailboxes(inbox_table(metadata), outbox_table(metadata))


class Collecting:
    """A publisher that keeps what it was given; while publishing its first batch, another record is enqueued."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.published: list[Outgoing] = []

    def publish(self, records: list[Outgoing]) -> None:
        if not self.published:
            with self.engine.begin() as conn:
                mailboxes.enqueue(conn, [Outgoing("t", "late", b"late", {"event_id": "late"})])
        self.published.extend(records)


@pytest.mark.postgres
def test_on_postgresql_a_relay_publishes_each_record_once_and_deletes_only_those(
        postgres: tuple[Engine, str]) -> None:
    engine, schema = postgres
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = engine.execution_options(schema_translate_map={None: schema})
    metadata.create_all(engine)
    records = [Outgoing("t", f"k{n}", f"v{n}".encode(), {"event_id": f"e{n}", "type": "X"}) for n in range(1200)]
    with engine.begin() as conn:
        mailboxes.enqueue(conn, records)
    publisher = Collecting(engine)
    assert mailboxes.relay(engine, publisher, 1000) == 1000
    with engine.connect() as conn:
        left = conn.scalars(select(mailboxes.outbox.c.key).order_by(mailboxes.outbox.c.id)).all()
    assert left == [f"k{n}" for n in range(1000, 1200)] + ["late"]
    assert mailboxes.relay(engine, publisher, 1000) == 201
    assert mailboxes.relay(engine, publisher, 1000) == 0
    assert publisher.published == [*records, Outgoing("t", "late", b"late", {"event_id": "late"})]
