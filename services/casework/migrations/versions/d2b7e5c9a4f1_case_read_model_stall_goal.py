"""the case read model: the running stall clock's goal

Revision ID: d2b7e5c9a4f1
Revises: c4a9e2d7b1f3
Create Date: 2026-12-07 03:15:00.000000

The overview counts the stalled from the row (its running stall clock's goal) instead of reading a schedule per
case, and walks indexes for its medians and ranks (the recording delays; the goals of the unrecorded) instead of
sorting every case. Then every row is filled from the cases and schedules casework holds, by the code of
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

# The overview's medians and ranks walk these in order instead of sorting every case.
ORDERED = {"ix_case_summaries_assignee_office_urgency": ["assignee", "office", "urgency_at", "reference"],
           "ix_case_summaries_office_delay": ["office", "recording_days"],
           "ix_case_summaries_delay": ["recording_days"]}
WHERE = "recorded_at IS NULL AND recording_outcome IS NULL"
UNJUDGED = {"ix_case_summaries_office_unrecorded_due": ["office", "recording_due_at"],
            "ix_case_summaries_unrecorded_due": ["recording_due_at"]}


def upgrade() -> None:
    with op.batch_alter_table('case_summaries') as batch:
        batch.add_column(sa.Column('stall_due_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_case_summaries_stall', 'case_summaries', ['stall_due_at'])
    for name, columns in ORDERED.items():
        op.create_index(name, 'case_summaries', columns)
    for name, columns in UNJUDGED.items():
        op.create_index(name, 'case_summaries', columns, sqlite_where=sa.text(WHERE), postgresql_where=sa.text(WHERE))
    # Imported here, not at the top: the rebuild's code is read only when this revision runs.
    from services.casework.adapters.summaries import rebuild
    rebuild(op.get_bind())


def downgrade() -> None:
    for name in (*ORDERED, *UNJUDGED):
        op.drop_index(name, table_name='case_summaries')
    op.drop_index('ix_case_summaries_stall', table_name='case_summaries')
    with op.batch_alter_table('case_summaries') as batch:
        batch.drop_column('stall_due_at')
