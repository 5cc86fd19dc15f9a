"""The consuming side every service shares: decode, skip what was seen, handle, dead-letter, one transaction."""

from __future__ import annotations

import base64
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from schemas import Envelope, SchemaError, decode, encode, new_envelope
from schemas.registry import dump_payload, latest_version
from services.logs import current, log_context
from services.messaging.ports import Message, Outgoing
from services.messaging.store import Mailboxes

log = logging.getLogger(__name__)


Handle = Callable[[Message], Sequence[Outgoing]]  # one message of an open batch in: the records it emits


class Handler(Protocol):
    """A service's consuming side, as the BatchProcessor runs it: always a batch at a time.

    `batch` reads ahead what its messages need and yields the function that handles each of them, in order; on a
    clean exit it writes what those calls deferred, all in the processor's transaction. One message at a time (the
    careful re-run, one savepoint per message) is a batch of one, through the same code.
    """

    def batch(self, conn: Connection, messages: Sequence[Message], now: datetime) -> AbstractContextManager[Handle]:
        ...

    def kept(self, message: Message) -> Message:
        """What a dead letter keeps of a message this handler could not take: the message as it came, unless the
        handler says otherwise (intake: the identities sealed, ADR 10)."""
        return message


class PerMessage(Handler):
    """A handler with nothing to read ahead or defer: a function of each message, in the batch's transaction."""

    def __init__(self, handle: Callable[[Connection, Message, datetime], Sequence[Outgoing]]):
        self.handle = handle

    @contextmanager
    def batch(self, conn: Connection, messages: Sequence[Message], now: datetime) -> Iterator[Handle]:
        yield lambda message: self.handle(conn, message, now)


# Told, after the batch commits, of each message handled: what it emitted, why it failed, seconds it took.
Observer = Callable[[Message, Sequence[Outgoing], str | None, float], None]
Observed = tuple[Message, Sequence[Outgoing], str | None, float]


class _Careful(Exception):
    """A handler failed in a batch run without savepoints: run the batch again with them."""


def message_id(message: Message) -> str:
    """Envelopes dedupe by event id; raw records by their log position (stable across redelivery)."""
    header = message.headers.get("event_id")
    return header or message.position


def emit(topic: str, type_: str, *, occurred_at: datetime, key: str, producer: str, payload: dict,
         event_id: str | None = None, causation: Envelope | None = None, version: int | None = None,
         correlation_id: str | None = None) -> Outgoing:
    """Validate a payload against its schema (the type's latest version unless told) and wrap it in an envelope for
    the outbox. Without a causation or a correlation id, the event carries on the correlation id of what is being
    handled (the message, or the API request)."""
    version = version or latest_version(type_)
    dumped = dump_payload(type_, version, payload)
    envelope = new_envelope(
        type_, version, occurred_at=occurred_at, key=key, producer=producer, payload=dumped, event_id=event_id,
        correlation_id=correlation_id or (None if causation else current("correlation_id")), causation=causation,
    )
    # The correlation id rides in a header too, so a consumer's logs name it without decoding the envelope.
    headers = {"event_id": envelope.event_id, "type": type_, "correlation_id": envelope.correlation_id}
    return Outgoing(topic, key, encode(envelope), headers, dumped)


def dead_letter(topic: str, producer: str, message: Message, reason: str, fields_in_error: dict,
                now: datetime, type_: str = "MessageDeadLettered", incident_key: str | None = None,
                reason_code: str = "invalid") -> Outgoing:
    # Deterministic id: re-processing the same record after a crash dead-letters it once, not twice.
    eid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"hrcase:dead-letter:{producer}:{message.position}"))
    record = emit(
        topic, type_, occurred_at=now, key=message.key or message.position, producer=producer, event_id=eid,
        payload={
            "reason": reason,
            "fields_in_error": fields_in_error,
            "original": base64.b64encode(message.value).decode(),
            "source": {"topic": message.topic, "partition": message.partition, "offset": message.offset,
                       **{k: v for k, v in message.headers.items() if k in ("file", "line", "format")}},
            "incident_key": incident_key,
        },
    )
    # A bounded code for metric labels; the free-text reason may name fields and must not become a label.
    return Outgoing(record.topic, record.key, record.value, {**record.headers, "reason_code": reason_code})


def decode_ahead(messages: Sequence[Message]) -> dict[str, Envelope]:
    """A batch's envelopes by position, decoded once for a handler's batch mode to read ahead; one that does not
    decode is left out, for the handler's own call on that message to say why."""
    decoded: dict[str, Envelope] = {}
    for message in messages:
        try:
            decoded[message.position] = decode(message.value)
        except Exception:
            continue
    return decoded


class BatchProcessor:
    """Runs a service's handler over a batch: effects, inbox and outbox commit together or not at all."""

    def __init__(self, *, engine: Engine, mailboxes: Mailboxes, topics: tuple[str, ...], producer: str,
                 dead_letter_topic: str, handler: Handler, observer: Observer | None = None):
        self.engine = engine
        self.mailboxes = mailboxes
        self.topics = topics
        self.producer = producer
        self.dead_letter_topic = dead_letter_topic
        self.handler = handler
        self.observer = observer

    def process(self, messages: list[Message], now: datetime) -> None:
        if not messages:
            return
        try:
            observed = self._batch(messages, now, careful=False)
        except _Careful:
            # A handler raised: that transaction was rolled back whole. Again, each message in a savepoint, so
            # that the failing one becomes a dead letter and leaves no half-made effect behind.
            observed = self._batch(messages, now, careful=True)
        if self.observer:
            for item in observed:
                self.observer(*item)

    def _batch(self, messages: list[Message], now: datetime, careful: bool) -> list[Observed]:
        """One transaction for the batch. Savepoints cost a statement each (two round trips on PostgreSQL): they
        are taken only when a first, optimistic attempt met a failing handler (`_Careful`)."""
        observed: list[Observed] = []
        outgoing: list[Outgoing] = []
        with self.engine.begin() as conn:
            ids = [message_id(m) for m in messages]
            seen = self.mailboxes.seen(conn, ids)
            todo: list[Message] = []
            fresh: list[str] = []
            for message, mid in zip(messages, ids, strict=True):
                if mid in seen:
                    continue  # redelivered after a crash, or replayed: already took effect
                seen.add(mid)
                fresh.append(mid)
                todo.append(message)
            if careful:
                for message in todo:
                    started = time.perf_counter()
                    out, failure = self._one(conn, message, now)
                    outgoing.extend(out)
                    observed.append((message, out, failure, time.perf_counter() - started))
            else:
                with self.handler.batch(conn, todo, now) as handle:
                    for message in todo:
                        started = time.perf_counter()
                        out = self._optimistic(handle, message)
                        outgoing.extend(out)
                        observed.append((message, out, None, time.perf_counter() - started))
            self.mailboxes.enqueue(conn, outgoing)  # in message order, as if enqueued one by one
            self.mailboxes.mark(conn, fresh)
        return observed

    def _optimistic(self, handle: Handle, message: Message) -> Sequence[Outgoing]:
        try:
            with _message_context(message):
                return handle(message)
        except DBAPIError:
            raise  # the database, not the message, is at fault: retry the batch
        except Exception as exc:
            raise _Careful from exc  # leaves `engine.begin()` by an exception: the whole batch rolls back

    def _one(self, conn: Connection, message: Message, now: datetime) -> tuple[Sequence[Outgoing], str | None]:
        try:
            # A batch of one in a savepoint: a refused message leaves no half-made effect behind.
            with _message_context(message, careful=True), conn.begin_nested(), \
                    self.handler.batch(conn, [message], now) as handle:
                return handle(message), None
        except SchemaError as exc:
            reason, fields, code = exc.reason, exc.fields, "invalid"
        except DBAPIError:
            raise  # the database, not the message, is at fault: retry the batch
        except Exception as exc:  # a bug must not stop the pipeline; the record is kept for a replay
            with _message_context(message, careful=True):
                log.exception("handler failed on %s", message.position)
            reason, fields, code = f"unexpected error: {type(exc).__name__}", {}, "error"
        out = dead_letter(self.dead_letter_topic, self.producer, self.handler.kept(message), reason, fields, now,
                          reason_code=code)
        return [out], reason


def _message_context(message: Message, careful: bool = False) -> AbstractContextManager[None]:
    """What the logs may say of the message being handled: its event's type and id, and on the careful path (where
    failures are logged) its correlation id; never its payload."""
    correlation = message.headers.get("correlation_id")
    if correlation is None and careful and "event_id" in message.headers:
        try:
            correlation = decode(message.value).correlation_id
        except Exception:  # undecodable: the dead letter says why
            correlation = None
    return log_context(event_type=message.headers.get("type"), event_id=message.headers.get("event_id"),
                       correlation_id=correlation, key=message.key)
