"""`hrcase units add|list|retire`: the named perpetrator units an admin keeps, for acts to name."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from schemas.vocabulary import offered
from services.casework.adapters import units as store
from services.cli.common import data_dir_option, open_runtime


@click.group("units")
def units() -> None:
    """Perpetrator units: named units (a battalion, a brigade, an armed group's faction) that acts can name."""


@units.command("add")
@data_dir_option
@click.argument("code")
@click.option("--name", required=True, help="The unit's name, as reports will show it.")
@click.option("--category", "perpetrator_category", required=True,
              help="Its perpetrator category (`hrcase vocabulary list perpetrator_types`).")
@click.option("--un-supported/--not-un-supported", "un_supported", required=True,
              help="Whether it is a non-UN security force receiving UN support (Human Rights Due Diligence Policy).")
def add(data_dir: str, code: str, name: str, perpetrator_category: str, un_supported: bool) -> None:
    """Add a unit; its code is for good (a retired unit's code is never given again)."""
    runtime = open_runtime(data_dir)
    now = datetime.now(UTC)
    try:
        unit = runtime.casework.write(lambda conn: store.add_unit(conn, code, name, perpetrator_category,
                                                                 un_supported, now))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    support = "receives UN support" if unit.un_supported_security_force else "receives no UN support"
    click.echo(f"{unit.code}: {unit.name} ({unit.perpetrator_category}; {support}) added")


@units.command("list")
@data_dir_option
@click.option("--all", "include_retired", is_flag=True, help="Show retired units too.")
def list_units(data_dir: str, include_retired: bool) -> None:
    """List the units acts can name (with --all, the retired ones too)."""
    runtime = open_runtime(data_dir)
    found = runtime.casework.read(lambda conn: store.list_units(conn, include_retired))
    if not found:
        click.echo("no unit yet: add one with `hrcase units add CODE --name ... --category "
                   f"{{{','.join(offered('perpetrator_types'))}}} --un-supported|--not-un-supported`")
    for unit in found:
        flags = ("UN-supported" if unit.un_supported_security_force else "-") + (" retired" if unit.retired else "")
        click.echo(f"{unit.code:24} {unit.perpetrator_category:22} {flags:20} {unit.name}")


@units.command("retire")
@data_dir_option
@click.argument("code")
def retire(data_dir: str, code: str) -> None:
    """Retire a unit: acts that name it keep it; new acts can no longer name it."""
    runtime = open_runtime(data_dir)
    try:
        unit = runtime.casework.write(lambda conn: store.retire_unit(conn, code))
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc).strip('"')) from None
    click.echo(f"{unit.code}: {unit.name} retired")


COMMANDS = (units,)
