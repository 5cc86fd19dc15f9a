"""The installation a command acts on: the embedded files, or production's PostgreSQL and Kafka, as Settings say."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import import_module

import click
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from services.casework import bootstrap as casework_boot
from services.casework.bootstrap import Casework
from services.config import SERVICES, Settings
from services.embedded import EmbeddedRuntime
from services.messaging.ports import Message, Outgoing
from services.sealing import seal_outgoing

UPGRADE = "run `hrcase db upgrade` (or wait for the workers' migrations)"


@dataclass
class Production:
    """The production layout as a command sees it: casework's PostgreSQL schema, and the log on Kafka."""

    settings: Settings
    casework: Casework

    @classmethod
    def open(cls, settings: Settings) -> Production:
        engine, schema = settings.database("casework")
        require_current(engine, "casework", schema)
        return cls(settings, casework_boot.build(engine, vault=settings.vault()))

    def relay(self) -> int:
        """Nothing to do here: the casework worker relays its outbox to Kafka within a fraction of a second."""
        return 0

    def submit(self, records: Iterable[Outgoing]) -> int:
        """Situation-report records to `sitrep-incidents` on Kafka (what `sitrep publish` does), identities sealed."""
        from services.messaging.kafka import KafkaPublisher

        batch = seal_outgoing(records, self.settings.vault())
        publisher = KafkaPublisher(self.settings.kafka_bootstrap, client_id="hrcase-sitrep",
                                   security=self.settings.kafka_security)
        try:
            publisher.publish(batch)
        finally:
            publisher.close()
        return len(batch)

    def messages(self, topics: Iterable[str], one_order: bool = False) -> Iterator[Message]:
        """The topics read whole from Kafka (topic by topic, or `one_order`: merged as an export orders them); an
        unreachable broker or a missing topic is an error naming the broker."""
        from kafka.errors import KafkaError

        from services.messaging.kafka_log import TopicsUnreadable, read_in_one_order, read_topics

        try:
            security = self.settings.kafka_security.client_options()
            read = read_in_one_order if one_order else read_topics
            yield from read(self.settings.kafka_bootstrap, topics, **security)
        except TopicsUnreadable as exc:
            raise click.ClickException(f"Kafka at {self.settings.kafka_bootstrap}: {exc}") from None
        except KafkaError as exc:  # NoBrokersAvailable and kin: the broker named, not a traceback
            raise click.ClickException(f"cannot read the log from Kafka at {self.settings.kafka_bootstrap} "
                                       f"(HRCASE_KAFKA_BOOTSTRAP): {exc!r}") from None


Installation = EmbeddedRuntime | Production


def open_installation(settings: Settings) -> Installation:
    """The embedded runtime on its SQLite files, or production's databases and Kafka (HRCASE_DATABASE_URL set)."""
    if settings.embedded:
        return EmbeddedRuntime(settings)
    try:
        return Production.open(settings)
    except SQLAlchemyError as exc:
        raise unreachable(exc) from None


def unreachable(exc: SQLAlchemyError) -> click.ClickException:
    return click.ClickException(f"cannot reach the database of HRCASE_DATABASE_URL: {exc.__class__.__name__}: "
                                f"{str(getattr(exc, 'orig', exc)).strip().splitlines()[0]}")


def open_embedded(settings: Settings, what: str, why: str) -> EmbeddedRuntime:
    """The embedded runtime, or (before anything is opened) a refusal saying why `what` cannot run on production's
    layout."""
    if not settings.embedded:
        raise click.ClickException(f"{what} does not run on the production layout (HRCASE_DATABASE_URL is set): "
                                   f"{why}")
    return EmbeddedRuntime(settings)


def require_all_current(settings: Settings) -> None:
    """Every service's schema at this version (a command that reads or loads all three)."""
    for service in SERVICES:
        engine, schema = settings.database(service)
        try:
            require_current(engine, service, schema)
        except SQLAlchemyError as exc:
            raise unreachable(exc) from None
        finally:
            engine.dispose()


def require_current(engine: Engine, service: str, schema: str | None) -> None:
    """Refuse a schema behind (or ahead of) this version: a command never migrates production on the side."""
    config = Config()
    config.set_main_option("script_location", f"services.{service}:migrations")
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn, opts={"version_table_schema": schema}).get_current_heads())
    if current != heads:
        state = "has no tables yet" if not current else f"is at {', '.join(sorted(current))}"
        raise click.ClickException(f"the {service} schema {state}, this version needs {', '.join(sorted(heads))}: "
                                   f"{UPGRADE}")


def upgrade_all(settings: Settings) -> list[str]:
    """Create or migrate every service's database (PostgreSQL schema) to this version."""
    done = []
    for service in SERVICES:
        engine, schema = settings.database(service)
        import_module(f"services.{service}.bootstrap").migrate(engine, schema)
        done.append(schema or service)
        engine.dispose()
    return done
