"""blind index of people, access requests and grants

Revision ID: b8d41f6e2c07
Revises: c3e9a7d2f5b1
Create Date: 2026-12-07 02:30:00.000000

Issue 21, item 3 (ADR 23): keyed digests of people's normalised names per case, so that an authorised user can
find a person across cases without any name in the clear; requests for access to another office's matching cases,
and the grants their Team Leaders give. Existing installations fill the index with `hrcase people reindex`.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b8d41f6e2c07'
down_revision = 'c3e9a7d2f5b1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('person_index',
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('person', sa.String(length=16), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('case_id', 'person', 'digest')
    )
    op.create_index('ix_person_index_digest', 'person_index', ['digest'], unique=False)
    op.create_table('access_requests',
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('requester', sa.String(length=64), nullable=False),
    sa.Column('office', sa.String(length=40), nullable=False),
    sa.Column('case_ids', sa.Text(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('request_id')
    )
    op.create_index('ix_access_requests_requester', 'access_requests', ['requester'], unique=False)
    op.create_index('ix_access_requests_office_status', 'access_requests', ['office', 'status', 'at'], unique=False)
    op.create_table('access_grants',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('granted_by', sa.String(length=64), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('username', 'case_id')
    )


def downgrade() -> None:
    op.drop_table('access_grants')
    op.drop_index('ix_access_requests_office_status', table_name='access_requests')
    op.drop_index('ix_access_requests_requester', table_name='access_requests')
    op.drop_table('access_requests')
    op.drop_index('ix_person_index_digest', table_name='person_index')
    op.drop_table('person_index')
