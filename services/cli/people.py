"""`hrcase people reindex`: the blind index of people rebuilt from every case's sealed identities (ADR 23)."""

from __future__ import annotations

import click

from services.cli.common import data_dir_option, open_runtime


@click.group("people")
def people() -> None:
    """People across cases: the blind index that finds a person without any name in the clear."""


@people.command("reindex")
@data_dir_option
def reindex(data_dir: str) -> None:
    """Rebuild the blind index from the sealed identities of all cases, under the newest identity key.

    Run it once after upgrading an installation that has cases, and after a key rotation (`hrcase api reseal`):
    until then, lookups still find people indexed under the older keys configured."""
    from services.casework.adapters.people_index import reindex as rebuild

    runtime = open_runtime(data_dir)
    cases, rows = rebuild(runtime.casework.engine, runtime.casework.vault)
    click.echo(f"{cases} case(s) reindexed: {rows} digest(s) of names, no name in the clear")


COMMANDS = (people,)
