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
