"""The outbox relay on PostgreSQL: each record published once, and only what was published deleted."""

from __future__ import annotations

import threading
import time

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


class Holding:
    """A publisher that keeps its first batch unpublished until released: a relay caught in mid-publish."""

    def __init__(self) -> None:
        self.claimed, self.release = threading.Event(), threading.Event()
        self.published: list[Outgoing] = []

    def publish(self, records: list[Outgoing]) -> None:
        self.claimed.set()
        assert self.release.wait(30), "the test never released the holding relay"
        self.published.extend(records)


class Shared:
    """Publishers of several relays appending to one log, in the order their batches arrive."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.log: list[Outgoing] = []

    def publish(self, records: list[Outgoing]) -> None:
        with self.lock:
            self.log.extend(records)


def schema_engine(postgres: tuple[Engine, str]) -> Engine:
    engine, schema = postgres
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = engine.execution_options(schema_translate_map={None: schema})
    metadata.create_all(engine)
    return engine


@pytest.mark.postgres
def test_a_second_relay_skips_the_rows_another_holds_and_the_later_rows_of_their_keys(
        postgres: tuple[Engine, str]) -> None:
    engine = schema_engine(postgres)
    keys = ["a", "b", "c", "d"]
    records = [Outgoing("t", keys[n % 4], f"v{n}".encode(), {"event_id": f"e{n}"}) for n in range(12)]
    with engine.begin() as conn:
        mailboxes.enqueue(conn, records)
    holding = Holding()
    first = threading.Thread(target=mailboxes.relay, args=(engine, holding, 2))  # claims a0 and b0
    first.start()
    assert holding.claimed.wait(10)
    second = Shared()
    try:
        # c and d go out; the later records of a and b wait for the first relay, which still holds their heads.
        assert mailboxes.relay(engine, second, 1000) == 6
        assert {r.key for r in second.log} == {"c", "d"}
    finally:
        holding.release.set()
        first.join(10)
    assert holding.published == records[:2]
    assert mailboxes.relay(engine, second, 1000) == 4
    assert second.log[6:] == [r for r in records[2:] if r.key in ("a", "b")]
    assert mailboxes.relay(engine, second, 1000) == 0


@pytest.mark.postgres
def test_relays_running_at_once_publish_every_record_once_and_each_key_in_order(
        postgres: tuple[Engine, str]) -> None:
    engine = schema_engine(postgres)
    records = [Outgoing("t", f"case-{n % 37}", f"{n}".encode(), {"event_id": f"e{n}"}) for n in range(6000)]
    shared, writing = Shared(), threading.Event()

    def write() -> None:  # rows keep arriving while the relays run, as a worker's batches commit
        for start in range(0, len(records), 500):
            with engine.begin() as conn:
                mailboxes.enqueue(conn, records[start : start + 500])
        writing.set()

    def relay() -> None:  # until the writer is done and the outbox empty, as a worker's timer would go on
        while True:
            done = writing.is_set()
            if mailboxes.relay(engine, shared, 200):
                continue
            with engine.connect() as conn:  # nothing this relay may take now: others hold the rows, or none left
                if done and mailboxes.backlog(conn) == 0:
                    return
            time.sleep(0.01)

    threads = [threading.Thread(target=write), *(threading.Thread(target=relay) for _ in range(4))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    with engine.connect() as conn:
        assert mailboxes.backlog(conn) == 0
    ids = [r.headers["event_id"] for r in shared.log]
    assert len(ids) == len(set(ids)) == len(records), "a record was published twice, or not at all"
    for key in {r.key for r in records}:
        assert [r.value for r in shared.log if r.key == key] == [r.value for r in records if r.key == key]
