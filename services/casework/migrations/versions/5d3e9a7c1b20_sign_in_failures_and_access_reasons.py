"""sign-in failures; a reason in the access log

Revision ID: 5d3e9a7c1b20
Revises: 4b6f0c2d8a31
Create Date: 2026-12-06 23:10:00.000000

Runs of failed sign-ins per address and per username, that throttle sign-in with growing delays (replacing the
lock after five failures); the reason a Director gave for opening a case's identities to decide its closure.
The access log keeps its append-only triggers: a column added by ALTER TABLE does not recreate the table.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '5d3e9a7c1b20'
down_revision = '4b6f0c2d8a31'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sign_in_failures',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_index(op.f('ix_sign_in_failures_last_failure_at'), 'sign_in_failures', ['last_failure_at'],
                    unique=False)
    op.add_column('access_log', sa.Column('reason', sa.String(length=500), nullable=True))


def downgrade() -> None:
    op.drop_column('access_log', 'reason')
    op.drop_index(op.f('ix_sign_in_failures_last_failure_at'), table_name='sign_in_failures')
    op.drop_table('sign_in_failures')
