"""one alert per case and clock

Revision ID: a7e3c5d91f42
Revises: 7c4e2a9f6b13
Create Date: 2026-12-07 00:20:00.000000

An alert holds every SLA event of its clock's episode (ADR 0015): its reminders, the latest's time, the roles it has
reached and its level's rank; the ids it is also known by (alert_aliases); a delivery for each change of an alert.
The rows of one case and clock are merged, episode by episode (an episode ends at a resolution that is not a
warning superseded by its breach): the first row's id is kept, the others become its aliases, their deliveries stay
as they were sent. A downgrade keeps the merged rows (their reminders are lost with the column).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = 'a7e3c5d91f42'
down_revision = '7c4e2a9f6b13'
branch_labels = None
depends_on = None

RANK = {"warning": 1, "review": 2, "breach": 3, "escalation": 4}
ROLES = ("hro", "team_leader", "director")
SUPERSEDED = "overdue: the breach's alert replaces this warning"  # what a breach once did to its clock's warnings


def upgrade() -> None:
    op.add_column('alerts', sa.Column('reminders', sa.Integer(), server_default=sa.text('1'), nullable=False))
    op.add_column('alerts', sa.Column('latest_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('alerts', sa.Column('recipients', sa.String(length=48), server_default='', nullable=False))
    op.add_column('alerts', sa.Column('rank', sa.SmallInteger(), server_default=sa.text('0'), nullable=False))
    op.create_table('alert_aliases',
    sa.Column('alias', sa.String(length=64), nullable=False),
    sa.Column('alert_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('alias')
    )
    op.create_index(op.f('ix_alert_aliases_alert_id'), 'alert_aliases', ['alert_id'], unique=False)
    op.add_column('alert_dispatch', sa.Column('reminders', sa.Integer(), server_default=sa.text('1'), nullable=False))
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminders', sa.Integer(), server_default=sa.text('1'), nullable=False))
        batch_op.drop_constraint('uq_alert_deliveries_recipient', type_='unique')
        batch_op.create_unique_constraint('uq_alert_deliveries_recipient',
                                          ['alert_id', 'reminders', 'username', 'channel'])
    _consolidate(op.get_bind())
    op.drop_index('ix_alerts_inbox', table_name='alerts')
    op.create_index('ix_alerts_worklist', 'alerts', ['office', 'resolved_at', 'acknowledged_at', 'rank', 'due_at'])
    op.create_index('ix_alerts_open', 'alerts', ['resolved_at', 'acknowledged_at', 'rank', 'due_at'])
    op.create_index('ix_alerts_assignee', 'alerts', ['assignee', 'resolved_at', 'acknowledged_at'])
    op.create_index('ix_alerts_clock', 'alerts', ['case_id', 'kind', 'resolved_at'])


def downgrade() -> None:
    for name in ('ix_alerts_clock', 'ix_alerts_assignee', 'ix_alerts_open', 'ix_alerts_worklist'):
        op.drop_index(name, table_name='alerts')
    op.create_index('ix_alerts_inbox', 'alerts', ['recipient_role', 'office', 'resolved_at', 'acknowledged_at'])
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.drop_constraint('uq_alert_deliveries_recipient', type_='unique')
        batch_op.drop_column('reminders')
        batch_op.create_unique_constraint('uq_alert_deliveries_recipient', ['alert_id', 'username', 'channel'])
    with op.batch_alter_table('alert_dispatch', schema=None) as batch_op:
        batch_op.drop_column('reminders')
    op.drop_index(op.f('ix_alert_aliases_alert_id'), table_name='alert_aliases')
    op.drop_table('alert_aliases')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        for name in ('rank', 'recipients', 'latest_at', 'reminders'):
            batch_op.drop_column(name)


_alerts = sa.table('alerts', *(sa.column(n) for n in (
    'alert_id', 'case_id', 'kind', 'level', 'recipient_role', 'assignee', 'period', 'due_at', 'opened_at', 'message',
    'acknowledged_by', 'acknowledged_at', 'resolved_at', 'resolution', 'reminders', 'latest_at', 'recipients',
    'rank')))
_aliases = sa.table('alert_aliases', sa.column('alias'), sa.column('alert_id'))
_dispatch = sa.table('alert_dispatch', sa.column('alert_id'), sa.column('planned_at'), sa.column('reminders'))


def _consolidate(conn: sa.Connection) -> None:
    """Every row as an alert of one event, then each run of rows of one clock's episode merged into its first."""
    # A new database has nothing to merge: asked of the primary key's index, not by reading the table.
    if conn.execute(sa.select(_alerts.c.alert_id).where(_alerts.c.alert_id >= '').limit(1)).first() is None:
        return
    conn.execute(_alerts.update().values(
        latest_at=_alerts.c.opened_at, recipients=_alerts.c.recipient_role,
        rank=sa.case(*((_alerts.c.level == level, rank) for level, rank in RANK.items()), else_=0)))
    planned = {r.alert_id: r.planned_at for r in conn.execute(sa.select(_dispatch))}
    rows = conn.execute(sa.select(_alerts).order_by(_alerts.c.case_id, _alerts.c.kind, _alerts.c.opened_at,
                                                     _alerts.c.alert_id)).mappings()
    clock: tuple[str, str] | None = None
    episode: list[dict[str, Any]] = []
    for row in rows.all():
        if (row['case_id'], row['kind']) != clock or _ended_before(episode, row['opened_at']):
            _merge(conn, episode, planned)
            clock, episode = (row['case_id'], row['kind']), []
        episode.append(dict(row))
    _merge(conn, episode, planned)


def _ended_before(episode: Sequence[dict[str, Any]], t: Any) -> bool:
    return any(r['resolved_at'] is not None and r['resolution'] != SUPERSEDED and r['resolved_at'] <= t
               for r in episode)


def _merge(conn: sa.Connection, episode: Sequence[dict[str, Any]], planned: dict[str, Any]) -> None:
    if len(episode) < 2:
        return
    first, last = episode[0], episode[-1]
    top = max(RANK.get(r['level'], 0) for r in episode)
    highest = [r for r in episode if RANK.get(r['level'], 0) == top][-1]
    overdue = next((r for r in episode if RANK.get(r['level'], 0) >= RANK['breach']), first)
    still_open = any(r['resolved_at'] is None and r['acknowledged_at'] is None for r in episode)
    resolved = [r for r in episode if r['resolved_at'] is not None and r['resolution'] != SUPERSEDED]
    acked = [r for r in episode if r['acknowledged_at'] is not None]
    done = resolved[-1] if resolved and not still_open else None
    taken = acked[-1] if acked and not still_open else None
    reached = {r['recipient_role'] for r in episode}
    conn.execute(_alerts.update().where(_alerts.c.alert_id == first['alert_id']).values(
        level=highest['level'], recipient_role=highest['recipient_role'], rank=top, message=highest['message'],
        recipients=' '.join(role for role in ROLES if role in reached), reminders=len(episode),
        latest_at=last['opened_at'], period=max(r['period'] for r in episode), due_at=overdue['due_at'],
        assignee=last['assignee'], acknowledged_by=taken['acknowledged_by'] if taken else None,
        acknowledged_at=taken['acknowledged_at'] if taken else None,
        resolved_at=done['resolved_at'] if done else None, resolution=done['resolution'] if done else ''))
    others = [r['alert_id'] for r in episode[1:]]
    conn.execute(_alerts.delete().where(_alerts.c.alert_id.in_(others)))
    conn.execute(_aliases.insert(), [{'alias': a, 'alert_id': first['alert_id']} for a in others])
    # Delivered as they were: the merged alert is planned up to what it holds, so nothing is sent again.
    when = [planned[r['alert_id']] for r in episode if r['alert_id'] in planned]
    if first['alert_id'] in planned:
        conn.execute(_dispatch.update().where(_dispatch.c.alert_id == first['alert_id'])
                     .values(reminders=len(episode)))
    elif when:
        conn.execute(_dispatch.insert().values(alert_id=first['alert_id'], planned_at=when[0],
                                               reminders=len(episode)))
