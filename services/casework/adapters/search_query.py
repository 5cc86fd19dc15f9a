"""Searching cases (ADR 0021, bounded by ADR 0026): words matched by each database's full text search, facets as
filters on the read model; the total counted up to a bound, the facets counted over the first results only, and words
matching more cases than the bound ranked among the first matches found, so that no search reads every match."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Join,
    Result,
    Select,
    and_,
    column,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.ext.compiler import compiles

from services.casework.adapters.case_lists import sla_state_sql
from services.casework.adapters.search_index import office_token
from services.casework.adapters.tables import case_search, case_summaries, case_violations
from services.casework.domain.search import query_words, ranks_among, stems
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


def _match(conn: Connection, words: list[str],
           office: str | None) -> tuple[Any, ColumnElement[bool], ColumnElement[float]]:
    """The index to join (SQLite's FTS5 table), the documents matching every word (any of its stems) and of the office
    when one is given, intersected in the text index, and their rank: higher is better."""
    if conn.dialect.name == "postgresql":
        phrase = " ".join(words)
        french = func.plainto_tsquery(literal_column("'french'::regconfig"), func.public.hrcase_unaccent(phrase))
        english = func.plainto_tsquery(literal_column("'english'::regconfig"), func.public.hrcase_unaccent(phrase))
        fr: ColumnElement[Any] = literal_column("case_search.french")
        en: ColumnElement[Any] = literal_column("case_search.english")
        # The office in each arm of the OR: each is then one scan of a GIN index on (office, tsvector)
        within = [case_search.c.office == office] if office is not None else []
        matched = or_(and_(*within, fr.op("@@")(french)), and_(*within, en.op("@@")(english)))
        rank = func.ts_rank_cd(fr, french) + func.ts_rank_cd(en, english)
        return None, matched, rank
    # FTS5: each word as the OR of its stems, the words ANDed; stems are letters and digits, quoted all the same. The
    # words are looked for in the stems only (an office's token is no word), the office in its own column.
    expression = "stems : (" + " AND ".join("(" + " OR ".join(f'"{s}"' for s in sorted(stems(w))) + ")"
                                           for w in words) + ")"
    if office is not None:
        expression = f'office : "{office_token(office)}" AND {expression}'
    return _FTS_TABLE, _FTS.op("MATCH")(expression), -func.bm25(_FTS)  # bm25: lower is better


class _IndexFirst(Join):
    """SQLite: a join read in the order written (CROSS JOIN, SQLite's way of fixing the order), so that a search walks
    the full-text index's matches and looks each case up, rather than walking a filter's index (an office, a stage)
    and asking the full-text index about every case of it, which costs a lookup of the words per case."""

    inherit_cache = True


@compiles(_IndexFirst, "sqlite")
def _cross(join: _IndexFirst, compiler: Any, **kw: Any) -> str:
    kw["asfrom"] = True
    return (f"{compiler.process(join.left, **kw)} CROSS JOIN {compiler.process(join.right, **kw)} "
            f"ON {compiler.process(join.onclause, **{k: v for k, v in kw.items() if k != 'asfrom'})}")


def _base(conn: Connection, f: Filters, now: datetime, *columns: Any) -> tuple[Select[Any], ColumnElement[float]]:
    """The matching cases, and their rank (higher is better; 0 without words)."""
    rank: ColumnElement[float] = literal_column("0")
    words = query_words(f.q or "")
    if not words:
        return select(*columns).select_from(case_summaries).where(*_conditions(f, now)), rank
    index, matched, rank = _match(conn, words, f.office)
    if index is None:  # PostgreSQL
        source: Any = case_summaries.join(case_search, case_search.c.case_id == S.case_id)
    else:  # SQLite: the FTS5 table first, flat in the FROM list (MATCH refuses a nested join)
        source = _IndexFirst(_IndexFirst(index, case_search, index.c.rowid == case_search.c.doc), case_summaries,
                             case_summaries.c.case_id == case_search.c.case_id)
    return select(*columns).select_from(source).where(matched, *_conditions(f, now)), rank


@dataclass(frozen=True)
class Bounds:
    """How much of the matches one search reads (ADR 0026): each bound stated with the results, never hidden."""

    window: int = 1000  # facets over the first `window` results; words matching more than exact_up_to: ranked among
    exact_up_to: int = 10_000  # the first `window` matches found. Matches counted exactly up to this, then "more than"


ORDERS = ("best_match", "most_urgent")


@dataclass(frozen=True)
class Found:
    """A page of results, and what the search says of all of them."""

    rows: list[dict[str, Any]]
    total: int  # exact, or when not `total_is_exact` the bound: more than `total` cases match
    total_is_exact: bool
    order: str  # one of ORDERS
    ranked_over: int | None  # None: every match in `order`; else the results are the first `ranked_over` found
    facets: dict[str, dict[str, int]]
    facets_over: int  # the counts cover the first `facets_over` results in `order` (all of them when == total)


def _order_by(order: str, rank: ColumnElement[float]) -> list[Any]:
    return [rank.desc(), S.urgency_at, S.reference] if order == "best_match" else [S.urgency_at, S.reference]


def _bounded_plans(conn: Connection) -> None:
    """PostgreSQL: no merge joins for the rest of this (read) transaction. Under a LIMIT the planner likes to walk
    both tables' keys in step, testing the words on every document (reading each one's tsvectors), where the text
    index's matches looked up one by one stop at the bound: at 100,000 cases 2 s against 0.4 s for 9,117 matches."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL enable_mergejoin = off"))


def count_up_to(conn: Connection, f: Filters, now: datetime, bound: int) -> int:
    """How many cases match, counting no further than bound + 1 (so that more than `bound` is known, cheaply)."""
    _bounded_plans(conn)
    words = query_words(f.q or "")
    if words and replace(f, q=None, office=None) == Filters():  # words and an office at most: the text index alone
        index, matched, _ = _match(conn, words, f.office)
        query: Select[Any] = select(literal_column("1").label("one")).select_from(
            case_search if index is None else index).where(matched)
    else:
        query, _ = _base(conn, f, now, literal_column("1").label("one"))
    return int(conn.scalar(select(func.count()).select_from(query.limit(bound + 1).subquery())) or 0)


def _facet_columns(now: datetime) -> list[Any]:
    """What the window's facets count, by case: its order is the query's (a thousand urgencies read as datetimes only
    to be thrown away were a fifth of a search without words)."""
    return [S.case_id, S.office, S.stage, sla_state_sql(now).label("sla_state"), S.perpetrator, S.region_pcode,
            S.violations]


def search(conn: Connection, f: Filters, now: datetime, limit: int, skip: int, bounds: Bounds = Bounds()) -> Found:
    """A page of matching cases in the search's order, the total (exact up to the bound), and the facet counts of the
    first `bounds.window` results."""
    counted = count_up_to(conn, f, now, bounds.exact_up_to)
    exact = counted <= bounds.exact_up_to
    worded = bool(query_words(f.q or ""))
    order = "best_match" if worded else "most_urgent"
    if exact or not worded:
        query, rank = _base(conn, f, now, *_facet_columns(now))
        window = _dicts(conn.execute(query.order_by(*_order_by(order, rank)).limit(bounds.window)))
        ranked_over = None
    else:  # too many to rank: the best of the first `window` matches found, the index's newest documents first
        window = _first_found(conn, f, now, bounds.window)
        ranked_over = len(window)
    if skip + limit <= len(window) or len(window) < bounds.window or ranked_over is not None:
        rows = _by_ids(conn, f, now, [r["case_id"] for r in window[skip:skip + limit]])
    else:  # past the window (never for results ranked among the first found: there are no others)
        rows = _rows(conn, f, now, order, limit, skip)
    return Found(rows, min(counted, bounds.exact_up_to), exact, order, ranked_over, _counts(window), len(window))


def _first_found(conn: Connection, f: Filters, now: datetime, many: int) -> list[dict[str, Any]]:
    """The first `many` matches in the index's order (its latest documents first: a walk of the index that stops),
    then ranked among themselves, best first."""
    words = query_words(f.q or "")
    index, _, rank = _match(conn, words, f.office)
    if index is None:  # PostgreSQL: ts_rank_cd reads only the document it ranks
        query, _ = _base(conn, f, now, *_facet_columns(now), S.urgency_at, S.reference, rank.label("rank"))
    else:  # SQLite: bm25() would first walk every document holding each stem; rank the window's stems instead
        query, _ = _base(conn, f, now, *_facet_columns(now), S.urgency_at, S.reference,
                         literal_column("case_search_fts.stems").label("stems"))
    found = _dicts(conn.execute(query.order_by(_document(conn).desc()).limit(many)))
    if index is not None:
        for row, ranked in zip(found, ranks_among([r.pop("stems") for r in found], words), strict=True):
            row["rank"] = ranked
    return sorted(found, key=lambda r: (-float(r["rank"]), r["urgency_at"], r["reference"]))


def _dicts(result: Result[Any]) -> list[dict[str, Any]]:
    """Rows as dicts, their keys read once (a RowMapping reads them per row: a tenth of a window's cost)."""
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


def _document(conn: Connection) -> ColumnElement[int]:
    """The index's order: SQLite's FTS5 rowid (which it walks either way without sorting), PostgreSQL's doc."""
    return _FTS_TABLE.c.rowid if conn.dialect.name == "sqlite" else case_search.c.doc

def _counts(window: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """For each facet, how many of these results have each value (a case counts once per violation)."""
    columns = {"office": "office", "stage": "stage", "sla_state": "sla_state", "perpetrator": "perpetrator",
               "region": "region_pcode"}
    out = {name: dict(Counter(row[column] for row in window if row[column] is not None))
           for name, column in columns.items()}
    out["violation"] = dict(Counter(v for row in window for v in (row["violations"] or "").split()))
    return {name: out[name] for name in FACETS}


def _columns(f: Filters, now: datetime) -> list[Any]:
    texts = (case_search.c.summary.label("doc_summary"), case_search.c.place.label("doc_place"),
             case_search.c.notes.label("doc_notes"))
    return [*case_summaries.c, sla_state_sql(now).label("sla_state"), *(texts if query_words(f.q or "") else ())]


def _by_ids(conn: Connection, f: Filters, now: datetime, ids: list[str]) -> list[dict[str, Any]]:
    """The results' rows, in the order of `ids` (the window's)."""
    if not ids:
        return []
    source = case_summaries.join(case_search, case_search.c.case_id == S.case_id, isouter=True)
    found = {r["case_id"]: dict(r) for r in conn.execute(select(*_columns(f, now)).select_from(source)
                                                         .where(S.case_id.in_(ids))).mappings()}
    return [found[i] for i in ids if i in found]


def _rows(conn: Connection, f: Filters, now: datetime, order: str, limit: int, skip: int) -> list[dict[str, Any]]:
    query, rank = _base(conn, f, now, *_columns(f, now))
    return [dict(r) for r in conn.execute(query.order_by(*_order_by(order, rank)).limit(limit).offset(skip))
            .mappings()]


def export_order(conn: Connection, f: Filters, now: datetime, bounds: Bounds = Bounds()) -> str:
    """The export's order: the search's, but for words matching more than the bound, which it gives in the index's
    order (unranked: ranking every match is what the bound avoids)."""
    if not query_words(f.q or ""):
        return "most_urgent"
    return "best_match" if count_up_to(conn, f, now, bounds.exact_up_to) <= bounds.exact_up_to else "index"


def everything(conn: Connection, f: Filters, now: datetime, order: str, chunk: int = 1000) -> Any:
    """Every matching case in `order` (of `export_order`), a chunk at a time (for the export: complete, never
    bounded). Ranked results are within the bound; the other orders go on from the last row (keyset), so that a chunk
    deep in a large export costs what the first does."""
    skip, after = 0, None
    while True:
        if order == "best_match":
            rows = _rows(conn, f, now, order, chunk, skip)
        else:
            document = _document(conn)
            query, _ = _base(conn, f, now, *_columns(f, now), *((document.label("doc_order"),)
                                                                if order == "index" else ()))
            if after is not None:
                query = query.where(document < after["doc_order"] if order == "index" else or_(
                    S.urgency_at > after["urgency_at"],
                    and_(S.urgency_at == after["urgency_at"], S.reference > after["reference"])))
            ordering = [document.desc()] if order == "index" else _order_by(order, literal_column("0"))
            rows = [dict(r) for r in conn.execute(query.order_by(*ordering).limit(chunk)).mappings()]
        yield from rows
        if len(rows) < chunk:
            return
        skip, after = skip + chunk, rows[-1]
