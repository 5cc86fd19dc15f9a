"""perpetrator units

Revision ID: 7c41d2e9f805
Revises: 5d3e9a7c1b20
Create Date: 2026-12-06 23:55:00.000000

The named units an admin keeps (issue 20): acts name one as their alleged perpetrator, each marked with whether it
is a non-UN security force receiving UN support (the UN's Human Rights Due Diligence Policy).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '7c41d2e9f805'
down_revision = '5d3e9a7c1b20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('perpetrator_units',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('perpetrator_category', sa.String(length=40), nullable=False),
    sa.Column('un_supported_security_force', sa.Boolean(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )


def downgrade() -> None:
    op.drop_table('perpetrator_units')
