"""sla_monitor handlers: case events move a case's clocks, the tick fires what fell due; both emit once. A batch's
schedules go out together, one SlaScheduled per input partition (ADR 16)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection

from schemas import Envelope, decode
from schemas.registry import load_payload
from schemas.sla import MAX_SCHEDULES
from schemas.topics import SLA_EVENTS
from services.messaging.ports import Message, Outgoing
from services.messaging.processing import Handle, Handler, decode_ahead, emit
from services.sla_monitor.adapters import repository
from services.sla_monitor.domain.clocks import CASE_EVENT_TYPES, CaseEvent, apply_event, fire, reschedule
from services.sla_monitor.domain.events import SlaEvent
from services.sla_monitor.domain.policy import Policy
from services.sla_monitor.domain.schedules import Schedule, Schedules, batches, changes

PRODUCER = "sla_monitor"
# The key of a policy change's schedules of clocks no case event has moved since this version (none is recorded).
ADOPTION_KEY = "schedules:policy"


class CaseEventHandler(Handler):
    """The BatchProcessor handler for `case-events` (event time only: `now` is never consulted)."""

    def __init__(self, policy: Policy):
        self.policy = policy

    @contextmanager
    def batch(self, conn: Connection, messages: Sequence[Message], now: datetime) -> Iterator[Handle]:
        """Read (and lock) the clocks of every case in the batch at once; write them once at its end. Each input
        partition's schedules go out with its last message (a batch of one on the careful path: its own)."""
        clocks, decoded = repository.BatchClocks(), decode_ahead(messages)
        ids = (e.payload.get("case_id") for e in decoded.values() if e.type in CASE_EVENT_TYPES)
        clocks.prefetch(conn, [case_id for case_id in ids if isinstance(case_id, str)])
        pending = PartitionSchedules(messages)
        yield lambda message: [*self.on_case_event(conn, message, clocks, decoded.pop(message.position, None),
                                                   pending.add),
                               *pending.publish_after(message)]
        clocks.flush(conn)

    def on_case_event(self, conn: Connection, message: Message, clocks: repository.BatchClocks,
                      envelope: Envelope | None,
                      scheduled: Callable[[Message, Envelope, list[Schedule]], None]) -> list[Outgoing]:
        """The SLA events of one case event; its schedules go to `scheduled`, to be published with its partition's."""
        envelope = envelope or decode(message.value)
        if envelope.type not in CASE_EVENT_TYPES:
            return []  # a type added after this version moves no clock; other services' types neither
        payload = load_payload(envelope.type, envelope.version, envelope.payload)
        before = clocks.load_case(conn, payload["case_id"])
        event = CaseEvent(envelope.type, envelope.occurred_at, payload)
        after, events, schedules = apply_event(before, event, self.policy)
        key = schedules_key(message)
        clocks.save([(before.get(name), clock if clock.published_under == key else replace(clock, published_under=key))
                     for name, clock in after.items() if before.get(name) is not clock])
        scheduled(message, envelope, schedules)
        return [outgoing(e, envelope) for e in repository.claim(conn, events)]


class PartitionSchedules:
    """A batch's schedules by input partition, published after the partition's last message: every schedule of a case
    comes from the one partition its case events are on, so one key per partition keeps them in order."""

    def __init__(self, messages: Sequence[Message]):
        self.last = {(m.topic, m.partition): m.position for m in messages}
        self.made: dict[tuple[str, int], list[Schedule]] = {}
        self.causes: dict[tuple[str, int], list[Envelope]] = {}

    def add(self, message: Message, cause: Envelope, schedules: list[Schedule]) -> None:
        if schedules:
            self.made.setdefault((message.topic, message.partition), []).extend(schedules)
            self.causes.setdefault((message.topic, message.partition), []).append(cause)

    def publish_after(self, message: Message) -> list[Outgoing]:
        partition = (message.topic, message.partition)
        if self.last.get(partition) != message.position:
            return []
        made, causes = self.made.pop(partition, []), self.causes.pop(partition, [])
        return [outgoing(b, *causes) for b in batches(schedules_key(message), made, MAX_SCHEDULES)]


def schedules_key(message: Message) -> str:
    """The key of the schedules a case event makes: its partition's, the same for every event of the case."""
    return f"schedules:{message.topic}:{message.partition}"


def tick(conn: Connection, policy: Policy, cutoff: datetime, batch_size: int, limit: int) -> tuple[int, list[Outgoing]]:
    """Fire clocks due at or before `cutoff`, a batch at a time, until `limit` clocks or `limit` events (whichever
    comes first; a clock overdue for many periods fires one event for each); each fired clock moves past `cutoff`.
    Returns how many clocks fired and their events: fewer than `limit` of both means none is left due that this
    transaction may take."""
    out: list[Outgoing] = []
    count = 0
    while count < limit and len(out) < limit and (
            batch := repository.due(conn, cutoff, min(batch_size, limit - count))):
        fired = [fire(clock, cutoff, policy) for clock in batch]
        repository.save(conn, [(old, new) for old, (new, _) in zip(batch, fired, strict=True)])
        events = sorted((e for _, evs in fired for e in evs), key=lambda e: e.occurred_at)
        out.extend(outgoing(e) for e in repository.claim(conn, events))
        count += len(batch)
    return count, out


def adopt_policy(conn: Connection, policy: Policy, now: datetime, batch_size: int,
                 limit: int) -> tuple[int, list[Outgoing]]:
    """Reschedule up to `limit` running clocks last scheduled under another policy version; returns how many, and
    their new schedules (published as of `now`)."""
    count, out = 0, list[Outgoing]()
    while count < limit and (batch := repository.stale(conn, policy.version, min(batch_size, limit - count))):
        pairs = [(clock, reschedule(clock, policy)) for clock in batch]
        repository.save(conn, pairs)
        made: dict[str, list[Schedule]] = {}  # under the key of each clock's earlier schedules, behind them
        for before, after in pairs:
            made.setdefault(after.published_under or ADOPTION_KEY, []).extend(
                changes({after.name: before}, {after.name: after}, now, policy))
        out.extend(outgoing(b) for key, group in made.items() for b in batches(key, group, MAX_SCHEDULES))
        count += len(batch)
    return count, out


def outgoing(event: SlaEvent | Schedules, *causes: Envelope) -> Outgoing:
    """An SLA event, caused by the case event it answers (none: the tick's); schedules, by the case events that
    made them: one, or several of one correlation id, carry it on; of several, a correlation id of their own."""
    if isinstance(event, Schedules):
        correlations = {c.correlation_id for c in causes}
        return emit(SLA_EVENTS, event.type, occurred_at=event.occurred_at, key=event.key, producer=PRODUCER,
                    payload=event.payload(), event_id=event.event_id, version=event.version,
                    causation=causes[0] if len(causes) == 1 else None,
                    correlation_id=correlations.pop() if len(correlations) == 1 else event.event_id)
    causation = causes[0] if causes else None
    return emit(SLA_EVENTS, event.type, occurred_at=event.occurred_at, key=event.case_id, producer=PRODUCER,
                payload=event.payload(), event_id=event.event_id, causation=causation)
