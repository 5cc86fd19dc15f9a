"""Casework's unit of work: the one way a case changes from outside the log, events in the outbox on commit."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, Engine

from services.casework import handlers, legacy
from services.casework.adapters import duplicates as pairs
from services.casework.adapters import repository as repo
from services.casework.adapters.command_batch import CommandBatch
from services.casework.auth.policy import acknowledge_refusal, command_refusal, duplicate_refusal
from services.casework.domain import commands as c
from services.casework.domain.case import Case
from services.casework.domain.errors import NotPermitted
from services.casework.domain.roles import User
from services.logs import current
from services.messaging.ports import Outgoing
from services.messaging.store import Mailboxes
from services.sealing import seal_outgoing
from services.vault import IdentityVault


class UnitOfWork:
    """One transaction's commands and submissions. Each command is authorised (when a person gives it), decided and
    applied to the cases, which are read once and written at the commit; the events it emits, and the incidents
    submitted for intake, wait here and enter the outbox only at the commit, in the order they were made."""

    def __init__(self, conn: Connection, mailboxes: Mailboxes, vault: IdentityVault):
        self.conn = conn
        self.mailboxes = mailboxes
        self.vault = vault
        self.cases = CommandBatch()
        self._outbox: list[Outgoing] = []

    def prefetch(self, refs: Sequence[str]) -> None:
        """Read these cases (by id or reference) at once: many commands back to back (the history import)."""
        self.cases.prefetch(self.conn, refs)

    def case(self, ref: str) -> Case | None:
        """The case by id or reference as this unit's commands left it so far."""
        return self.cases.get_case(self.conn, ref)

    def execute(self, command: c.Command, now: datetime, caller: User | None = None) -> list[Outgoing]:
        """Run a command; returns its events. A `caller` is the person giving it, checked against the role policy
        first (NotPermitted: who you are); the workflow then refuses what the case's state forbids (CommandRefused).
        Without one (the history import, the demo, the command line's named actor) only the workflow checks."""
        if caller is not None:
            self._authorise(command, caller)
        if isinstance(command, c.DecideDuplicate):
            out = handlers.decide_duplicate(self.conn, command, now, self.cases)
        elif isinstance(command, legacy.RecordHistoricalClosure):
            out = legacy.execute(self.conn, command, now, self.cases)
        else:
            out = handlers.execute(self.conn, command, now, self.cases, self.vault)
        self._outbox.extend(out)
        return out

    def submit_incidents(self, records: Sequence[Outgoing]) -> None:
        """Raw situation-report records for intake, which validates and de-duplicates them; their identities are
        sealed before the outbox holds them (ADR 10)."""
        sealed = seal_outgoing(records, self.vault)
        correlation = current("correlation_id")  # the request that submitted them, followed through the services
        if correlation:
            sealed = [Outgoing(o.topic, o.key, o.value, {**o.headers, "correlation_id": correlation}, o.payload)
                      for o in sealed]
        self._outbox.extend(sealed)

    def _authorise(self, command: c.Command, caller: User) -> None:
        if isinstance(command, c.AcknowledgeAlert):
            alert = repo.get_alert(self.conn, command.alert_id)
            refusal = acknowledge_refusal(caller, alert) if alert is not None else None
        elif isinstance(command, c.DecideDuplicate):
            pair = pairs.get(self.conn, command.pair_id)
            refusal = duplicate_refusal(caller, (pair["first_office"], pair["second_office"])) if pair else None
        else:
            case = self.case(command.case_id)
            refusal = command_refusal(caller, command, case) if case is not None else None
        if refusal:
            raise NotPermitted(refusal)

    def _commit(self) -> None:
        self.cases.flush(self.conn)
        self.mailboxes.enqueue(self.conn, self._outbox)
        self._outbox = []


@contextmanager
def unit_of_work(engine: Engine, mailboxes: Mailboxes, vault: IdentityVault) -> Iterator[UnitOfWork]:
    """A transaction that commits the unit's cases and outbox on a clean exit; any exception rolls all of it back."""
    with engine.begin() as conn:
        uow = UnitOfWork(conn, mailboxes, vault)
        yield uow
        uow._commit()
