"""`hrcase api serve`, `spec` and `keygen`: the casework API (and web pages) alone, its OpenAPI document, a key."""

from __future__ import annotations

import json
from pathlib import Path

import click

from services.cli.common import data_dir_option, settings_for


@click.group()
def api() -> None:
    """The casework HTTP API (served by `hrcase serve`, by the casework worker, and alone by `hrcase api serve`)."""


@api.command("serve")
@data_dir_option
@click.option("--port", type=int, default=None, help="Port (default HRCASE_API_PORT or 6080; 0 picks a free one).")
@click.option("--threads", type=int, default=4, show_default=True, help="Requests served at once by this process.")
def serve(data_dir: str, port: int | None, threads: int) -> None:
    """Serve the casework API and web pages alone, until interrupted: no pipeline, no alert delivery, no migration.
    Run as many as the readers need, each on its own port or host, behind a load balancer, beside the one casework
    worker (or `hrcase serve --no-api`) that keeps the cases."""
    import signal
    import threading

    from services.casework import bootstrap
    from services.casework.api.server import ApiServer, context_for
    from services.messaging import migrate as migrations

    settings = settings_for(data_dir)
    engine, schema = settings.database("casework")
    behind = migrations.behind(engine, "services.casework", schema)
    if behind:  # a reader never migrates: the worker or `hrcase db upgrade` does, once
        raise click.ClickException(f"{behind}: run `hrcase db upgrade` (or start the casework worker) first")
    casework = bootstrap.build(engine, vault=settings.vault())
    try:
        server = ApiServer(context_for(casework, offices=settings.offices), settings.api.bind,
                           settings.api.port if port is None else port, threads=threads,
                           trusted_proxy=settings.api.trusted_proxy).start()
    except OSError as exc:
        raise click.ClickException(f"cannot serve on {settings.api.bind}:{port}: {exc}") from None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"casework API at {server.url} (docs at {server.url}/docs)", err=False)
    stop.wait()
    server.stop()
    engine.dispose()
    click.echo("stopped")


@api.command("spec")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def spec(path: str) -> None:
    """Write the OpenAPI 3 document, generated from the API's marshmallow schemas, to PATH (- for stdout)."""
    from services.casework.api.app import openapi

    text = json.dumps(openapi(), indent=2, sort_keys=True) + "\n"
    if path == "-":
        click.echo(text, nl=False)
        return
    Path(path).write_text(text)
    click.echo(f"OpenAPI document written to {path}")


@api.command("keygen")
def keygen() -> None:
    """Print a new key for HRCASE_IDENTITY_KEY (encrypts identities at rest; keep it out of the database)."""
    from cryptography.fernet import Fernet

    click.echo(Fernet.generate_key().decode())


COMMANDS = (api,)


@api.command("reseal")
@click.option("--data-dir", envvar="HRCASE_DATA_DIR", default="var/hrcase", show_default=True,
              type=click.Path(file_okay=False), help="The data dir (SQLite), unless HRCASE_DATABASE_URL is set.")
def reseal(data_dir: str) -> None:
    """Encrypt identities stored in clear by an older version, and move all to the newest configured key."""
    from services.casework import bootstrap
    from services.casework.adapters.identity_store import reseal_all
    from services.config import Settings

    settings = Settings.from_env(data_dir=data_dir)
    vault = settings.vault()
    engine, schema = settings.database("casework")
    bootstrap.migrate(engine, schema)
    with engine.begin() as conn:
        count = reseal_all(conn, vault)
    click.echo(f"{count} identities record(s) sealed with the newest key")
