"""Alembic, run from code: each service upgrades its own database (or PostgreSQL schema) to head."""

from __future__ import annotations

from collections.abc import Callable

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, create_engine, text


def upgrade(engine: Engine, package: str, schema: str | None = None) -> None:
    """Upgrade the tables of the service whose migrations live in `<package>/migrations`."""
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.attributes["schema"] = schema
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two workers of one service starting together must not both create the same tables.
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": f"hrcase:{package}"})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def behind(package: str, schema: str | None) -> Callable[[Connection], str | None]:
    """A check for readiness: why the database's schema is older than this release's migrations, or None.

    A revision this release does not know is a newer release's (expand-then-contract lets two run side by side):
    not behind."""
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    script = ScriptDirectory.from_config(config)  # read once: the files do not change under a running worker
    heads = set(script.get_heads())
    known = {revision.revision for revision in script.walk_revisions()}

    def check(conn: Connection) -> str | None:
        current = set(MigrationContext.configure(conn, opts={"version_table_schema": schema}).get_current_heads())
        if current == heads or (current and not current <= known):
            return None
        return f"at {', '.join(sorted(current)) or 'no revision'}; this release needs {', '.join(sorted(heads))}"

    return check


def run_env(metadata: MetaData) -> None:
    """Body of every service's migrations/env.py: online migrations on the connection we were handed."""
    config = context.config
    conn: Connection | None = config.attributes.get("connection")
    schema: str | None = config.attributes.get("schema")
    if conn is None:  # the alembic command line (autogenerate): use the URL it was given
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
        with engine.begin() as own:
            _configure_and_run(own, metadata, schema)
        return
    _configure_and_run(conn, metadata, schema)


def _configure_and_run(conn: Connection, metadata: MetaData, schema: str | None) -> None:
    if schema:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        if conn.dialect.name == "postgresql":
            # schema_translate_map reaches Table objects only; Alembic names a table by string in ALTER TABLE
            # (add_column...), which must find the service's schema too. LOCAL: until this migration commits.
            conn.execute(text(f'SET LOCAL search_path TO "{schema}"'))
        conn = conn.execution_options(schema_translate_map={None: schema})
    context.configure(
        connection=conn,
        target_metadata=metadata,
        version_table_schema=schema,
        render_as_batch=conn.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def revision(engine: Engine, package: str, message: str) -> None:
    """Autogenerate the next migration of a service by comparing its tables with a database at head."""
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.attributes["schema"] = None
    upgrade(engine, package)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.revision(config, message=message, autogenerate=True)
