"""What the pages read across cases beyond the repository's lists: incident keys and the history of every case."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from services.casework.adapters.tables import case_history, cases
from services.messaging.times import utc
from sitreps.key import sitrep_prefix

# (seq, type, occurred_at, case id, payload): one event of a case's history, as the overview folds it
HistoryEvent = tuple[int, str, datetime, str, dict[str, Any]]


def incident_keys(conn: Connection) -> set[str]:
    """The incident keys that have a case: what a situation report's preview calls already received."""
    return set(conn.scalars(select(cases.c.incident_key)))


def incident_keys_of_sitrep(conn: Connection, sitrep_id: str) -> list[str]:
    """The incident keys of one situation report (`<sitrep>#<number>`) that have a case."""
    return list(conn.scalars(select(cases.c.incident_key)
                             .where(cases.c.incident_key.startswith(sitrep_prefix(sitrep_id), autoescape=True))))


def case_ids_of_office(conn: Connection, office: str) -> list[str]:
    return list(conn.scalars(select(cases.c.case_id).where(cases.c.office == office)))


def history_of_cases(conn: Connection, office: str | None = None) -> Iterator[HistoryEvent]:
    """Every event casework holds in its cases' histories, in the order they happened here; of one office, or all."""
    query = select(case_history.c.seq, case_history.c.type, case_history.c.occurred_at, case_history.c.case_id,
                   case_history.c.payload).order_by(case_history.c.seq)
    if office is not None:
        query = query.where(case_history.c.case_id.in_(select(cases.c.case_id).where(cases.c.office == office)))
    for seq, type_, at, case_id, payload in conn.execute(query):
        yield int(seq), type_, utc(at), case_id, json.loads(payload)
