"""A page of the alerts meant for one person (the API's "my alerts"), with the total for paging."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from services.casework.adapters.repository import _alert
from services.casework.adapters.tables import alerts
from services.casework.domain.alerts import Alert
from services.casework.domain.roles import User


def inbox_page(conn: Connection, user: User, *, open_only: bool, limit: int, offset: int) -> tuple[int, list[Alert]]:
    """By role; by office except for Directors; HROs get only the alerts about cases assigned to them."""
    where = [alerts.c.recipient_role == user.role]
    if user.role == "hro":
        where.append(alerts.c.assignee == user.username)
    elif user.role != "director":
        where.append(alerts.c.office == user.office)
    if open_only:
        where += [alerts.c.resolved_at.is_(None), alerts.c.acknowledged_at.is_(None)]
    total = int(conn.scalar(select(func.count()).select_from(alerts).where(*where)) or 0)
    rows = conn.execute(select(alerts).where(*where).order_by(alerts.c.due_at, alerts.c.alert_id)
                        .limit(limit).offset(offset)).mappings()
    return total, [_alert(r) for r in rows]
