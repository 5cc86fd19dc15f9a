"""sla_monitor wiring: the processor for case events, the periodic tick, and read queries for reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from schemas.topics import CASE_EVENTS, SLA_DEAD_LETTER
from services.messaging import migrate as migrations
from services.messaging.processing import BatchProcessor, Observer
from services.messaging.store import Mailboxes
from services.sla_monitor import handlers
from services.sla_monitor.adapters import repository, tables
from services.sla_monitor.domain.policy import Policy

BATCH_SIZE = 500


class SlaMonitor:
    """One sla_monitor: `processor` consumes case-events; `tick(now)` emits what time alone made due."""

    def __init__(self, engine: Engine, policy: Policy, processor: BatchProcessor, mailboxes: Mailboxes):
        self.engine = engine
        self.policy = policy
        self.processor = processor
        self.mailboxes = mailboxes
        self._policy_adopted = False

    def tick(self, now: datetime) -> int:
        """Fire all clocks due at or before `now - grace` into the outbox, in one transaction; how many events."""
        with self.engine.begin() as conn:
            if not self._policy_adopted:
                handlers.adopt_policy(conn, self.policy, BATCH_SIZE)
            out = handlers.tick(conn, self.policy, now - self.policy.grace, BATCH_SIZE)
            self.mailboxes.enqueue(conn, out)
        self._policy_adopted = True
        return len(out)

    def next_due(self) -> datetime | None:
        """When a tick will next have something to fire: the earliest deadline plus the grace; None if none."""
        with self.engine.connect() as conn:
            due = repository.next_due(conn)
        return due + self.policy.grace if due is not None else None

    def open_clocks(self) -> int:
        with self.engine.connect() as conn:
            return repository.open_clocks(conn)

    def open_breaches(self) -> dict[tuple[str, str], int]:
        """Clocks past their goal right now, by (clock, office)."""
        with self.engine.connect() as conn:
            return repository.open_breaches(conn)


def build(engine: Engine, policy: Policy, observer: Observer | None = None) -> SlaMonitor:
    mailboxes = Mailboxes(tables.inbox, tables.outbox)
    processor = BatchProcessor(
        engine=engine, mailboxes=mailboxes, topics=(CASE_EVENTS,), producer=handlers.PRODUCER,
        dead_letter_topic=SLA_DEAD_LETTER, handler=handlers.CaseEventHandler(policy), observer=observer,
    )
    return SlaMonitor(engine, policy, processor, mailboxes)


def migrate(engine: Engine, schema: str | None = None) -> None:
    migrations.upgrade(engine, "services.sla_monitor", schema)
