"""access grants end: a grant's end, and requests revoked before it

Revision ID: e5a1c7d3b9f2
Revises: d2b7e5c9a4f1
Create Date: 2026-12-07 05:40:00.000000

A Team Leader's grant to read another office's cases now lasts the days they choose (domain.access_grants) and can be
revoked before its end. Grants made before this revision had no end: they are given the default three months from
the day they were made, so that none reads for good (a grant older than that has ended when this runs).
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = 'e5a1c7d3b9f2'
down_revision = 'd2b7e5c9a4f1'
branch_labels = None
depends_on = None

DAYS = 90  # domain.access_grants.DEFAULT_DAYS when this was written; a migration keeps its own copy
_WHEN = sa.DateTime(timezone=True)
_grants = sa.table('access_grants', sa.column('username'), sa.column('case_id'), sa.column('granted_at', _WHEN),
                   sa.column('expires_at', _WHEN))
_requests = sa.table('access_requests', sa.column('request_id'), sa.column('status'), sa.column('decided_at', _WHEN),
                     sa.column('expires_at', _WHEN))


def upgrade() -> None:
    with op.batch_alter_table('access_requests') as batch:
        batch.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('revoked_by', sa.String(64), nullable=True))
        batch.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('revocation_reason', sa.String(500), nullable=True))
    with op.batch_alter_table('access_grants') as batch:
        batch.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    conn = op.get_bind()
    _end_old_grants(conn)
    with op.batch_alter_table('access_grants') as batch:
        batch.alter_column('expires_at', existing_type=sa.DateTime(timezone=True), nullable=False)


def _end_old_grants(conn: sa.Connection) -> None:
    """Few rows (a request each time someone asks): worked out here rather than in each dialect's date arithmetic.
    A new database has none: asked of the primary key's index, not by reading the table."""
    if conn.execute(sa.select(_requests.c.request_id).where(_requests.c.request_id >= '').limit(1)).first() is None:
        return
    for username, case_id, granted_at in conn.execute(sa.select(_grants.c.username, _grants.c.case_id,
                                                                _grants.c.granted_at)).all():
        conn.execute(_grants.update().where(_grants.c.username == username, _grants.c.case_id == case_id)
                     .values(expires_at=granted_at + timedelta(days=DAYS)))
    for request_id, decided_at in conn.execute(sa.select(_requests.c.request_id, _requests.c.decided_at)
                                               .where(_requests.c.status == 'granted')).all():
        conn.execute(_requests.update().where(_requests.c.request_id == request_id)
                     .values(expires_at=decided_at + timedelta(days=DAYS)))


def downgrade() -> None:
    with op.batch_alter_table('access_grants') as batch:
        batch.drop_column('expires_at')
    with op.batch_alter_table('access_requests') as batch:
        for name in ('revocation_reason', 'revoked_at', 'revoked_by', 'expires_at'):
            batch.drop_column(name)
