"""`hrcase database prepare`: what casework's tables need of a PostgreSQL database as a whole, before a restore."""

from __future__ import annotations

import click
from sqlalchemy import text

from services.casework.adapters import database_extensions
from services.cli.common import settings_for
from services.messaging.postgres import postgres_engine


@click.group("database")
def database() -> None:
    """The PostgreSQL database of the production layout."""


@database.command("prepare")
def prepare() -> None:
    """Create the extensions and the function casework's tables use (unaccent, pg_trgm, public.hrcase_unaccent) in
    the database HRCASE_DATABASE_URL names: run it on an empty database before restoring the services' dumps into
    it (a dump of one schema does not carry them). The migrations do the same on a database they set up."""
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


COMMANDS = (database,)
