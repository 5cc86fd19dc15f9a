"""Wiring of the intake service: its processor, mailboxes, migrations and read queries."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Engine

from schemas.topics import INTAKE_REJECTED, SITREP_INCIDENTS
from services.config import DEFAULT_OFFICES
from services.intake.adapters import repository
from services.intake.adapters.tables import inbox, outbox
from services.intake.handlers import PRODUCER, IntakeHandler
from services.messaging import migrate as migrations
from services.messaging.processing import BatchProcessor, Observer
from services.messaging.sqlite import reading
from services.messaging.store import Mailboxes
from services.vault import IdentityVault

__all__ = ["DEFAULT_OFFICES", "Intake", "build", "migrate"]


@dataclass(frozen=True)
class Intake:
    """The intake service, built: run `processor`, relay `mailboxes`, ask the read queries for reports."""

    engine: Engine
    processor: BatchProcessor
    mailboxes: Mailboxes
    offices: tuple[str, ...]

    def accepted_by_office(self) -> dict[str, int]:
        with reading(self.engine) as conn:
            return repository.accepted_by_office(conn)

    def accepted_count(self) -> int:
        return sum(self.accepted_by_office().values())

    def rejected_count(self) -> int:
        """Distinct rejected records (a replayed rejection counts once)."""
        with reading(self.engine) as conn:
            return repository.rejected_count(conn)


def build(engine: Engine, offices: Collection[str] = DEFAULT_OFFICES, observer: Observer | None = None,
          vault: IdentityVault | None = None) -> Intake:
    """The runtimes pass the configured vault (the one the edges and casework hold); without one (tests), a
    throwaway key seals what arrives in the clear."""
    mailboxes = Mailboxes(inbox, outbox)
    processor = BatchProcessor(
        engine=engine, mailboxes=mailboxes, topics=(SITREP_INCIDENTS,), producer=PRODUCER,
        dead_letter_topic=INTAKE_REJECTED, handler=IntakeHandler(offices, vault), observer=observer,
    )
    return Intake(engine=engine, processor=processor, mailboxes=mailboxes, offices=tuple(offices))


def migrate(engine: Engine, schema: str | None = None) -> None:
    """Create or upgrade intake's tables (in `schema` on PostgreSQL, if given)."""
    migrations.upgrade(engine, "services.intake", schema)
