"""`hrcase demo`, `serve`, `sitrep load`, `schemas export`, `db upgrade` and `check`, `rejected`: the pipeline."""

from __future__ import annotations

import base64
import json
import logging
import signal
import threading
import time
from pathlib import Path

import click

from schemas.jsonschema import export
from schemas.topics import CASEWORK_DEAD_LETTER, INTAKE_REJECTED, SITREP_INCIDENTS, SLA_DEAD_LETTER
from services.cli.common import data_dir_option, open_runtime, settings_for
from services.cli.layout import open_embedded, upgrade_all
from services.clock import SystemClock
from services.config import SERVICES, Settings
from services.logs import setup_logging
from services.sealing import sitrep_outgoing
from sitreps.files import read_sitrep


@click.command()
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Keep the demo's database here (default: a fresh temporary directory).")
@click.option("--examples", type=click.Path(exists=True, file_okay=False), default=None,
              help="Folder of situation reports to load (default: examples/sitreps).")
def demo(data_dir: str | None, examples: str | None) -> None:
    """Run a scripted six-week scenario on a fresh embedded database and print what each user sees."""
    from services.demo import run_demo

    run_demo(data_dir=Path(data_dir) if data_dir else None, examples=Path(examples) if examples else None)


@click.command()
@data_dir_option
@click.option("--metrics-port", type=int, default=None, help="Serve /metrics on 127.0.0.1:PORT.")
@click.option("--interval", type=float, default=0.5, show_default=True, help="Seconds between polls when idle.")
@click.option("--api-port", type=int, default=None,
              help="Port of the casework HTTP API (default HRCASE_API_PORT or 6080; 0 picks a free one).")
@click.option("--no-api", is_flag=True, help="Do not serve the casework HTTP API.")
def serve(data_dir: str, metrics_port: int | None, interval: float, api_port: int | None, no_api: bool) -> None:
    """Run intake, casework and sla_monitor in this process on the embedded log, until interrupted."""
    runtime = open_embedded(settings_for(data_dir), "hrcase serve",
                            "run each service as a worker instead (`hrcase worker intake|casework|sla-monitor`)")
    setup_logging("embedded", logging.getLogger().level, runtime.settings.log_format)
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr="127.0.0.1", registry=runtime.metrics.registry)
    if not no_api:
        from dataclasses import replace

        from services.casework.api.server import start_api

        api_settings = runtime.settings.api if api_port is None else replace(runtime.settings.api, port=api_port)
        server = start_api(runtime.casework, api_settings, runtime.settings.offices)
        if server is not None:
            click.echo(f"casework API at {server.url} (docs at {server.url}/docs)")
    from services.casework.adapters.dispatcher import start_delivery

    start_delivery(runtime.casework, runtime.settings.api, registry=runtime.metrics.registry)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"hrcase serving from {data_dir} (Ctrl-C to stop)")
    runtime.serve(SystemClock(), stop, interval)
    click.echo("stopped")


@click.group()
def sitrep() -> None:
    """Situation reports."""


@sitrep.command("load")
@data_dir_option
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def sitrep_load(data_dir: str, files: tuple[str, ...]) -> None:
    """Append situation reports (.jsonl or .csv) to the log: the embedded one, which `hrcase serve` processes, or
    Kafka's `sitrep-incidents` on the production layout (as `sitrep publish`)."""
    runtime = open_runtime(data_dir)
    where = "queued" if runtime.settings.embedded else f"sent to {SITREP_INCIDENTS}"
    for name in files:
        try:
            records = read_sitrep(Path(name))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{name}: {runtime.submit(map(sitrep_outgoing, records))} incident records {where}")


@click.group()
def schemas() -> None:
    """Wire contracts."""


@schemas.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
def schemas_export(directory: str) -> None:
    """Write a JSON Schema file for every event type and version, for non-Python consumers."""
    for path in export(Path(directory)):
        click.echo(str(path))


@click.group()
def db() -> None:
    """Databases."""


@db.command("upgrade")
@data_dir_option
def db_upgrade(data_dir: str) -> None:
    """Create or migrate the databases to the current version: the embedded files, or each service's PostgreSQL
    schema (HRCASE_DATABASE_URL)."""
    settings = settings_for(data_dir)
    if settings.embedded:
        open_runtime(data_dir)
        click.echo(f"databases in {data_dir} are at the current version")
        return
    click.echo(f"schemas {', '.join(upgrade_all(settings))} of HRCASE_DATABASE_URL are at the current version")


@db.command("prepare")
def db_prepare() -> None:
    """Create what casework's tables need of the PostgreSQL database as a whole (the extensions unaccent and
    pg_trgm, the function public.hrcase_unaccent) in the database HRCASE_DATABASE_URL names: run it on an empty
    database before restoring the services' dumps into it, since a dump of one schema does not carry them (the
    migrations create them on a database they set up)."""
    from sqlalchemy import text

    from services.casework.adapters import database_extensions
    from services.messaging.postgres import postgres_engine

    settings = settings_for(".")
    if settings.embedded or not settings.database_url:
        raise click.ClickException("set HRCASE_DATABASE_URL to the PostgreSQL database to prepare: the embedded "
                                   "layout's SQLite files need nothing prepared")
    engine = postgres_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            database_extensions.prepare(conn)
            name = conn.scalar(text("SELECT current_database()"))
    finally:
        engine.dispose()
    click.echo(f"prepared {name}: extensions unaccent and pg_trgm, function {database_extensions.UNACCENT}")


@db.command("check")
@data_dir_option
@click.option("--wait", type=float, default=0.0, show_default=True,
              help="Seconds to keep asking while a migration is still to come (a Kubernetes init container).")
def db_check(data_dir: str, wait: float) -> None:
    """Exit 0 when every service's tables are at this version or at a later one's expanded schema, 1 otherwise."""
    from services.messaging import migrate as migrations

    settings = Settings.from_env(data_dir=data_dir)
    deadline = time.monotonic() + wait
    while True:
        reasons = []
        for service in SERVICES:
            engine, schema = settings.database(service)
            try:
                reasons.append(migrations.behind(engine, f"services.{service}", schema))
            finally:
                engine.dispose()
        missing = [r for r in reasons if r]
        if not missing:
            click.echo("every service's tables are ready for this version")
            return
        if time.monotonic() >= deadline:
            raise click.ClickException("; ".join(missing))
        time.sleep(2.0)


@click.command()
@data_dir_option
@click.option("--show-original", is_flag=True,
              help="Print each original record (identities sealed; a record that is not JSON is sealed whole).")
def rejected(data_dir: str, show_original: bool) -> None:
    """List dead-lettered records with their reasons (nothing is ever dropped silently)."""
    runtime = open_runtime(data_dir)
    for message in runtime.messages((INTAKE_REJECTED, CASEWORK_DEAD_LETTER, SLA_DEAD_LETTER)):
        payload = json.loads(message.value)["payload"]
        source = payload.get("source", {})
        where = f"{source.get('file', source.get('topic'))}:{source.get('line', source.get('offset'))}"
        click.echo(f"[{message.topic}] {message.key} at {where}: {payload['reason']}")
        if show_original:
            click.echo("    " + base64.b64decode(payload["original"]).decode(errors="replace"))


COMMANDS = (demo, serve, sitrep, schemas, db, rejected)
