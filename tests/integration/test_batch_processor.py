"""A batch with a failing message: the others take effect once, the failing one leaves nothing but its dead letter."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, insert, select, text

from schemas.errors import SchemaError
from services.messaging.ports import Message, Outgoing
from services.messaging.processing import BatchProcessor, PerMessage
from services.messaging.sqlite import sqlite_engine
from services.messaging.store import Mailboxes, inbox_table, outbox_table

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
metadata = MetaData()
mailboxes = Mailboxes(inbox_table(metadata), outbox_table(metadata))
effects = Table("effects", metadata, Column("message", String(64), nullable=False))


class Handler(PerMessage):
    """Writes an effect for every message, then refuses the bad ones (after writing: a half-made effect)."""

    def __init__(self, bad: set[int], error: type[Exception] = SchemaError):
        super().__init__(self.take)
        self.bad, self.error, self.calls = bad, error, 0

    def take(self, conn: Connection, message: Message, now: datetime) -> Sequence[Outgoing]:
        self.calls += 1
        conn.execute(insert(effects).values(message=message.position))
        if message.offset in self.bad:
            raise self.error("refused on purpose")
        return [Outgoing("out", str(message.offset), message.value, {"event_id": f"out-{message.offset}"})]


def messages(count: int) -> list[Message]:
    return [Message("in", 0, n, str(n), json.dumps({"n": n}).encode(), {}) for n in range(count)]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = sqlite_engine(tmp_path / "service.sqlite")
        metadata.create_all(engine)
        yield engine
        engine.dispose()
        return
    base, schema = request.getfixturevalue("postgres")
    with base.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    mapped = base.execution_options(schema_translate_map={None: schema})
    metadata.create_all(mapped)
    yield mapped


def state(engine: Engine) -> tuple[list[str], list[tuple[str, str]], set[str]]:
    with engine.connect() as conn:
        done = [r for (r,) in conn.execute(select(effects.c.message).order_by(effects.c.message))]
        out = [(r.key, json.loads(r.headers)["event_id"]) for r in
               conn.execute(select(mailboxes.outbox).order_by(mailboxes.outbox.c.id))]
        inbox = set(conn.scalars(select(mailboxes.inbox.c.message_id)))
    return done, out, inbox


def processor(engine: Engine, handler: Handler) -> BatchProcessor:
    return BatchProcessor(engine=engine, mailboxes=mailboxes, topics=("in",), producer="test",
                          dead_letter_topic="dead", handler=handler)


def test_a_refused_message_mid_batch_is_dead_lettered_in_its_place_and_leaves_no_effect(engine: Engine) -> None:
    handler = Handler(bad={2})
    processor(engine, handler).process(messages(5), NOW)
    done, out, inbox = state(engine)
    assert done == ["in:0:0", "in:0:1", "in:0:3", "in:0:4"]
    assert [key for key, _ in out] == ["0", "1", "2", "3", "4"]  # the dead letter where the message was
    assert out[2][1] != "out-2" and [e for _, e in out if e.startswith("out-")] == [f"out-{n}" for n in (0, 1, 3, 4)]
    assert inbox == {f"in:0:{n}" for n in range(5)}


def test_a_batch_without_failures_runs_each_handler_once(engine: Engine) -> None:
    handler = Handler(bad=set())
    processor(engine, handler).process(messages(4), NOW)
    assert handler.calls == 4
    done, out, _ = state(engine)
    assert len(done) == 4 and [e for _, e in out] == [f"out-{n}" for n in range(4)]


def test_a_batch_delivered_again_after_a_failure_takes_no_effect_twice(engine: Engine) -> None:
    handler = Handler(bad={1}, error=RuntimeError)  # a bug, not a refusal: dead-lettered all the same
    processor(engine, handler).process(messages(3), NOW)
    processor(engine, handler).process(messages(3), NOW)
    done, out, inbox = state(engine)
    assert done == ["in:0:0", "in:0:2"] and len(out) == 3 and len(inbox) == 3
