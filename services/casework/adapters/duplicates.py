"""Likely duplicates: found in the read model when cases are registered (one query a batch), listed and decided."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.casework.adapters.tables import case_summaries, duplicate_pairs
from services.casework.domain.duplicates import WINDOW, Likely, facts_of, likely, pair_id
from services.messaging.many import execute_many
from services.messaging.times import as_utc

CHUNK = 500  # new cases per query: under SQLite's bound-parameter limit
# The query's window is a day wider than the rule's: SQLite's datetime() drops the fraction of a second, and the
# domain rule decides the exact bound.
_MARGIN = WINDOW + timedelta(days=1)
_FACTS = ("case_id", "sitrep_id", "occurred_at", "place", "place_pcode", "region_pcode", "violations", "excerpt",
          "office", "registered_at")


def _candidates(conn: Connection, ids: Sequence[str]) -> Any:
    """Each new case beside every case not closed that occurred within the window in its region (or, for cases of no
    known region, of the same place name); on PostgreSQL with pg_trgm's similarity of their summaries."""
    new, old = case_summaries.alias("n"), case_summaries.alias("o")
    if conn.dialect.name == "postgresql":
        low, high = new.c.occurred_at - _MARGIN, new.c.occurred_at + _MARGIN
        score = func.public.similarity(new.c.excerpt, old.c.excerpt).label("score")
    else:
        days = f"{_MARGIN.days} days"
        low, high = func.datetime(new.c.occurred_at, f"-{days}"), func.datetime(new.c.occurred_at, f"+{days}")
        score = None
    near = or_(old.c.region_pcode == new.c.region_pcode,
               and_(new.c.region_pcode.is_(None), old.c.region_pcode.is_(None), old.c.place == new.c.place))
    columns = [*(new.c[n].label(f"n_{n}") for n in _FACTS), *(old.c[n].label(f"o_{n}") for n in _FACTS)]
    query = (select(*columns, *([score] if score is not None else []))
             .where(new.c.case_id.in_(ids), old.c.case_id != new.c.case_id, old.c.stage != "closed",
                    new.c.occurred_at.is_not(None), old.c.occurred_at >= low, old.c.occurred_at <= high, near))
    return conn.execute(query).mappings()


def _side(row: Any, prefix: str) -> dict[str, Any]:
    found = {name: row[f"{prefix}_{name}"] for name in _FACTS}
    found["occurred_at"] = as_utc(found["occurred_at"])
    found["registered_at"] = as_utc(found["registered_at"])
    return found


def find(conn: Connection, case_ids: Sequence[str]) -> list[Likely]:
    """Record the likely duplicates of newly registered cases (already in the read model), among themselves (one
    report, or one batch) and against every case not closed; returns the pairs found (a pair found again is kept
    once)."""
    kept: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(case_ids), CHUNK):
        for row in _candidates(conn, list(case_ids[start:start + CHUNK])):
            a, b = _side(row, "n"), _side(row, "o")
            pair = likely(facts_of(a), facts_of(b), row.get("score"))
            if pair is None or (pair.first, pair.second) in kept:
                continue
            offices = {a["case_id"]: a["office"], b["case_id"]: b["office"]}
            kept[pair.first, pair.second] = {
                "pair_id": pair_id(pair.first, pair.second), "first_case_id": pair.first,
                "second_case_id": pair.second, "first_office": offices[pair.first],
                "second_office": offices[pair.second], "score": pair.score, "reasons": " ".join(pair.reasons),
                "found_at": max(a["registered_at"], b["registered_at"]), "status": "open", "note": ""}
    if kept:
        dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        execute_many(conn, dialect_insert(duplicate_pairs).on_conflict_do_nothing(index_elements=["pair_id"]),
                     list(kept.values()))
    return [Likely(r["first_case_id"], r["second_case_id"], r["score"], tuple(r["reasons"].split()))
            for r in kept.values()]


def get(conn: Connection, pair: str) -> dict[str, Any] | None:
    row = conn.execute(select(duplicate_pairs).where(duplicate_pairs.c.pair_id == pair)).mappings().first()
    return dict(row) if row else None


def decided(conn: Connection, pair: str, status: str, survivor: str | None, actor: str, at: datetime,
            note: str) -> bool:
    """Mark an open pair decided; False if it was no longer open (decided meanwhile by the other office)."""
    result = conn.execute(update(duplicate_pairs)
                          .where(duplicate_pairs.c.pair_id == pair, duplicate_pairs.c.status == "open")
                          .values(status=status, survivor_case_id=survivor, decided_by=actor, decided_at=at,
                                  note=note))
    return result.rowcount == 1


def with_cases(conn: Connection, pair: str) -> dict[str, Any] | None:
    """One pair with both cases' read-model rows (`first`, `second`)."""
    row = get(conn, pair)
    return _joined(conn, [row])[0] if row else None


def _joined(conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {r[side] for r in rows for side in ("first_case_id", "second_case_id")}
    summaries = {s["case_id"]: dict(s) for s in conn.execute(
        select(case_summaries).where(case_summaries.c.case_id.in_(ids))).mappings()} if ids else {}
    for r in rows:
        r["first"], r["second"] = summaries.get(r["first_case_id"]), summaries.get(r["second_case_id"])
    return rows


def supersede(conn: Connection, merged: str, pair: str, actor: str, at: datetime, note: str) -> int:
    """The other open pairs of a case just merged into another: nothing is left to decide on them (the merged case is
    closed; a pair of the survivor and the same third case is looked at on its own). Returns how many."""
    result = conn.execute(update(duplicate_pairs).where(
        duplicate_pairs.c.status == "open", duplicate_pairs.c.pair_id != pair,
        or_(duplicate_pairs.c.first_case_id == merged, duplicate_pairs.c.second_case_id == merged),
    ).values(status="superseded", decided_by=actor, decided_at=at, note=note))
    return int(result.rowcount or 0)


def page(conn: Connection, office: str | None, status: str, limit: int, offset: int) -> tuple[int, list[dict]]:
    """Pairs of this status with a case of `office` (None: every office), the most recently found first, each with
    both cases' read-model rows (`first`, `second`): the total, and the page."""
    where = [duplicate_pairs.c.status == status]
    if office is not None:
        where.append(or_(duplicate_pairs.c.first_office == office, duplicate_pairs.c.second_office == office))
    total = int(conn.scalar(select(func.count()).select_from(duplicate_pairs).where(*where)) or 0)
    rows = [dict(r) for r in conn.execute(
        select(duplicate_pairs).where(*where)
        .order_by(duplicate_pairs.c.found_at.desc(), duplicate_pairs.c.pair_id).limit(limit).offset(offset)
    ).mappings()]
    return total, _joined(conn, rows)


def counts(conn: Connection, office: str | None = None) -> dict[str, int]:
    """Pairs by status (open, distinct, merged, superseded), of one office's cases or every office's."""
    query = select(duplicate_pairs.c.status, func.count()).group_by(duplicate_pairs.c.status)
    if office is not None:
        query = query.where(or_(duplicate_pairs.c.first_office == office, duplicate_pairs.c.second_office == office))
    found = {"open": 0, "distinct": 0, "merged": 0, "superseded": 0}
    found.update({status: int(n) for status, n in conn.execute(query)})
    return found
