"""What casework's PostgreSQL tables need of their database as a whole: three extensions and one wrapper function.

They are the database's, not a service schema's, so a dump of casework's schema does not carry them: a database
restored from dumps gets them first (`hrcase db prepare`), as the migrations created them the first time."""

from __future__ import annotations

from sqlalchemy import Connection, text

UNACCENT = "public.hrcase_unaccent"  # immutable: a generated column needs it, and unaccent() itself is only stable


def prepare(conn: Connection) -> None:
    """unaccent (search, ADR 21) with its immutable wrapper, pg_trgm (duplicates, ADR 22) and btree_gin (the office
    beside the words in the search's GIN indexes, ADR 26); all trusted since PostgreSQL 13, so the database's owner
    creates them. Idempotent, and safe when two migrations run at once."""
    if _present(conn):
        return
    conn.execute(text("SELECT pg_advisory_xact_lock(2021)"))  # a second migration at once waits, then finds them
    if _present(conn):
        return
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public"))
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gin WITH SCHEMA public"))
    if _wrapper(conn):
        return
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public"))
    home = conn.scalar(text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                            "WHERE e.extname = 'unaccent'"))
    conn.execute(text(
        f"CREATE FUNCTION {UNACCENT}(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
        f"AS $$ SELECT \"{home}\".unaccent('\"{home}\".unaccent'::regdictionary, $1) $$"))


def _wrapper(conn: Connection) -> bool:
    return bool(conn.scalar(text(f"SELECT to_regprocedure('{UNACCENT}(text)') IS NOT NULL")))


def _present(conn: Connection) -> bool:
    """Everything made: the wrapper, and the two extensions used directly (btree_gin came later than the others)."""
    found = conn.scalar(text("SELECT count(*) FROM pg_extension WHERE extname IN ('pg_trgm', 'btree_gin')"))
    return _wrapper(conn) and found == 2
