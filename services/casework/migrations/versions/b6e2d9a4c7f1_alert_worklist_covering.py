"""the worklist's indexes of alerts cover who they reached and their case

Revision ID: b6e2d9a4c7f1
Revises: a9d3f7c2e4b8
Create Date: 2026-12-07 15:40:00.000000

The menu's count of cases needing action and the worklist's total walk an office's open alerts in the index's order
and test each one's recipients; without `recipients` and `case_id` in the index each alert was a row looked up. At a
million cases a Team Leader's count passed 13,000 alerts addressed to the Director alone first: 23 ms of every web
page the Team Leader opened, twice on the alerts page. The open alerts' index, which a Director's count walks, gets
the same two columns. Indexes only: no column changes, so the read model is not rebuilt (ADR 0019).
"""
from __future__ import annotations

from alembic import op

revision = 'b6e2d9a4c7f1'
down_revision = 'a9d3f7c2e4b8'
branch_labels = None
depends_on = None

BEFORE = ['office', 'resolved_at', 'acknowledged_at', 'rank', 'due_at']


INDEXES = {'ix_alerts_worklist': BEFORE, 'ix_alerts_open': BEFORE[1:]}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name='alerts')
        op.create_index(name, 'alerts', [*columns, 'recipients', 'case_id'])


def downgrade() -> None:
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name='alerts')
        op.create_index(name, 'alerts', columns)
