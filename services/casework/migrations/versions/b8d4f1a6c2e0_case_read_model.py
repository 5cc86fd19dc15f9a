"""the case read model

Revision ID: b8d4f1a6c2e0
Revises: a7e3c5d91f42
Create Date: 2026-12-07 02:40:00.000000

One row per case with what lists, filters, sorting and counts need (ADR 0019), and each case's violations, filled
from the cases and schedules casework holds by the same code as `hrcase read-model rebuild`.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b8d4f1a6c2e0'
down_revision = 'a7e3c5d91f42'
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)
INDEXES = {
    "ix_case_summaries_office_urgency": ["office", "urgency_at", "reference"],
    "ix_case_summaries_urgency": ["urgency_at", "reference"],
    "ix_case_summaries_assignee_urgency": ["assignee", "urgency_at", "reference"],
    "ix_case_summaries_office_stage": ["office", "stage"],
    "ix_case_summaries_stage_requested": ["stage", "closure_requested_at"],
    "ix_case_summaries_reported": ["reported_at"],
    "ix_case_summaries_occurred": ["occurred_at"],
    "ix_case_summaries_region": ["region_pcode"],
    "ix_case_summaries_place": ["place_pcode"],
    "ix_case_summaries_perpetrator": ["perpetrator"],
}


def upgrade() -> None:
    op.create_table(
        'case_summaries',
        sa.Column('case_id', sa.String(36), nullable=False),
        sa.Column('reference', sa.String(32), nullable=False),
        sa.Column('office', sa.String(40), nullable=False),
        sa.Column('stage', sa.String(24), nullable=False),
        sa.Column('assignee', sa.String(64), nullable=True),
        sa.Column('sitrep_id', sa.String(120), nullable=True),
        sa.Column('reported_at', When, nullable=False),
        sa.Column('occurred_at', When, nullable=True),
        sa.Column('registered_at', When, nullable=False),
        sa.Column('recorded_at', When, nullable=True),
        sa.Column('last_activity_at', When, nullable=True),
        sa.Column('closed_at', When, nullable=True),
        sa.Column('closure_requested_at', When, nullable=True),
        sa.Column('place', sa.String(200), nullable=False),
        sa.Column('place_pcode', sa.String(16), nullable=True),
        sa.Column('region_pcode', sa.String(16), nullable=True),
        sa.Column('latitude', sa.Float(), nullable=True),
        sa.Column('longitude', sa.Float(), nullable=True),
        sa.Column('violations', sa.String(400), nullable=False),
        sa.Column('perpetrator', sa.String(40), nullable=True),
        sa.Column('victims', sa.Integer(), nullable=False),
        sa.Column('excerpt', sa.String(240), nullable=False),
        sa.Column('possible_duplicate', sa.Boolean(), nullable=False),
        sa.Column('consent_withdrawn', sa.Boolean(), nullable=False),
        sa.Column('free_text_place', sa.Boolean(), nullable=False),
        sa.Column('unit_unknown', sa.Boolean(), nullable=False),
        sa.Column('delay_justified', sa.Boolean(), nullable=False),
        sa.Column('closed_without_approval', sa.Boolean(), nullable=False),
        sa.Column('next_clock', sa.String(24), nullable=True),
        sa.Column('next_due_at', When, nullable=True),
        sa.Column('next_warn_at', When, nullable=True),
        sa.Column('next_paused_until', When, nullable=True),
        sa.Column('urgency_at', When, nullable=False),
        sa.Column('recording_due_at', When, nullable=True),
        sa.Column('recording_outcome', sa.String(8), nullable=True),
        sa.Column('recording_stopped_at', When, nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('case_id'),
        sa.UniqueConstraint('reference'),
    )
    for name, columns in INDEXES.items():
        op.create_index(name, 'case_summaries', columns)
    op.create_table(
        'case_violations',
        sa.Column('violation', sa.String(40), nullable=False),
        sa.Column('case_id', sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint('violation', 'case_id'),
    )
    op.create_index('ix_case_violations_case', 'case_violations', ['case_id'])
    # Filled by c3e9a7d2f5b1 (the overview's columns): the rebuild writes every column of today's table.


def downgrade() -> None:
    op.drop_index('ix_case_violations_case', table_name='case_violations')
    op.drop_table('case_violations')
    for name in INDEXES:
        op.drop_index(name, table_name='case_summaries')
    op.drop_table('case_summaries')
