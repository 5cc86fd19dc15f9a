"""the overview's map: indexes of the incidents with their own coordinates

Revision ID: f3a8c1d6e2b7
Revises: e5a1c7d3b9f2
Create Date: 2026-12-07 05:40:00.000000

The overview's map lists the incidents with their own coordinates; without this partial index it read every case
to find them (1.3 s of SQLite's CPU at a million cases, none of which have any in the benchmark). Indexes only:
no column changes, so the read model is not rebuilt (ADR 0019).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'f3a8c1d6e2b7'
down_revision = 'e5a1c7d3b9f2'
branch_labels = None
depends_on = None

WHERE = "latitude IS NOT NULL AND longitude IS NOT NULL"


PLACED = {"ix_case_summaries_placed": ["reference"], "ix_case_summaries_office_placed": ["office", "reference"]}


def upgrade() -> None:
    for name, columns in PLACED.items():
        op.create_index(name, 'case_summaries', columns, sqlite_where=sa.text(WHERE), postgresql_where=sa.text(WHERE))


def downgrade() -> None:
    for name in PLACED:
        op.drop_index(name, table_name='case_summaries')
