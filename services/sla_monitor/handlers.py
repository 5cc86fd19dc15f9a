"""sla_monitor handlers: case events move a case's clocks, the tick fires what fell due; both emit once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection

from schemas import Envelope, decode
from schemas.registry import load_payload
from schemas.topics import SLA_EVENTS
from services.messaging.ports import Message, Outgoing
from services.messaging.processing import Handle, Handler, decode_ahead, emit
from services.sla_monitor.adapters import repository
from services.sla_monitor.domain.clocks import CASE_EVENT_TYPES, CaseEvent, apply_event, fire, reschedule
from services.sla_monitor.domain.events import SlaEvent
from services.sla_monitor.domain.policy import Policy
from services.sla_monitor.domain.schedules import Schedule, changes

PRODUCER = "sla_monitor"


class CaseEventHandler(Handler):
    """The BatchProcessor handler for `case-events` (event time only: `now` is never consulted)."""

    def __init__(self, policy: Policy):
        self.policy = policy

    @contextmanager
    def batch(self, conn: Connection, messages: Sequence[Message], now: datetime) -> Iterator[Handle]:
        """Read (and lock) the clocks of every case in the batch at once; write them once at its end."""
        clocks, decoded = repository.BatchClocks(), decode_ahead(messages)
        ids = (e.payload.get("case_id") for e in decoded.values() if e.type in CASE_EVENT_TYPES)
        clocks.prefetch(conn, [case_id for case_id in ids if isinstance(case_id, str)])
        yield lambda message: self.on_case_event(conn, message, clocks, decoded.pop(message.position, None))
        clocks.flush(conn)

    def on_case_event(self, conn: Connection, message: Message, clocks: repository.BatchClocks,
                      envelope: Envelope | None = None) -> list[Outgoing]:
        envelope = envelope or decode(message.value)
        if envelope.type not in CASE_EVENT_TYPES:
            return []  # a type added after this version moves no clock; other services' types neither
        payload = load_payload(envelope.type, envelope.version, envelope.payload)
        before = clocks.load_case(conn, payload["case_id"])
        event = CaseEvent(envelope.type, envelope.occurred_at, payload)
        after, events, schedules = apply_event(before, event, self.policy)
        clocks.save([(before.get(name), clock) for name, clock in after.items() if before.get(name) is not clock])
        return [*(outgoing(e, envelope) for e in repository.claim(conn, events)),
                *(outgoing(s, envelope) for s in schedules)]


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
        for before, after in pairs:
            out.extend(outgoing(s) for s in changes({after.name: before}, {after.name: after}, now, policy))
        count += len(batch)
    return count, out


def outgoing(event: SlaEvent | Schedule, causation: Envelope | None = None) -> Outgoing:
    return emit(SLA_EVENTS, event.type, occurred_at=event.occurred_at, key=event.case_id, producer=PRODUCER,
                payload=event.payload(), event_id=event.event_id, causation=causation)
