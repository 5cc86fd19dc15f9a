"""Alembic, run from code: each service upgrades its own database (or PostgreSQL schema) to head."""

from __future__ import annotations

from collections.abc import Callable

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, create_engine, text


def _config(package: str, schema: str | None) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.attributes["schema"] = schema
    return config


def upgrade(engine: Engine, package: str, schema: str | None = None) -> None:
    """Upgrade the tables of the service whose migrations live in `<package>/migrations`."""
    config = _config(package, schema)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two workers of one service starting together must not both create the same tables.
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": f"hrcase:{package}"})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def schema_check(package: str, schema: str | None = None) -> Callable[[Connection], str | None]:
    """A check of the database's tables, asked as a worker starts and at every readiness probe: why this code cannot
    run on them yet, or None when it can. The migrations are read once: they do not change under a running worker.

    It can when the tables are at this code's head, or at a revision this code does not know: a later version's
    expanding migration, which adds only what earlier code ignores (docs/operations.md, "Upgrades")."""
    script = ScriptDirectory.from_config(_config(package, schema))
    heads = set(script.get_heads())
    revisions = {revision.revision for revision in script.walk_revisions()}
    where = f"{package.rsplit('.', 1)[-1]}'s tables" + (f" (schema {schema})" if schema else "")

    def check(conn: Connection) -> str | None:
        current = set(MigrationContext.configure(conn, opts={"version_table_schema": schema}).get_current_heads())
        if not current:
            return f"{where} do not exist yet: run `hrcase db upgrade`"
        known = current & revisions
        if known and known != heads:
            return (f"{where} are at revision {', '.join(sorted(current))}, this version needs "
                    f"{', '.join(sorted(heads))}: run `hrcase db upgrade`")
        return None

    return check


def behind(engine: Engine, package: str, schema: str | None = None) -> str | None:
    """Why this code cannot run on the database's tables yet, or None when it can (see `schema_check`)."""
    with engine.connect() as conn:
        return schema_check(package, schema)(conn)


class SchemaNotReady(RuntimeError):
    """A worker that may not migrate found its tables older than its code: the message says what to run."""


def prepare(engine: Engine, package: str, schema: str | None, migrate: bool) -> None:
    """As a worker starts: migrate its tables, or (HRCASE_MIGRATE=no) refuse to run on tables older than its code."""
    if migrate:
        upgrade(engine, package, schema)
        return
    reason = behind(engine, package, schema)
    if reason:
        raise SchemaNotReady(f"{reason} (HRCASE_MIGRATE=no: workers do not migrate)")


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
    config = _config(package, None)
    upgrade(engine, package)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.revision(config, message=message, autogenerate=True)
