"""access log append-only in the database

Revision ID: 9777f2fd961d
Revises: 1402a5e352b3
Create Date: 2026-11-22 08:10:25.781467

Triggers refuse UPDATE and DELETE on access_log (and TRUNCATE on PostgreSQL), so that not even a connection with
the service's own credentials can rewrite who saw what. Nothing in hrcase changes or deletes a row (there is no
retention purge). A later migration that alters access_log in SQLite's batch mode copies the table and drops the
old one, and with it these triggers: it must create them again (`create_triggers` below).
"""
from __future__ import annotations

from alembic import op

revision = '9777f2fd961d'
down_revision = '1402a5e352b3'
branch_labels = None
depends_on = None

MESSAGE = "access_log is append-only"

POSTGRESQL = (
    f"""CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$""",
    """CREATE TRIGGER access_log_no_update_or_delete BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only()""",
    """CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()""",
)
SQLITE = tuple(
    f"""CREATE TRIGGER access_log_no_{op_name.lower()} BEFORE {op_name} ON access_log
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {op_name} refused'); END"""
    for op_name in ("UPDATE", "DELETE")
)


def create_triggers() -> None:
    dialect = op.get_bind().dialect.name
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(dialect)
    if statements is None:
        raise NotImplementedError(f"no append-only triggers for {dialect}")
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    create_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS access_log_no_truncate ON access_log")
        op.execute("DROP TRIGGER IF EXISTS access_log_no_update_or_delete ON access_log")
        op.execute("DROP FUNCTION IF EXISTS access_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS access_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS access_log_no_delete")
