"""Searching cases (ADR 0021): words ranked by each database's full text search, facets as filters on the read model,
and the counts of each facet for the current query, as GROUP BY queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    column,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
)

from services.casework.adapters.case_lists import sla_state_sql
from services.casework.adapters.tables import case_search, case_summaries, case_violations
from services.casework.domain.search import query_words, stems
from services.casework.domain.summaries import FLAGS

S = case_summaries.c
FACETS = ("office", "stage", "sla_state", "violation", "perpetrator", "region")
_FTS: ColumnElement[Any] = literal_column("case_search_fts")
_FTS_TABLE = table("case_search_fts", column("rowid"))


@dataclass(frozen=True)
class Filters:
    """What a search asks: words, and facets each narrowing it (None: any)."""

    q: str | None = None
    office: str | None = None  # the caller's read scope, or the office they chose within it
    stage: str | None = None
    sla_state: str | None = None
    violation: str | None = None
    perpetrator: str | None = None
    place_pcode: str | None = None
    region_pcode: str | None = None
    reported_from: date | None = None
    reported_to: date | None = None  # inclusive: the whole day
    occurred_from: date | None = None
    occurred_to: date | None = None
    assignee: str | None = None
    flags: tuple[str, ...] = ()


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _conditions(f: Filters, now: datetime) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    for field, value in ((S.office, f.office), (S.stage, f.stage), (S.perpetrator, f.perpetrator),
                          (S.place_pcode, f.place_pcode), (S.region_pcode, f.region_pcode), (S.assignee, f.assignee)):
        if value is not None:
            found.append(field == value)
    for when, first, last in ((S.reported_at, f.reported_from, f.reported_to),
                              (S.occurred_at, f.occurred_from, f.occurred_to)):
        if first is not None:
            found.append(when >= _start(first))
        if last is not None:
            found.append(when < _start(last + timedelta(days=1)))
    if f.violation is not None:
        wanted = case_violations.alias("wanted")  # apart from the violation facet's own join
        found.append(exists().where(wanted.c.case_id == S.case_id, wanted.c.violation == f.violation)
                     .correlate(case_summaries))
    if f.sla_state is not None:
        found.append(sla_state_sql(now) == f.sla_state)
    found.extend(S[flag].is_(True) for flag in f.flags if flag in FLAGS)
    return found


def _match(conn: Connection, words: list[str]) -> tuple[Any, ColumnElement[bool], ColumnElement[float]]:
    """The index to join (SQLite's FTS5 table), the documents matching every word (any of its stems), and their rank:
    higher is better."""
    if conn.dialect.name == "postgresql":
        phrase = " ".join(words)
        french = func.plainto_tsquery(literal_column("'french'::regconfig"), func.public.hrcase_unaccent(phrase))
        english = func.plainto_tsquery(literal_column("'english'::regconfig"), func.public.hrcase_unaccent(phrase))
        fr: ColumnElement[Any] = literal_column("case_search.french")
        en: ColumnElement[Any] = literal_column("case_search.english")
        matched = or_(fr.op("@@")(french), en.op("@@")(english))
        rank = func.ts_rank_cd(fr, french) + func.ts_rank_cd(en, english)
        return None, matched, rank
    # FTS5: each word as the OR of its stems, the words ANDed; stems are letters and digits, quoted all the same.
    expression = " AND ".join("(" + " OR ".join(f'"{s}"' for s in sorted(stems(w))) + ")" for w in words)
    return _FTS_TABLE, _FTS.op("MATCH")(expression), -func.bm25(_FTS)  # bm25: lower is better


def _base(conn: Connection, f: Filters, now: datetime, *columns: Any,
          by_violation: bool = False) -> tuple[Select[Any], ColumnElement[float]]:
    """The matching cases (each once per violation, `by_violation`), and their rank."""
    source = (case_summaries.join(case_violations, case_violations.c.case_id == S.case_id) if by_violation
              else case_summaries)
    query = select(*columns).select_from(source)
    rank: ColumnElement[float] = literal_column("0")
    words = query_words(f.q or "")
    if words:
        index, matched, rank = _match(conn, words)
        query = query.join(case_search, case_search.c.case_id == S.case_id)
        if index is not None:  # SQLite: the FTS5 table, flat in the FROM list (MATCH refuses a nested join)
            query = query.join(index, index.c.rowid == case_search.c.doc)
        query = query.where(matched)
    return query.where(*_conditions(f, now)), rank


def search(conn: Connection, f: Filters, now: datetime, limit: int, skip: int) -> tuple[list[dict[str, Any]], int]:
    """A page of matching cases, best first (without words: most urgent first), and how many match in all."""
    rows = _rows(conn, f, now, limit, skip)
    counted, _ = _base(conn, f, now, func.count())
    return rows, int(conn.scalar(counted) or 0)


def _rows(conn: Connection, f: Filters, now: datetime, limit: int, skip: int) -> list[dict[str, Any]]:
    state = sla_state_sql(now).label("sla_state")
    texts = (case_search.c.summary.label("doc_summary"), case_search.c.place.label("doc_place"),
             case_search.c.notes.label("doc_notes"))
    worded = bool(query_words(f.q or ""))
    query, rank = _base(conn, f, now, *case_summaries.c, state, *(texts if worded else ()))
    order = [rank.desc(), S.urgency_at, S.reference] if worded else [S.urgency_at, S.reference]
    return [dict(r) for r in conn.execute(query.order_by(*order).limit(limit).offset(skip)).mappings()]


def facet_counts(conn: Connection, f: Filters, now: datetime) -> dict[str, dict[str, int]]:
    """For each facet, how many of the matching cases have each value (a case counts once per violation)."""
    out: dict[str, dict[str, int]] = {}
    columns: dict[str, ColumnElement[Any]] = {"office": S.office, "stage": S.stage, "sla_state": sla_state_sql(now),
                                              "perpetrator": S.perpetrator, "region": S.region_pcode,
                                              "violation": case_violations.c.violation}
    for name in FACETS:
        column = columns[name].label("value")
        query, _ = _base(conn, f, now, column, func.count().label("n"), by_violation=name == "violation")
        rows = conn.execute(query.group_by(column)).all()
        out[name] = {value: int(n) for value, n in rows if value is not None}
    return out


def everything(conn: Connection, f: Filters, now: datetime, chunk: int = 1000) -> Any:
    """Every matching case, in the order of `search`, a chunk at a time (for the export)."""
    skip = 0
    while True:
        rows = _rows(conn, f, now, chunk, skip)
        yield from rows
        if len(rows) < chunk:
            return
        skip += chunk
