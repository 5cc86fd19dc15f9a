"""`hrcase topics create`, `hrcase worker SERVICE` and `hrcase sitrep publish`: the Kafka runtime."""

from __future__ import annotations

from pathlib import Path

import click

from schemas.topics import SITREP_INCIDENTS
from services import vocabulary_file
from services.config import NotReady, Settings
from services.logs import setup_logging
from sitreps.files import read_sitrep

WORKERS = {"intake": "intake", "casework": "casework", "sla-monitor": "sla_monitor"}


@click.group()
def topics() -> None:
    """Kafka topics."""


@topics.command("create")
@click.option("--bootstrap", envvar="HRCASE_KAFKA_BOOTSTRAP", default=None, help="host:port of a broker.")
def topics_create(bootstrap: str | None) -> None:
    """Create every topic with its partitions, replication, retention and cleanup policy; safe to repeat.

    Replication and min.insync.replicas come from HRCASE_KAFKA_REPLICATION_FACTOR and
    HRCASE_KAFKA_MIN_INSYNC_REPLICAS (or the settings file's [kafka] section)."""
    from services.messaging.kafka import create_topics

    settings = Settings.from_env()
    try:
        report = create_topics(bootstrap or settings.kafka_bootstrap, settings.topics(), settings.replication_factor,
                               settings.min_insync_replicas, settings.kafka_security)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    for line in report:
        click.echo(line)


@click.command()
@click.argument("service", type=click.Choice(sorted(WORKERS)))
@click.option("--web-port", type=int, default=None, help="Port of /health and /metrics (default per service).")
@click.option("--loglevel", default="info", show_default=True)
def worker(service: str, web_port: int | None, loglevel: str) -> None:
    """Run one service as a faust-streaming worker on Kafka (database from HRCASE_DATABASE_URL)."""
    from importlib import import_module

    from faust import Worker

    from services.messaging.faust_worker import WorkerOptions, build_app
    from services.messaging.migrate import SchemaNotReady
    from services.metrics import Metrics

    name = WORKERS[service]
    settings = Settings.from_env()
    setup_logging(name, loglevel, settings.log_format)  # ours, not mode's (override_logging=False below)
    try:  # the CLI's entry checked already; a worker checks again itself, before it joins its group
        settings.require_production_ready()
    except NotReady as exc:
        raise click.ClickException(str(exc)) from None
    try:  # the terms it validates and shows: the settings' vocabulary file, refused if it renumbers one
        vocabulary_file.install(settings.vocabularies_path)
    except vocabulary_file.VocabularyFileError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        spec = import_module(f"services.{name}.worker").spec(settings, Metrics())
    except SchemaNotReady as exc:  # an operator's step is missing, not a bug: the message, not a traceback
        raise click.ClickException(str(exc)) from None
    options = WorkerOptions(
        bootstrap=settings.kafka_bootstrap, web_bind=settings.web_bind,
        web_port=web_port or settings.web_ports[name], data_dir=settings.data_dir, batch_size=settings.batch_size,
        security=settings.kafka_security,
    )
    app = build_app(spec, options)
    runner = Worker(app, loglevel=loglevel, quiet=True, override_logging=False)
    runner.spinner = None  # its terminal escapes would break the log's lines (JSON or a journal's)
    runner.execute_from_commandline()


@click.command("publish")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--bootstrap", envvar="HRCASE_KAFKA_BOOTSTRAP", default=None, help="host:port of a broker.")
def sitrep_publish(files: tuple[str, ...], bootstrap: str | None) -> None:
    """Send situation reports' incidents to Kafka (idempotent producer, acks=all), keyed by incident key; their
    identities sealed with the identity key first (HRCASE_IDENTITY_KEY, or the data dir's development key)."""
    from services.messaging.kafka import KafkaPublisher
    from services.sealing import seal_outgoing, sitrep_outgoing

    settings = Settings.from_env()
    vault = settings.vault()
    publisher = KafkaPublisher(bootstrap or settings.kafka_bootstrap, client_id="hrcase-sitrep",
                               security=settings.kafka_security)
    try:
        for name in files:
            try:
                records = seal_outgoing(map(sitrep_outgoing, read_sitrep(Path(name))), vault)
            except ValueError as exc:
                raise click.ClickException(str(exc)) from None
            publisher.publish(records)
            click.echo(f"{name}: {len(records)} incident records sent to {SITREP_INCIDENTS}")
    finally:
        publisher.close()


COMMANDS = (topics, worker)
