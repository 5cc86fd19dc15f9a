"""access request notices: each request told to its office's Team Leaders by e-mail or webhook

Revision ID: d7c3a9e5f1b2
Revises: b6e2d9a4c7f1
Create Date: 2026-12-07 18:30:00.000000

A request to read another office's cases was seen only in the menu's count of its Team Leaders. It is now sent to
each of them by the channels they chose for alerts, once, retried as alerts are. Requests made before this revision
count as told: nobody is sent a notice of an old request.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'd7c3a9e5f1b2'
down_revision = 'b6e2d9a4c7f1'
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)
_requests = sa.table('access_requests', sa.column('at', _WHEN), sa.column('notices_planned_at', _WHEN))


def upgrade() -> None:
    with op.batch_alter_table('access_requests') as batch:
        batch.add_column(sa.Column('notices_planned_at', _WHEN, nullable=True))
    op.execute(_requests.update().values(notices_planned_at=_requests.c.at))
    op.create_table(
        'access_request_notices',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), primary_key=True, autoincrement=True),
        sa.Column('request_id', sa.String(36), nullable=False),
        sa.Column('username', sa.String(64), nullable=False),
        sa.Column('channel', sa.String(16), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', _WHEN, nullable=False),
        sa.Column('delivered_at', _WHEN, nullable=True),
        sa.Column('last_error', sa.String(500), nullable=False),
        sa.UniqueConstraint('request_id', 'username', 'channel', name='uq_access_request_notices_recipient'),
    )
    op.create_index('ix_access_request_notices_due', 'access_request_notices', ['status', 'next_attempt_at'])


def downgrade() -> None:
    op.drop_index('ix_access_request_notices_due', table_name='access_request_notices')
    op.drop_table('access_request_notices')
    with op.batch_alter_table('access_requests') as batch:
        batch.drop_column('notices_planned_at')
