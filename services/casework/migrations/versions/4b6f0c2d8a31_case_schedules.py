"""case schedules

Revision ID: 4b6f0c2d8a31
Revises: 9777f2fd961d
Create Date: 2026-12-06 20:10:00.000000

The latest schedule of each clock of a case, as sla_monitor publishes it (SlaScheduled, ADR 0011): casework shows
and sorts by these instead of working deadlines out again.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '4b6f0c2d8a31'
down_revision = '9777f2fd961d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_schedules',
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('clock', sa.String(length=24), nullable=False),
    sa.Column('episode', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('warn_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('escalate_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=8), nullable=True),
    sa.Column('policy_version', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('case_id', 'clock')
    )


def downgrade() -> None:
    op.drop_table('case_schedules')
