"""clock first due

Revision ID: 7d3c2b1a9e10
Revises: 0ec6b5999f82
Create Date: 2026-12-06 20:00:00.000000

The instant an episode's first breach fired: the goal its published schedule keeps once crossed, even after a
justified delay moves the deadlines still ahead (docs/sla-policy.md, "Schedules").
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '7d3c2b1a9e10'
down_revision = '0ec6b5999f82'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_due', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_column('first_due')
