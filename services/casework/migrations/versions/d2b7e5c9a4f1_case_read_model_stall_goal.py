"""the case read model: the running stall clock's goal

Revision ID: d2b7e5c9a4f1
Revises: c4a9e2d7b1f3
Create Date: 2026-12-07 03:15:00.000000

The overview counts the stalled from the row (its running stall clock's goal) instead of reading a schedule per
case. Then every row is filled from the cases and schedules casework holds, by the code of
`hrcase read-model rebuild`: the latest migration that changes the read model's columns fills it (ADR 0019), since
the rebuild writes every column the code knows.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'd2b7e5c9a4f1'
down_revision = 'c4a9e2d7b1f3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_summaries') as batch:
        batch.add_column(sa.Column('stall_due_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_case_summaries_stall', 'case_summaries', ['stall_due_at'])
    # Imported here, not at the top: the rebuild's code is read only when this revision runs.
    from services.casework.adapters.summaries import rebuild
    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index('ix_case_summaries_stall', table_name='case_summaries')
    with op.batch_alter_table('case_summaries') as batch:
        batch.drop_column('stall_due_at')
