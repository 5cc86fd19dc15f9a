"""The alerts that have reached one person: a page of them (the API's "my alerts"), the worklist of their cases
ranked by urgency (the alert page), and the count the menu shows, each with one indexed query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select

from services.casework.adapters.repository import _alert
from services.casework.adapters.tables import alerts
from services.casework.domain.alerts import RANK, Alert
from services.casework.domain.roles import User


@dataclass(frozen=True)
class WorkItem:
    """One case that needs action: its clocks' alerts folded, at the highest of their levels."""

    case_id: str
    reference: str
    office: str
    level: str
    due_at: datetime  # its most urgent alert's (how long overdue it is ranks it within its level)
    alerts: list[Alert]


def _reached(user: User, open_only: bool, by_index: bool = True) -> list[ColumnElement[bool]]:
    """What every role it reached sees: HROs the alerts of their own cases, Team Leaders their office's, Directors
    every office's (the office or the assignee first, so the worklist's indexes narrow it). `by_index` False says the
    same in expressions no index serves, for reading the alerts of a few known cases by their case index (SQLite's
    planner, without statistics, would otherwise walk the office's whole index for them)."""
    def plain(column: Any) -> Any:
        return column if by_index else column.concat("")

    where: list[ColumnElement[bool]] = []
    if user.role == "hro":
        where.append(plain(alerts.c.assignee) == user.username)
    elif user.role != "director":
        where.append(plain(alerts.c.office) == user.office)
    if open_only:
        where += ([alerts.c.resolved_at.is_(None), alerts.c.acknowledged_at.is_(None)] if by_index else
                  [func.coalesce(alerts.c.resolved_at, alerts.c.acknowledged_at).is_(None)])
    return [*where, alerts.c.recipients.contains(user.role)]


def inbox_page(conn: Connection, user: User, *, open_only: bool, limit: int, offset: int) -> tuple[int, list[Alert]]:
    """One alert per case and clock, the most urgent first: by level, then the longest overdue."""
    where = _reached(user, open_only)
    total = int(conn.scalar(select(func.count()).select_from(alerts).where(*where)) or 0)
    rows = conn.execute(select(alerts).where(*where).order_by(alerts.c.rank.desc(), alerts.c.due_at, alerts.c.alert_id)
                        .limit(limit).offset(offset)).mappings()
    return total, [_alert(r) for r in rows]


MENU_BOUND = 999  # the menu counts cases to here, then says "999+": on every page, it must not grow with an office
WORKLIST_BOUND = MENU_BOUND  # cases the worklist counts exactly; past it "more than" (as the menu, so that its first
# pages' count is the menu's: Worklist.needing_action)


@dataclass(frozen=True)
class Worklist:
    total: int  # the cases counted: exact, or the bound when there are more (`exact` False)
    exact: bool
    items: list[WorkItem]
    needing_action: int | None = None  # what cases_needing_action gives, when this page counted the same (the menu's)


def worklist_page(conn: Connection, user: User, *, open_only: bool, limit: int, offset: int,
                  bound: int = WORKLIST_BOUND) -> Worklist:
    """One line per case, ranked by its most urgent alert (the highest level, then the longest overdue): a page of
    them, and how many cases there are, counted up to the bound (or the page's end, if further). The alerts are
    walked in that order and each case taken where it first appears, so a page reads what it shows and the rows
    before it, never every alert of an office."""
    where = _reached(user, open_only)
    cap = max(bound, offset + limit)
    reached = select(alerts.c.case_id).where(*where).distinct().limit(cap + 1).subquery()
    counted = int(conn.scalar(select(func.count()).select_from(reached)) or 0)
    wanted = offset + limit
    cases: dict[str, None] = {}  # in order of first appearance
    # Level by level, most urgent first: within a level the index gives the alerts by due (one sorted over every
    # level would sort the whole of the largest, tens of thousands of breaches in an office at a million cases).
    for rank in sorted(set(RANK.values()), reverse=True):
        ordered = (select(alerts.c.case_id).where(*where, alerts.c.rank == rank)
                   .order_by(alerts.c.due_at, alerts.c.alert_id))
        chunk, start = 2 * wanted, 0
        while len(cases) < wanted:
            rows = list(conn.scalars(ordered.limit(chunk).offset(start)))
            cases.update(dict.fromkeys(rows))
            if len(rows) < chunk:
                break
            start += chunk
        if len(cases) >= wanted:
            break
    page = list(cases)[offset:wanted]
    total = min(counted, cap)
    # Open alerts counted to the menu's bound are the menu's count: a page can show it without counting again.
    menu = counted if open_only and cap == MENU_BOUND else None
    if not page:
        return Worklist(total, counted <= cap, [], menu)
    held: dict[str, list[Alert]] = {}
    found = conn.execute(select(alerts).where(alerts.c.case_id.in_(page), *_reached(user, open_only, by_index=False))
                         .order_by(alerts.c.rank.desc(), alerts.c.due_at, alerts.c.alert_id)).mappings()
    for row in found:
        held.setdefault(row["case_id"], []).append(_alert(row))
    return Worklist(total, counted <= cap, [_item(held[case_id]) for case_id in page], menu)


def _item(folded: list[Alert]) -> WorkItem:
    first = folded[0]  # the most urgent: the rows come by level, then due
    return WorkItem(first.case_id, first.reference, first.office, first.level, first.due_at, folded)


def cases_needing_action(conn: Connection, user: User, bound: int = MENU_BOUND) -> int:
    """The menu's count: the cases with an open alert that has reached this person, counted up to `bound` + 1 (more
    means "more than `bound`"): the index is walked no further than that, however many cases an office has."""
    reached = select(alerts.c.case_id).where(*_reached(user, True)).distinct().limit(bound + 1).subquery()
    return int(conn.scalar(select(func.count()).select_from(reached)) or 0)
