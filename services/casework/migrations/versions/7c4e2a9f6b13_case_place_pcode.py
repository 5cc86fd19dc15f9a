"""the place of a case in the gazetteer

Revision ID: 7c4e2a9f6b13
Revises: 7c41d2e9f805
Create Date: 2026-12-07 00:30:00.000000

Incident version 2 places each incident in the gazetteer (a P-code, issue 20): the case keeps it as a column, so that
cases can be listed and counted by place and region without reading every case's state. Cases registered before
have none (their location is free text); nothing is backfilled, since the P-code follows from the incident as intake
placed it, not from a later reading of the location.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '7c4e2a9f6b13'
down_revision = '7c41d2e9f805'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('cases', sa.Column('place_pcode', sa.String(length=16), nullable=True))
    op.create_index('ix_cases_place_pcode', 'cases', ['place_pcode'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_cases_place_pcode', table_name='cases')
    op.drop_column('cases', 'place_pcode')
