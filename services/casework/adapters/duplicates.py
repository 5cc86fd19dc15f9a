"""Likely duplicates: found in the read model when cases are registered (one query a batch), listed and decided."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, or_, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.casework.adapters.tables import case_summaries, case_violations, duplicate_pairs
from services.casework.domain.duplicates import WINDOW, Facts, Likely, facts_of, likely, pair_id
from services.messaging.many import execute_many
from services.messaging.times import as_utc

CHUNK = 500  # new cases per query: under SQLite's bound-parameter limit
# The query's window is a second wider than the rule's: SQLite's datetime() drops the fraction of a second, and the
# domain rule decides the exact bound.
_MARGIN = WINDOW + timedelta(seconds=1)
_FACTS = ("case_id", "sitrep_id", "occurred_at", "place", "place_pcode", "region_pcode", "violations", "excerpt",
          "office")


def _candidates(conn: Connection, ids: Sequence[str]) -> Any:
    """Each new case's id beside every case not closed that occurred within the window in its region (or, for cases
    of no known region, of the same place name) and shares a violation with it; on PostgreSQL with pg_trgm's
    similarity of their summaries (`score`)."""
    new, old = case_summaries.alias("n"), case_summaries.alias("o")
    if conn.dialect.name == "postgresql":
        low, high = new.c.occurred_at - _MARGIN, new.c.occurred_at + _MARGIN
        score = func.public.similarity(new.c.excerpt, old.c.excerpt).label("score")
    else:
        days, seconds = f"{_MARGIN.days} days", f"{_MARGIN.seconds} seconds"
        low = func.datetime(new.c.occurred_at, f"-{days}", f"-{seconds}")
        high = func.datetime(new.c.occurred_at, f"+{days}", f"+{seconds}")
        score = None
    # A shared violation, by the read model's violation index: most cases of a region and week share none.
    mine, theirs = case_violations.alias("vn"), case_violations.alias("vo")
    shared = (select(mine.c.case_id).join(theirs, theirs.c.violation == mine.c.violation)
              .where(mine.c.case_id == new.c.case_id, theirs.c.case_id == old.c.case_id).exists())
    common = (new.c.case_id.in_(ids), old.c.case_id != new.c.case_id, old.c.stage != "closed",
              new.c.occurred_at.is_not(None), old.c.occurred_at >= low, old.c.occurred_at <= high, shared)
    columns = (new.c.case_id.label("new_id"), *(old.c[n] for n in _FACTS), *([score] if score is not None else []))
    # Two queries, each walking its own index over the window (an OR of the two would scan every case of the
    # window): the same region; the same place name (for places of no known region: the rule in `likely` decides,
    # and a pair found by both is kept once). No test of a NULL region here: it would lead SQLite's planner to
    # the region's index, and through every case of no region in the window.
    region = select(*columns).where(old.c.region_pcode == new.c.region_pcode, *common)
    place = select(*columns).where(old.c.place == new.c.place, *common)
    query = union_all(region, place)
    return conn.execute(query).mappings()


def _facts(row: Any) -> tuple[Facts, str]:
    found = {name: row[name] for name in _FACTS}
    found["occurred_at"] = as_utc(found["occurred_at"])
    return facts_of(found), row["office"]


def find(conn: Connection, case_ids: Sequence[str],
         written: Mapping[str, Mapping[str, Any]] | None = None) -> list[Likely]:
    """Record the likely duplicates of newly registered cases (already in the read model), among themselves (one
    report, or one batch) and against every case not closed; returns the pairs found (a pair found again is kept
    once). One candidate query per 500 new cases; each case's facts are read once however often it is a candidate.
    `written`: the new cases' read-model rows as they were just written (`summaries.add`), not read back then."""
    kept: dict[tuple[str, str], dict[str, Any]] = {}
    measured = conn.dialect.name == "postgresql"  # the candidate query gives pg_trgm's score
    for start in range(0, len(case_ids), CHUNK):
        chunk = list(case_ids[start:start + CHUNK])
        rows = ([written[case_id] for case_id in chunk] if written is not None else
                conn.execute(select(*(case_summaries.c[n] for n in _FACTS), case_summaries.c.registered_at)
                             .where(case_summaries.c.case_id.in_(chunk))).mappings())
        seen = {row["case_id"]: (*_facts(row), as_utc(row["registered_at"])) for row in rows}
        for row in _candidates(conn, chunk):
            mine, office, registered = seen[row["new_id"]]
            if row["case_id"] not in seen:
                seen[row["case_id"]] = (*_facts(row), registered)
            theirs, other_office, _ = seen[row["case_id"]]
            pair = likely(mine, theirs, row["score"] if measured else None)
            if pair is None or (pair.first, pair.second) in kept:
                continue
            offices = {mine.case_id: office, theirs.case_id: other_office}
            kept[pair.first, pair.second] = {
                "pair_id": pair_id(pair.first, pair.second), "first_case_id": pair.first,
                "second_case_id": pair.second, "first_office": offices[pair.first],
                "second_office": offices[pair.second], "score": pair.score, "reasons": " ".join(pair.reasons),
                "found_at": registered, "status": "open", "note": ""}
    if kept:
        dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        execute_many(conn, dialect_insert(duplicate_pairs).on_conflict_do_nothing(index_elements=["pair_id"]),
                     list(kept.values()))
    return [Likely(r["first_case_id"], r["second_case_id"], r["score"], tuple(r["reasons"].split()))
            for r in kept.values()]


def look_again(conn: Connection) -> int:
    """Likely duplicates among every case not closed, as registration looks for them: those registered before
    duplicate review existed, or whose pairs were lost. A pair recorded already, decided or not, stays as it is.
    Returns how many pairs were newly recorded."""
    before = conn.scalar(select(func.count()).select_from(duplicate_pairs)) or 0
    after = ""
    while True:
        ids = list(conn.scalars(select(case_summaries.c.case_id)
                                .where(case_summaries.c.case_id > after, case_summaries.c.stage != "closed")
                                .order_by(case_summaries.c.case_id).limit(CHUNK)))
        if not ids:
            return int(conn.scalar(select(func.count()).select_from(duplicate_pairs)) or 0) - int(before)
        find(conn, ids)
        after = ids[-1]


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


def _utc(row: dict[str, Any], *names: str) -> dict[str, Any]:
    """In UTC: SQLite gives back times without their offset."""
    return {**row, **{name: as_utc(row[name]) for name in names if row.get(name) is not None}}


def _joined(conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {r[side] for r in rows for side in ("first_case_id", "second_case_id")}
    summaries = {s["case_id"]: _utc(dict(s), "reported_at", "occurred_at") for s in conn.execute(
        select(case_summaries).where(case_summaries.c.case_id.in_(ids))).mappings()} if ids else {}
    out = []
    for r in rows:
        r = _utc(r, "found_at", "decided_at")
        r["first"], r["second"] = summaries.get(r["first_case_id"]), summaries.get(r["second_case_id"])
        out.append(r)
    return out


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
