"""The alerts that have reached one person: a page of them (the API's "my alerts"), the worklist of their cases
ranked by urgency (the alert page), and the count the menu shows, each with one indexed query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select

from services.casework.adapters.repository import _alert
from services.casework.adapters.tables import alerts
from services.casework.domain.alerts import Alert
from services.casework.domain.roles import User
from services.messaging.times import utc


@dataclass(frozen=True)
class WorkItem:
    """One case that needs action: its clocks' alerts folded, at the highest of their levels."""

    case_id: str
    reference: str
    office: str
    level: str
    due_at: datetime  # the earliest of its alerts' (how long overdue it is ranks it within its level)
    alerts: list[Alert]


def _reached(user: User, open_only: bool) -> list[ColumnElement[bool]]:
    """What every role it reached sees: HROs the alerts of their own cases, Team Leaders their office's, Directors
    every office's (the office or the assignee first, so the worklist's indexes narrow it)."""
    where: list[ColumnElement[bool]] = []
    if user.role == "hro":
        where.append(alerts.c.assignee == user.username)
    elif user.role != "director":
        where.append(alerts.c.office == user.office)
    if open_only:
        where += [alerts.c.resolved_at.is_(None), alerts.c.acknowledged_at.is_(None)]
    return [*where, alerts.c.recipients.contains(user.role)]


def inbox_page(conn: Connection, user: User, *, open_only: bool, limit: int, offset: int) -> tuple[int, list[Alert]]:
    """One alert per case and clock, the most urgent first: by level, then the longest overdue."""
    where = _reached(user, open_only)
    total = int(conn.scalar(select(func.count()).select_from(alerts).where(*where)) or 0)
    rows = conn.execute(select(alerts).where(*where).order_by(alerts.c.rank.desc(), alerts.c.due_at, alerts.c.alert_id)
                        .limit(limit).offset(offset)).mappings()
    return total, [_alert(r) for r in rows]


def worklist_page(conn: Connection, user: User, *, open_only: bool, limit: int,
                  offset: int) -> tuple[int, list[WorkItem]]:
    """One line per case, ranked by the highest level of its alerts, then by the earliest due: a page of them, and
    how many cases there are in all."""
    where = _reached(user, open_only)
    total = int(conn.scalar(select(func.count(alerts.c.case_id.distinct())).where(*where)) or 0)
    rank, due = func.max(alerts.c.rank).label("rank"), func.min(alerts.c.due_at).label("due")
    lines = conn.execute(select(alerts.c.case_id, rank, due).where(*where).group_by(alerts.c.case_id)
                         .order_by(rank.desc(), due, alerts.c.case_id).limit(limit).offset(offset)).all()
    if not lines:
        return total, []
    held: dict[str, list[Alert]] = {}
    rows = conn.execute(select(alerts).where(*where, alerts.c.case_id.in_([line.case_id for line in lines]))
                        .order_by(alerts.c.rank.desc(), alerts.c.due_at, alerts.c.alert_id)).mappings()
    for row in rows:
        held.setdefault(row["case_id"], []).append(_alert(row))
    return total, [_item(held[line.case_id], line.due) for line in lines]


def _item(folded: list[Alert], due: Any) -> WorkItem:
    first = folded[0]  # the most urgent: the rows come by level, then due
    return WorkItem(first.case_id, first.reference, first.office, first.level,
                    utc(due if isinstance(due, datetime) else datetime.fromisoformat(due)), folded)


MENU_BOUND = 999  # the menu counts cases to here, then says "999+": on every page, it must not grow with an office


def cases_needing_action(conn: Connection, user: User, bound: int = MENU_BOUND) -> int:
    """The menu's count: the cases with an open alert that has reached this person, counted up to `bound` + 1 (more
    means "more than `bound`"): the index is walked no further than that, however many cases an office has."""
    reached = select(alerts.c.case_id).where(*_reached(user, True)).distinct().limit(bound + 1).subquery()
    return int(conn.scalar(select(func.count()).select_from(reached)) or 0)
