"""clock published under

Revision ID: 3e8a51c0d7b2
Revises: 7d3c2b1a9e10
Create Date: 2026-12-06 23:20:00.000000

The key a clock's schedules were last published under (the partition of its case events): a policy change publishes
the clock's new schedule under the same key, so it stays in order with them (ADR 16). NULL for clocks written
before: their new schedules go under a key of their own.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '3e8a51c0d7b2'
down_revision = '7d3c2b1a9e10'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_under', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_column('published_under')
