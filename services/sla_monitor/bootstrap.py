"""sla_monitor wiring: the processor for case events, the periodic tick, and read queries for reports."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from schemas.topics import CASE_EVENTS, SLA_DEAD_LETTER
from services.messaging import migrate as migrations
from services.messaging.processing import BatchProcessor, Observer
from services.messaging.sqlite import reading
from services.messaging.store import Mailboxes
from services.sla_monitor import handlers
from services.sla_monitor.adapters import policy_file, repository, tables
from services.sla_monitor.domain.policy import Policy

BATCH_SIZE = 500
# Clocks fired per transaction, and events (a clock overdue for many periods fires one a period). A tick after a
# week's downtime may find a million clocks due: in one transaction it would hold all their events in memory and, on
# PostgreSQL, lock every one of their rows until the end (case events for those cases wait on them). 5,000 holds
# about 14 MB of events and half a second of locks, and is the relay's batch (WorkerOptions.relay_batch): each chunk
# committed goes out in one publish-and-flush while the next is fired. 2,000 (a consumer batch) cost the live
# worker's burst more relay rounds against the tick: 10,000 breaches on the topic 1.98 -> 2.32 s after their
# deadline; 5,000 was no worse in any pair, 1.76 -> 1.33 s (bench/ab.py, 3 runs).
TICK_CHUNK = 5_000


class SlaMonitor:
    """One sla_monitor: `processor` consumes case-events; `tick(now)` emits what time alone made due."""

    def __init__(self, engine: Engine, policy: Policy, processor: BatchProcessor, mailboxes: Mailboxes):
        self.engine = engine
        self.policy = policy
        self.processor = processor
        self.mailboxes = mailboxes
        self._policy_adopted = False

    def tick(self, now: datetime) -> int:
        """Fire all clocks due at or before `now - grace` into the outbox, TICK_CHUNK clocks or events per transaction;
        returns how many events. A crash between two transactions loses nothing: what was not committed is still
        due."""
        self._adopt_policy(now)
        cutoff, total = now - self.policy.grace, 0
        while True:
            clocks, events = self._fire(cutoff)
            total += events
            if clocks < TICK_CHUNK and events < TICK_CHUNK:  # nothing left due, or only clocks another
                return total  # transaction holds (SKIP LOCKED)

    def _fire(self, cutoff: datetime) -> tuple[int, int]:
        """One transaction: up to TICK_CHUNK clocks or events (and a batch's worth past that), clocks saved and
        events claimed and in the outbox."""
        with self.engine.begin() as conn:
            clocks, out = handlers.tick(conn, self.policy, cutoff, BATCH_SIZE, TICK_CHUNK)
            self.mailboxes.enqueue(conn, out)
        return clocks, len(out)

    def _adopt_policy(self, now: datetime) -> None:
        """Once per start, before anything fires: clocks scheduled under another policy version are rescheduled,
        TICK_CHUNK per transaction (a stopped one leaves the rest stale, for the next start to take)."""
        while not self._policy_adopted:
            with self.engine.begin() as conn:
                adopted, schedules = handlers.adopt_policy(conn, self.policy, now, BATCH_SIZE, TICK_CHUNK)
                if schedules:
                    self.mailboxes.enqueue(conn, schedules)
            self._policy_adopted = adopted < TICK_CHUNK

    def next_due(self) -> datetime | None:
        """When a tick will next have something to fire: the earliest deadline plus the grace; None if none."""
        with reading(self.engine) as conn:
            due = repository.next_due(conn)
        return due + self.policy.grace if due is not None else None

    def open_clocks(self) -> int:
        with reading(self.engine) as conn:
            return repository.open_clocks(conn)

    def open_breaches(self) -> dict[tuple[str, str], int]:
        """Clocks past their goal right now, by (clock, office)."""
        with reading(self.engine) as conn:
            return repository.open_breaches(conn)


def load_policy(path: Path | None = None) -> Policy:
    """The SLA policy file at `path` (the settings' policy path), or the one shipped; checked, or PolicyError."""
    return policy_file.load(path)


def build(engine: Engine, policy: Policy, observer: Observer | None = None) -> SlaMonitor:
    mailboxes = Mailboxes(tables.inbox, tables.outbox)
    processor = BatchProcessor(
        engine=engine, mailboxes=mailboxes, topics=(CASE_EVENTS,), producer=handlers.PRODUCER,
        dead_letter_topic=SLA_DEAD_LETTER, handler=handlers.CaseEventHandler(policy), observer=observer,
    )
    return SlaMonitor(engine, policy, processor, mailboxes)


def migrate(engine: Engine, schema: str | None = None) -> None:
    migrations.upgrade(engine, "services.sla_monitor", schema)
