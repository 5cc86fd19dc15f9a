"""`hrcase users ...`: named users with a role and an office."""

from __future__ import annotations

import click

from schemas.vocabulary import ROLES
from services.casework.adapters import repository as repo
from services.casework.domain.roles import User
from services.cli.common import data_dir_option, open_runtime


@click.group()
def users() -> None:
    """Users, roles and offices."""


@users.command("add")
@data_dir_option
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--office", required=True)
@click.option("--name", "display_name", default="")
def add(data_dir: str, username: str, role: str, office: str, display_name: str) -> None:
    """Add or update a user."""
    runtime = open_runtime(data_dir)
    if office not in runtime.settings.offices:
        raise click.ClickException(f"unknown office {office!r}; configured: {', '.join(runtime.settings.offices)}")
    runtime.casework.write(lambda conn: repo.save_user(conn, User(username, role, office, display_name)))
    click.echo(f"{username}: {role} at {office}")


@users.command("list")
@data_dir_option
def list_users(data_dir: str) -> None:
    """List users."""
    runtime = open_runtime(data_dir)
    for user in runtime.casework.read(repo.list_users):
        click.echo(f"{user.username:20} {user.role:12} {user.office:10} {'' if user.active else '(inactive)'}")


COMMANDS = (users,)
