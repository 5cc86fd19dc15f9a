"""Wiring of the casework service: one place that joins its handlers to a database and the log."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, Engine

from schemas.topics import CASEWORK_DEAD_LETTER, INCIDENTS, SLA_EVENTS
from services.casework import handlers
from services.casework.adapters import tables
from services.casework.domain import commands
from services.casework.unit_of_work import UnitOfWork, unit_of_work
from services.messaging import migrate as migrations
from services.messaging.processing import BatchProcessor, Observer
from services.messaging.sqlite import reading
from services.messaging.store import Mailboxes
from services.vault import IdentityVault

T = TypeVar("T")


@dataclass
class Casework:
    engine: Engine
    processor: BatchProcessor
    mailboxes: Mailboxes
    vault: IdentityVault

    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]:
        """The one way to change cases or submit incidents: one transaction, its events in the outbox at commit."""
        return unit_of_work(self.engine, self.mailboxes, self.vault)

    def execute(self, command: commands.Command, now: datetime) -> list[dict]:
        """Run a command in a unit of work of its own; returns the emitted envelopes as JSON dicts."""
        with self.unit_of_work() as uow:
            out = uow.execute(command, now)
        return [json.loads(o.value) for o in out]

    def read(self, query: Callable[[Connection], T]) -> T:
        """A read in a read-only transaction: it holds up no writer (the pipeline, sign-ins, the access log)."""
        with reading(self.engine) as conn:
            return query(conn)

    def write(self, change: Callable[[Connection], T]) -> T:
        """A change in a transaction of its own, which takes SQLite's write lock first: keep it short."""
        with self.engine.begin() as conn:
            return change(conn)


def build(engine: Engine, observer: Observer | None = None, vault: IdentityVault | None = None) -> Casework:
    """The runtimes always pass the configured vault; without one (tests), a throwaway key is used."""
    mailboxes = Mailboxes(tables.inbox, tables.outbox)
    vault = vault or IdentityVault.generate()
    processor = BatchProcessor(
        engine=engine, mailboxes=mailboxes, topics=(INCIDENTS, SLA_EVENTS), producer=handlers.PRODUCER,
        dead_letter_topic=CASEWORK_DEAD_LETTER, handler=handlers.MessageHandler(vault), observer=observer,
    )
    return Casework(engine, processor, mailboxes, vault)


def migrate(engine: Engine, schema: str | None = None) -> None:
    migrations.upgrade(engine, "services.casework", schema)
