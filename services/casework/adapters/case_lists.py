"""The lists of cases, read from the case read model in SQL: filtered, most urgent first, a page and its total."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, bindparam, case, func, select

from services.casework.adapters import state
from services.casework.adapters.summaries import FAR, TIMES
from services.casework.adapters.tables import When as WhenType
from services.casework.adapters.tables import case_counts, case_summaries, cases
from services.messaging.times import as_utc

s = case_summaries.c


def sla_state_sql(now: datetime) -> ColumnElement[str]:
    """A case's SLA state at `now`, on its next deadline: the one SQL form of services/casework/domain/schedules.py
    `sla_state` (overdue from the due instant on, paused until the pause ends, due soon from warn_at, none without a
    running clock), so that a filter and a column say what the case page says."""
    at = bindparam("sla_now", as_utc(now), type_=WhenType)
    return case(
        (s.next_due_at.is_(None), "none"),
        (at >= s.next_due_at, "overdue"),
        (and_(s.next_paused_until.is_not(None), at < s.next_paused_until), "paused"),
        (at >= s.next_warn_at, "due_soon"),
        else_="on_track",
    )


def _urgency_range(state: str, now: datetime) -> ColumnElement[bool]:
    """What a state implies of urgency_at, so that the index in "most urgent first" order narrows the rows read:
    overdue ones are due by now, the others later (and those without a clock at the far end)."""
    at = bindparam("range_now", as_utc(now), type_=WhenType)
    if state == "overdue":
        return s.urgency_at <= at
    if state == "none":
        return s.urgency_at == bindparam("far", FAR, type_=WhenType)
    return s.urgency_at > at


@dataclass(frozen=True)
class Filters:
    office: str | None = None
    stage: str | None = None
    assignee: str | None = None
    sla_state: str | None = None


def _filtered(query: Select[Any], f: Filters, now: datetime) -> Select[Any]:
    for column, value in ((s.office, f.office), (s.stage, f.stage), (s.assignee, f.assignee)):
        if value is not None:
            query = query.where(column == value)
    if f.sla_state is not None:
        query = query.where(_urgency_range(f.sla_state, now), sla_state_sql(now) == f.sla_state)
    return query


def rows(found: Any) -> list[dict[str, Any]]:
    """Rows as dicts, their times in UTC (SQLite gives them back without an offset)."""
    out = []
    for row in found.mappings():
        item = dict(row)
        for name in TIMES:
            if name in item:
                item[name] = as_utc(item[name])
        out.append(item)
    return out


def case_page(conn: Connection, f: Filters, now: datetime, limit: int, offset: int
              ) -> tuple[list[dict[str, Any]], int]:
    """A page of the cases matching the filters, most urgent first (soonest next deadline; none last), and how many
    match in all."""
    return rows(conn.execute(page_query(f, now, limit, offset))), total(conn, f, now)


def total(conn: Connection, f: Filters, now: datetime) -> int:
    """How many cases match: under an office, a stage or neither, the sum of the counts kept by office and stage;
    under an assignee or an SLA state (which changes with the clock), a COUNT of the rows."""
    if f.assignee is None and f.sla_state is None:
        kept = select(func.coalesce(func.sum(case_counts.c.cases), 0))
        for column, value in ((case_counts.c.office, f.office), (case_counts.c.stage, f.stage)):
            if value is not None:
                kept = kept.where(column == value)
        return int(conn.scalar(kept) or 0)
    return int(conn.scalar(_filtered(select(func.count()).select_from(case_summaries), f, now)) or 0)


def page_query(f: Filters, now: datetime, limit: int, offset: int) -> Select[Any]:
    """The page's rows by a deferred join: the skipped rows are read in the index alone (their references), and
    only the page's own rows are then fetched whole; an OFFSET over whole rows reads every skipped row from the
    table (7 s for the middle of a million cases on PostgreSQL, against 0.2 s in the index)."""
    page = (_filtered(select(s.urgency_at, s.reference), f, now)
            .order_by(s.urgency_at, s.reference).limit(limit).offset(offset).subquery("page"))
    return (select(*case_summaries.columns, sla_state_sql(now).label("sla_state"))
            .join_from(page, case_summaries, s.reference == page.c.reference)
            .order_by(page.c.urgency_at, page.c.reference))


def closure_query(office: str | None, now: datetime, limit: int, offset: int) -> Select[Any]:
    f = Filters(office=office, stage="closure_requested")
    return (_filtered(select(*case_summaries.columns, sla_state_sql(now).label("sla_state")), f, now)
            .order_by(s.closure_requested_at, s.reference).limit(limit).offset(offset))


def closure_queue(conn: Connection, office: str | None, now: datetime, limit: int, offset: int
                  ) -> tuple[list[dict[str, Any]], int]:
    """A page of the cases awaiting a closure decision (of one office, or all), the oldest request first."""
    f = Filters(office=office, stage="closure_requested")
    return rows(conn.execute(closure_query(office, now, limit, offset))), total(conn, f, now)


def closures_of(conn: Connection, case_ids: list[str]) -> dict[str, dict[str, Any] | None]:
    """The closure requests of a page's cases (proposer, reason, note), from their state: the read model keeps only
    when each was asked."""
    if not case_ids:
        return {}
    found = conn.scalars(select(cases.c.state).where(cases.c.case_id.in_(case_ids)))
    loaded = [state.loads(text) for text in found]
    return {c.case_id: c.closure for c in loaded}
