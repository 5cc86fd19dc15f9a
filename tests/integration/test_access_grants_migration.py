"""The migration that gives access grants an end: a grant made before it reads for three months from the day it was
made and no longer, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, text

from services.casework.adapters import access_requests, tables
from services.messaging import migrate as migrations
from tests.integration.test_casework_alert_consolidation import to

BEFORE = "d2b7e5c9a4f1"  # the head before grants had an end
MADE = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)


def test_a_grant_made_before_the_migration_ends_three_months_after_it_was_made(
        engines: tuple[Engine, str | None]) -> None:
    engine, schema = engines
    to(engine, BEFORE, schema)
    prefix = f'"{schema}".' if schema else ""
    with engine.begin() as conn:
        conn.execute(text(f"insert into {prefix}access_requests (request_id, requester, office, case_ids, reason, at, "
                          "status, decided_by, decided_at, decision_reason) values ('r1', 'awa', 'Gao', '[\"c-1\"]', "
                          "'to compare the cases', :at, 'granted', 'tl_gao', :at, 'compare')"), {"at": MADE})
        conn.execute(text(f"insert into {prefix}access_grants (username, case_id, request_id, granted_by, granted_at) "
                          "values ('awa', 'c-1', 'r1', 'tl_gao', :at)"), {"at": MADE})
    migrations.upgrade(engine, "services.casework", schema)
    ends = MADE + timedelta(days=90)
    translated = engine.execution_options(schema_translate_map={None: schema}) if schema else engine
    with translated.connect() as conn:
        expires = conn.scalar(select(tables.access_grants.c.expires_at))
        assert expires is not None and expires.astimezone(UTC) == ends
        assert access_requests.get(conn, "r1").expires_at == ends  # type: ignore[union-attr]
        assert access_requests.granted(conn, "awa", "c-1", ends - timedelta(seconds=1))
        assert not access_requests.granted(conn, "awa", "c-1", ends)
