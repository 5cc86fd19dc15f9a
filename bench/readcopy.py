"""The read-side benchmark's copies: a base of cases generated through casework's own code, copied in SQL with fresh
ids until the database holds N cases, so a million cases take minutes instead of an hour.

Copy r of a base case is the same history told of another incident: every row casework keeps of the case (its row
and state, its history, sealed identities, the monitor's schedules, open alerts, the read model's `case_summaries`
and `case_violations` rows, its search document with its FTS5 row on SQLite or generated columns on PostgreSQL,
its blind-index rows, its duplicate pairs) is inserted by `INSERT ... SELECT` from a snapshot of the base with:
- the incident key `SITREP#n` made `SITREP#(n + r*K)` (K base cases) and the case id `case_id_for` of that key, as
  casework derives it; the registration's event id likewise as the handler derives it, other event ids random;
- the reference the office's next numbers in the report's year (sequence + r * the base's last of that year);
- the assignee (and the officer acting in the history) the r-th next HRO of the office, among the officers
  Staff.for_size gives the total (so officers' loads do not grow with the copies);
- duplicate pairs: those of the base, between the two cases' copies (a copy is never paired with its original);
- all dates unchanged: copies keep the base's spread over the two years, and each case's stage and SLA state at the
  served clock (a shifted date would give a fresh case an old case's fate). The texts are the base's (same summary).
The ids, references, keys and officers are replaced inside the JSON of the state and the events as whole quoted
strings, so the read model computed from each copied state (`hrcase read-model check`) equals its copied row.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, text

from bench.readgen import Staff
from services.casework.adapters import repository as repo
from services.casework.adapters import summaries
from services.casework.adapters.search_index import OFFICE_TOKEN_SQL
from services.casework.adapters.tables import (
    alerts,
    case_history,
    case_identities,
    case_schedules,
    case_search,
    case_summaries,
    case_violations,
    cases,
    person_index,
)
from services.casework.domain.duplicates import pair_id
from services.casework.domain.reference import case_id_for
from sitreps.key import SEPARATOR, incident_key

BASE = {t.name: f"bench_base_{t.name}" for t in (cases, case_history, case_identities, case_schedules, alerts,
                                                  case_summaries, case_violations, case_search, person_index)}
MAP_COLUMNS = ("old_id", "new_id", "old_ref", "new_ref", "q_old_id", "q_new_id", "q_old_ref", "q_new_ref",
               "q_old_key", "q_new_key", "new_key", "old_hro", "new_hro", "q_old_hro", "q_new_hro", "reg_event")


def _swap(column: str) -> str:
    """The column's JSON with the case's id, reference, incident key and officer replaced as whole strings."""
    out = column
    for part in ("id", "ref", "key", "hro"):
        out = f"replace({out}, m.q_old_{part}, m.q_new_{part})"
    return out


def _random_uuid(dialect: str) -> str:
    if dialect == "postgresql":
        return "gen_random_uuid()::text"
    part = "lower(hex(randomblob({})))"
    return " || '-' || ".join(part.format(n) for n in (4, 2, 2, 2, 6))


def _statements(dialect: str) -> list[str]:
    """One INSERT ... SELECT per table, from its base snapshot joined to the copy's map of ids."""
    hro = "CASE WHEN b.assignee IS NULL THEN NULL ELSE m.new_hro END"
    special: dict[str, dict[str, str]] = {
        "cases": {"case_id": "m.new_id", "reference": "m.new_ref", "incident_key": "m.new_key", "assignee": hro,
                  "state": _swap("b.state")},
        "case_history": {"event_id": f"CASE WHEN b.type = 'CaseRegistered' THEN m.reg_event "
                                     f"ELSE {_random_uuid(dialect)} END", "case_id": "m.new_id",
                         "actor": "CASE WHEN b.actor = m.old_hro THEN m.new_hro ELSE b.actor END",
                         "payload": _swap("b.payload")},
        "alerts": {"alert_id": "replace(b.alert_id, m.old_id, m.new_id)", "case_id": "m.new_id",
                   "reference": "m.new_ref", "assignee": hro,
                   "message": "replace(b.message, 'case ' || m.old_ref || ' (', 'case ' || m.new_ref || ' (')"},
        "case_summaries": {"case_id": "m.new_id", "reference": "m.new_ref", "assignee": hro},
    }
    out = []
    for table in (cases, case_history, case_identities, case_schedules, alerts, case_summaries, case_violations,
                  case_search, person_index):
        columns = [c.name for c in table.columns if c.name not in ("seq", "doc")]  # numbered afresh
        exprs = [special.get(table.name, {}).get(c, "m.new_id" if c == "case_id" else f"b.{c}") for c in columns]
        order = " ORDER BY b.seq" if table is case_history else " ORDER BY b.doc" if table is case_search else ""
        out.append(f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {', '.join(exprs)} "
                   f"FROM {BASE[table.name]} b JOIN copy_map m ON b.case_id = m.old_id{order}")
    if dialect == "sqlite":  # the copy's FTS5 rows: the base document's stems under the new document's rowid
        out.append(f"INSERT INTO case_search_fts (rowid, stems, office) SELECT n.doc, b.stems, "
                   f"{OFFICE_TOKEN_SQL.format('n.office')} FROM bench_base_stems b "
                   "JOIN copy_map m ON b.case_id = m.old_id JOIN case_search n ON n.case_id = m.new_id")
    return out


def _snapshot(conn: Connection) -> None:
    """Temporary copies of the base's rows: each copy reads these, never the growing tables."""
    for table, base in BASE.items():
        conn.execute(text(f"CREATE TEMP TABLE {base} AS SELECT * FROM {table}"))
    if conn.dialect.name == "sqlite":
        conn.execute(text("CREATE TEMP TABLE bench_base_stems AS SELECT s.case_id, f.stems FROM case_search s "
                          "JOIN case_search_fts f ON f.rowid = s.doc"))
    else:
        conn.execute(text("ANALYZE"))
    columns = ", ".join(f"{c} TEXT" for c in MAP_COLUMNS)
    conn.execute(text(f"CREATE TEMP TABLE copy_map ({columns}, PRIMARY KEY (old_id))"))


def _secondary_indexes(conn: Connection) -> list[tuple[str, str]]:
    """(name, definition) of each index of the copied tables that no constraint needs: dropped while copying and
    made again after from their own definitions (one sort each instead of a million random insertions)."""
    tables = ", ".join(f"'{t}'" for t in BASE)
    if conn.dialect.name == "sqlite":
        sql = f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({tables})"
    else:
        sql = (f"SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN "
               f"({tables}) AND indexname NOT IN (SELECT c.relname FROM pg_constraint k JOIN pg_class c ON "
               f"c.oid = k.conindid)")
    return [(name, definition) for name, definition in conn.execute(text(sql))]


def _hro_number(name: str) -> tuple[str, int] | None:
    slug, _, rest = name.partition(".hro")
    return (slug, int(rest)) if rest.isdigit() else None


class Copier:
    """Copies of the K base cases until `total`; the base's officers spread over `Staff.for_size(total)`."""

    def __init__(self, conn: Connection, total: int):
        self.total = total
        rows = conn.execute(text("SELECT case_id, reference, incident_key, assignee FROM cases ORDER BY case_id")).all()
        self.base = [tuple(r) for r in rows]
        self.base_hros = max(n for _, n in filter(None, (_hro_number(r[3] or "") for r in self.base)))
        self.staff = Staff.for_size(total)
        self.hros = len(next(iter(self.staff.hros.values())))
        self.last: dict[tuple[str, str], int] = {}
        for _, ref, _, _ in self.base:
            code, year, seq = ref.split("-")
            self.last[code, year] = max(self.last.get((code, year), 0), int(seq))
        self.pairs = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM duplicate_pairs"))]

    def copies(self) -> int:
        return -(-self.total // len(self.base)) - 1

    def officer(self, name: str | None, r: int) -> str:
        found = _hro_number(name or "")
        if found is None:
            return name or ""
        slug, n = found
        return f"{slug}.hro{(n - 1 + r * self.base_hros) % self.hros + 1}"

    def mapping(self, r: int, take: int) -> list[dict[str, str]]:
        out = []
        k = len(self.base)
        for case_id, ref, key, hro in self.base[:take]:
            sitrep, _, number = key.rpartition(SEPARATOR)
            new_key = incident_key(sitrep, int(number) + r * k)
            code, year, seq = ref.split("-")
            new_ref = f"{code}-{year}-{int(seq) + r * self.last[code, year]:04d}"
            new_id, new_hro = case_id_for(new_key), self.officer(hro, r)
            q = {"old_id": case_id, "new_id": new_id, "old_ref": ref, "new_ref": new_ref, "old_key": key,
                 "new_key": new_key, "old_hro": hro or "", "new_hro": new_hro}
            out.append({**{k_: v for k_, v in q.items() if k_ != "old_key"},
                        **{f"q_{k_}": f'"{v}"' for k_, v in q.items()},
                        "reg_event": str(uuid.uuid5(uuid.NAMESPACE_URL, f"hrcase:registered:{new_key}"))})
        return out

    def copy(self, conn: Connection, r: int, statements: list[str]) -> int:
        take = min(len(self.base), self.total - r * len(self.base))
        rows = self.mapping(r, take)
        conn.execute(text("DELETE FROM copy_map"))
        conn.execute(text(f"INSERT INTO copy_map ({', '.join(MAP_COLUMNS)}) "
                          f"VALUES ({', '.join(':' + c for c in MAP_COLUMNS)})"), rows)
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE copy_map"))
        for sql in statements:
            conn.execute(text(sql))
        ids = {row["old_id"]: row["new_id"] for row in rows}
        pairs = []
        for p in self.pairs:  # a pair of base cases is a pair of their copies, its cases again in id order
            if p["first_case_id"] in ids and p["second_case_id"] in ids:
                sides = sorted([(ids[p["first_case_id"]], p["first_office"]),
                                (ids[p["second_case_id"]], p["second_office"])])
                pairs.append({**p, "pair_id": pair_id(sides[0][0], sides[1][0]), "first_case_id": sides[0][0],
                              "first_office": sides[0][1], "second_case_id": sides[1][0],
                              "second_office": sides[1][1]})
        if pairs:
            names = list(pairs[0])
            conn.execute(text(f"INSERT INTO duplicate_pairs ({', '.join(names)}) "
                              f"VALUES ({', '.join(':' + n for n in names)})"), pairs)
        return take

    def finish(self, conn: Connection) -> None:
        """The office sequences at the last number given, every officer the copies name, and the counts of cases by
        office and stage (which casework keeps with its rows, and the copies made in SQL did not)."""
        copies = self.copies()
        for (code, year), last in self.last.items():
            conn.execute(text("UPDATE office_sequences SET last = :last WHERE code = :code AND year = :year"),
                         {"last": last * (copies + 1), "code": code, "year": int(year)})
        for user in self.staff.users.values():
            repo.save_user(conn, user)
        summaries.recount(conn)


def copy_to(engine: Engine, total: int, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Copies of the cases already in the database (the base) until it holds `total`; one transaction a copy."""
    started = time.perf_counter()
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # the generator's connection alone: no journal, no fsync (an interrupted copy: generate again)
            raw: Any = conn.connection.dbapi_connection  # outside any transaction: SQLAlchemy's begins one
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=MEMORY", "cache_size=-1000000"):
                raw.execute(f"PRAGMA {pragma}")
        else:
            conn.exec_driver_sql("SET synchronous_commit = off")  # for this session
            conn.commit()
        with conn.begin():
            copier = Copier(conn, total)
            _snapshot(conn)
            indexes = _secondary_indexes(conn)
            for name, _ in indexes:
                conn.execute(text(f"DROP INDEX {name}"))
        statements = _statements(conn.dialect.name)
        done = len(copier.base)
        try:
            for r in range(1, copier.copies() + 1):
                with conn.begin():
                    done += copier.copy(conn, r, statements)
                if progress:
                    progress(done)
        finally:
            with conn.begin():
                for _, definition in indexes:
                    conn.execute(text(definition))
        with conn.begin():
            copier.finish(conn)
            for base in (*BASE.values(), "copy_map", *(("bench_base_stems",) if sqlite else ())):
                conn.execute(text(f"DROP TABLE {base}"))
        if sqlite:
            raw.execute("PRAGMA journal_mode=WAL")  # as the services keep it
        counted = conn.execute(text("SELECT (SELECT count(*) FROM case_history), (SELECT count(*) FROM alerts "
                                    "WHERE resolved_at IS NULL)")).one()
        conn.rollback()
    return {"base": len(copier.base), "copies": copier.copies(), "cases": done, "events": counted[0],
            "alerts": counted[1], "seconds": time.perf_counter() - started}
