"""likely duplicates to review

Revision ID: c4a9e2d7b1f3
Revises: c3f9a2d7e5b1
Create Date: 2026-12-07 03:00:00.000000

The pairs of cases that may be one incident, for Team Leaders to decide on (ADR 0022); the read model's index that
finds them (a case's region, within days); and on PostgreSQL the pg_trgm extension whose similarity() compares their
summaries. pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner, hrcase's role, may create it. It goes
in schema public, where every service schema's queries find it. Pairs are found for cases registered from now on.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c4a9e2d7b1f3'
down_revision = 'c3f9a2d7e5b1'
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    op.create_index('ix_case_summaries_region_occurred', 'case_summaries', ['region_pcode', 'occurred_at'])
    op.create_index('ix_case_summaries_place_occurred', 'case_summaries', ['place', 'occurred_at'])
    op.create_table(
        'duplicate_pairs',
        sa.Column('pair_id', sa.String(36), nullable=False),
        sa.Column('first_case_id', sa.String(36), nullable=False),
        sa.Column('second_case_id', sa.String(36), nullable=False),
        sa.Column('first_office', sa.String(40), nullable=False),
        sa.Column('second_office', sa.String(40), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('reasons', sa.String(200), nullable=False),
        sa.Column('found_at', When, nullable=False),
        sa.Column('status', sa.String(12), nullable=False),
        sa.Column('survivor_case_id', sa.String(36), nullable=True),
        sa.Column('decided_by', sa.String(64), nullable=True),
        sa.Column('decided_at', When, nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('pair_id'),
        sa.UniqueConstraint('first_case_id', 'second_case_id', name='uq_duplicate_pairs_cases'),
    )
    op.create_index('ix_duplicate_pairs_status', 'duplicate_pairs', ['status', 'found_at'])
    op.create_index('ix_duplicate_pairs_first_office', 'duplicate_pairs', ['first_office', 'status'])
    op.create_index('ix_duplicate_pairs_second_office', 'duplicate_pairs', ['second_office', 'status'])


def downgrade() -> None:
    for name in ('ix_duplicate_pairs_second_office', 'ix_duplicate_pairs_first_office', 'ix_duplicate_pairs_status'):
        op.drop_index(name, table_name='duplicate_pairs')
    op.drop_table('duplicate_pairs')
    op.drop_index('ix_case_summaries_region_occurred', table_name='case_summaries')
    op.drop_index('ix_case_summaries_place_occurred', table_name='case_summaries')
    # pg_trgm stays: another schema's tables may use it.
