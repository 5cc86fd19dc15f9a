"""Reads and writes of intake's tables (SQLAlchemy Core; SQLite and PostgreSQL), in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, bindparam, func, insert, or_, select

from services.intake.adapters.tables import accepted_incidents, rejected_records
from services.intake.domain.dedup import Facts
from services.messaging import pg_arrays
from services.messaging.many import execute_many

# Built once: making a statement costs several times what executing a cached one does, and these run per message.
_ACCEPTED = select(accepted_incidents).where(accepted_incidents.c.incident_key == bindparam("key"))
_SAME_PLACE_AND_DAY = select(accepted_incidents).where(
    accepted_incidents.c.occurred_on == bindparam("day"), accepted_incidents.c.location == bindparam("place"))
_ADD_ACCEPTED = insert(accepted_incidents)
_ACCEPTED_KEYS = select(accepted_incidents).where(
    accepted_incidents.c.incident_key.in_(bindparam("keys", expanding=True)))
CHUNK = 250  # keeps IN (...) lists under SQLite's bound-parameter limit (a pair is two)
# SQLite: one (day = ? AND place = ?) term per pair. SQLite reads `(day, place) IN ((?, ?), ...)` by scanning the whole
# table for every chunk (its planner uses no index for a list of row values), which made intake slower with every
# incident it had accepted; each OR term here is one search of ix_accepted_incidents_day_place. A chunk is padded to
# one of a few sizes by repeating its last pair (OR matches a row once): a handful of statements, each compiled once,
# and a batch of three places (a quiet hour in `serve`) does not plan and probe 250 terms.
_PLACE_SIZES = (16, 64, CHUNK)


def _same_places_and_days(size: int) -> Select[Any]:
    return select(accepted_incidents).where(or_(*(
        and_(accepted_incidents.c.occurred_on == bindparam(f"day{n}"),
             accepted_incidents.c.location == bindparam(f"place{n}"))
        for n in range(size))))


_SAME_PLACES_AND_DAYS = {size: _same_places_and_days(size) for size in _PLACE_SIZES}
# PostgreSQL: the whole batch in two statements, its keys as one array and its places and days as two, each read by
# its index (a nested loop over the arrays).
_PLACE_COLUMNS = ("occurred_on", "location")
_KEYS_PG = select(accepted_incidents).where(pg_arrays.any_of(accepted_incidents.c.incident_key, "keys"))
_PLACES = pg_arrays.arrays(accepted_incidents, _PLACE_COLUMNS)
_PLACES_PG = select(accepted_incidents).join(_PLACES, and_(
    accepted_incidents.c.occurred_on == _PLACES.c.occurred_on, accepted_incidents.c.location == _PLACES.c.location))
_WAS_REJECTED = select(rejected_records.c.original_sha256).where(
    rejected_records.c.original_sha256 == bindparam("digest"))
_ADD_REJECTED = insert(rejected_records)


def _facts(row: Row[Any]) -> Facts:
    return Facts(
        incident_key=row.incident_key,
        content_hash=row.content_hash,
        sitrep_id=row.sitrep_id,
        occurred_on=row.occurred_on,
        location=row.location,
        violation_types=frozenset(row.violation_types.split(";")),
    )


def accepted(conn: Connection, key: str) -> Facts | None:
    row = conn.execute(_ACCEPTED, {"key": key}).first()
    return _facts(row) if row else None


def same_place_and_day(conn: Connection, occurred_on: date, location: str) -> list[Facts]:
    rows = conn.execute(_SAME_PLACE_AND_DAY, {"day": occurred_on, "place": location}).all()
    return [_facts(r) for r in rows]


def _accepted_row(facts: Facts, record: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "incident_key": facts.incident_key,
        "content_hash": facts.content_hash,
        "sitrep_id": facts.sitrep_id,
        "incident_number": record["incident_number"],
        "office": record["office"],
        "occurred_on": facts.occurred_on,
        "location": facts.location,
        "violation_types": ";".join(sorted(facts.violation_types)),
        "reported_at": record["reported_at"],
        "accepted_at": now,
    }


def _places_query(places: Sequence[tuple[date, str]]) -> tuple[Select[Any], dict[str, Any]]:
    """The smallest of _SAME_PLACES_AND_DAYS that takes `places` (at most CHUNK), and its parameters."""
    size = next(size for size in _PLACE_SIZES if size >= len(places))
    padded = [*places, *[places[-1]] * (size - len(places))]
    params: dict[str, Any] = {}
    for n, (day, place) in enumerate(padded):
        params[f"day{n}"], params[f"place{n}"] = day, place
    return _SAME_PLACES_AND_DAYS[size], params


class BatchAccepted:
    """Accepted incidents for a batch: what its records' keys, days and places already have, read in two queries;
    what the batch accepts, kept here (seen by its later records) and written at its end."""

    def __init__(self) -> None:
        self.by_key: dict[str, Facts | None] = {}
        self.by_place: dict[tuple[date, str], list[Facts]] = {}
        self.rows: list[dict[str, Any]] = []

    def prefetch(self, conn: Connection, keys: Sequence[str], places: Sequence[tuple[date, str]]) -> None:
        keys = list(dict.fromkeys(k for k in keys if k not in self.by_key))
        places = list(dict.fromkeys(p for p in places if p not in self.by_place))
        for key in keys:
            self.by_key[key] = None
        for place in places:
            self.by_place[place] = []
        if conn.dialect.name == "postgresql":
            self._prefetch_pg(conn, keys, places)
            return
        for start in range(0, len(keys), CHUNK):
            for row in conn.execute(_ACCEPTED_KEYS, {"keys": keys[start : start + CHUNK]}):
                self.by_key[row.incident_key] = _facts(row)
        for start in range(0, len(places), CHUNK):
            for row in conn.execute(*_places_query(places[start : start + CHUNK])):
                self.by_place[(row.occurred_on, row.location)].append(_facts(row))

    def _prefetch_pg(self, conn: Connection, keys: list[str], places: list[tuple[date, str]]) -> None:
        if keys:
            for row in conn.execute(_KEYS_PG, {"keys": pg_arrays.binary(conn, keys)}):
                self.by_key[row.incident_key] = _facts(row)
        if places:
            days_and_places = [dict(zip(_PLACE_COLUMNS, place, strict=True)) for place in places]
            for row in conn.execute(_PLACES_PG, pg_arrays.columns(conn, days_and_places, _PLACE_COLUMNS)):
                self.by_place[(row.occurred_on, row.location)].append(_facts(row))

    def accepted(self, conn: Connection, key: str) -> Facts | None:
        if key not in self.by_key:
            self.by_key[key] = accepted(conn, key)
        return self.by_key[key]

    def same_place_and_day(self, conn: Connection, occurred_on: date, location: str) -> list[Facts]:
        if (occurred_on, location) not in self.by_place:
            self.by_place[(occurred_on, location)] = same_place_and_day(conn, occurred_on, location)
        return list(self.by_place[(occurred_on, location)])

    def add(self, facts: Facts, record: dict[str, Any], now: datetime) -> None:
        self.rows.append(_accepted_row(facts, record, now))
        self.by_key[facts.incident_key] = facts
        self.by_place.setdefault((facts.occurred_on, facts.location), []).append(facts)

    def flush(self, conn: Connection) -> None:
        if self.rows:
            execute_many(conn, _ADD_ACCEPTED, self.rows)
            self.rows = []


def was_rejected(conn: Connection, original_sha256: str) -> bool:
    found = conn.scalar(_WAS_REJECTED, {"digest": original_sha256})
    return found is not None


def add_rejected(conn: Connection, original_sha256: str, incident_key: str | None, reason: str,
                 position: str, now: datetime) -> None:
    conn.execute(_ADD_REJECTED, {"original_sha256": original_sha256, "incident_key": incident_key, "reason": reason,
                                 "first_position": position, "rejected_at": now})


def accepted_by_office(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        select(accepted_incidents.c.office, func.count())
        .group_by(accepted_incidents.c.office)
        .order_by(accepted_incidents.c.office)
    ).all()
    return {office: int(count) for office, count in rows}


def rejected_count(conn: Connection) -> int:
    return int(conn.scalar(select(func.count()).select_from(rejected_records)) or 0)
