"""`hrcase api spec` and `hrcase api keygen`: the casework API's OpenAPI document, and an identity key."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group()
def api() -> None:
    """The casework HTTP API (served by `hrcase serve` and by the casework worker)."""


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
