"""case counts by office and stage, kept by the database as the read model's rows change

Revision ID: c8e4f2a6b1d3
Revises: d7c3a9e5f1b2
Create Date: 2026-12-07 21:15:00.000000

A list's total was a COUNT of the read model's rows under its filters: on PostgreSQL at a million cases, 40-75 ms of
CPU for the Director's list (an index-only scan of every row), each time any list page was opened. The number of
cases of each office and stage is now kept in `case_counts` by triggers on `case_summaries` (insert, a change of
office or stage, delete), in the transaction that changes the row, whichever code writes it (the handlers, a
rebuild, a copy in SQL); a total whose filters are an office, a stage or neither is their sum. A later migration that
alters case_summaries in SQLite's batch mode copies the table and drops these triggers with it: it must create them
again (`create_triggers` below).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c8e4f2a6b1d3'
down_revision = 'd7c3a9e5f1b2'
branch_labels = None
depends_on = None

_ADD = """INSERT INTO case_counts (office, stage, cases) VALUES ({row}.office, {row}.stage, 1)
    ON CONFLICT (office, stage) DO UPDATE SET cases = case_counts.cases + 1"""
_TAKE = "UPDATE case_counts SET cases = cases - 1 WHERE office = {row}.office AND stage = {row}.stage"
_MOVED = "OLD.office IS DISTINCT FROM NEW.office OR OLD.stage IS DISTINCT FROM NEW.stage"

POSTGRESQL = (
    # The schema's own case_counts, whatever the search path of the session that writes the row: pinned to the
    # migration's (services.messaging.migrate sets it to the service's schema).
    f"""CREATE OR REPLACE FUNCTION case_counts_follow() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN {_TAKE.format(row='OLD')}; END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN {_ADD.format(row='NEW')}; END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER case_counts_insert_delete AFTER INSERT OR DELETE ON case_summaries
    FOR EACH ROW EXECUTE FUNCTION case_counts_follow()""",
    f"""CREATE TRIGGER case_counts_update AFTER UPDATE OF office, stage ON case_summaries
    FOR EACH ROW WHEN ({_MOVED}) EXECUTE FUNCTION case_counts_follow()""",
)
SQLITE = (
    f"CREATE TRIGGER case_counts_insert AFTER INSERT ON case_summaries BEGIN {_ADD.format(row='NEW')}; END",
    f"CREATE TRIGGER case_counts_delete AFTER DELETE ON case_summaries BEGIN {_TAKE.format(row='OLD')}; END",
    f"""CREATE TRIGGER case_counts_update AFTER UPDATE OF office, stage ON case_summaries
    WHEN {_MOVED.replace('IS DISTINCT FROM', 'IS NOT')}
    BEGIN {_TAKE.format(row='OLD')}; {_ADD.format(row='NEW')}; END""",
)


def create_triggers() -> None:
    dialect = op.get_bind().dialect.name
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(dialect)
    if statements is None:
        raise NotImplementedError(f"no case count triggers for {dialect}")
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        'case_counts',
        sa.Column('office', sa.String(40), primary_key=True),
        sa.Column('stage', sa.String(24), primary_key=True),
        sa.Column('cases', sa.Integer(), nullable=False),
    )
    op.execute("INSERT INTO case_counts (office, stage, cases) "
               "SELECT office, stage, count(*) FROM case_summaries GROUP BY office, stage")
    create_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS case_counts_update ON case_summaries")
        op.execute("DROP TRIGGER IF EXISTS case_counts_insert_delete ON case_summaries")
        op.execute("DROP FUNCTION IF EXISTS case_counts_follow()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS case_counts_{name}")
    op.drop_table('case_counts')
