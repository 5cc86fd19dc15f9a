"""What casework's PostgreSQL tables need of their database as a whole: two extensions and one wrapper function.

They are the database's, not a service schema's, so a dump of casework's schema does not carry them: a database
restored from dumps gets them first (`hrcase db prepare`), as the migrations created them the first time."""

from __future__ import annotations

from sqlalchemy import Connection, text

UNACCENT = "public.hrcase_unaccent"  # immutable: a generated column needs it, and unaccent() itself is only stable


def prepare(conn: Connection) -> None:
    """unaccent (search, ADR 21) with its immutable wrapper, and pg_trgm (duplicates, ADR 22); both trusted since
    PostgreSQL 13, so the database's owner creates them. Idempotent, and safe when two migrations run at once."""
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public"))
    if _present(conn):
        return
    conn.execute(text("SELECT pg_advisory_xact_lock(2021)"))
    if _present(conn):
        return
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public"))
    home = conn.scalar(text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                            "WHERE e.extname = 'unaccent'"))
    conn.execute(text(
        f"CREATE FUNCTION {UNACCENT}(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
        f"AS $$ SELECT \"{home}\".unaccent('\"{home}\".unaccent'::regdictionary, $1) $$"))


def _present(conn: Connection) -> bool:
    return bool(conn.scalar(text(f"SELECT to_regprocedure('{UNACCENT}(text)') IS NOT NULL")))
