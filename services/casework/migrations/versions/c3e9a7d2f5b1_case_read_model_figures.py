"""the case read model: the overview's columns and the lists' indexes

Revision ID: c3e9a7d2f5b1
Revises: b8d4f1a6c2e0
Create Date: 2026-12-07 03:00:00.000000

What the overview counts without folding history (follow-ups, a delay reason since the last activity, the
recording delay), and the indexes each list's filter and order use (ADR 0019).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c3e9a7d2f5b1'
down_revision = 'b8d4f1a6c2e0'
branch_labels = None
depends_on = None

INDEXES = {
    "ix_case_summaries_office_stage_urgency": ["office", "stage", "urgency_at", "reference"],
    "ix_case_summaries_stage_urgency": ["stage", "urgency_at", "reference"],
    "ix_case_summaries_office_stage_requested": ["office", "stage", "closure_requested_at", "reference"],
}


def upgrade() -> None:
    with op.batch_alter_table('case_summaries') as batch:
        batch.add_column(sa.Column('follow_ups', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('stall_reason', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('recording_days', sa.Float(), nullable=True))
    for name, columns in INDEXES.items():
        op.create_index(name, 'case_summaries', columns)
    # The rows are filled by the latest migration that changes the read model's columns (d2b7e5c9a4f1 now): the
    # rebuild writes every column of the code's table, which exist only once every such migration has run.


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name='case_summaries')
    with op.batch_alter_table('case_summaries') as batch:
        batch.drop_column('recording_days')
        batch.drop_column('stall_reason')
        batch.drop_column('follow_ups')
