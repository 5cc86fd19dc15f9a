"""The search documents (ADR 0021), written in the transaction that registers or changes the case: its summary and
place when it is registered or amended, each officer's note or reason as its event enters the history."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Update, bindparam, delete, insert, select, text, update

from services.casework.adapters import state
from services.casework.adapters.tables import case_history, case_search
from services.casework.domain.case import Case
from services.casework.domain.search import NOTE_FIELDS, document_of, notes_of, stemmed
from services.messaging.many import execute_many

CHUNK = 500  # ids per IN (...) list: under SQLite's bound-parameter limit
_INSERT = insert(case_search)
_SET_TEXTS: Update = (update(case_search).where(case_search.c.case_id == bindparam("k_case_id"))
                      .values(summary=bindparam("summary"), place=bindparam("place")))
_ADD_NOTE: Update = (update(case_search).where(case_search.c.case_id == bindparam("k_case_id"))
                     .values(notes=case_search.c.notes + bindparam("note")))
_NUMBERS = select(case_search.c.case_id, case_search.c.doc).where(
    case_search.c.case_id.in_(bindparam("ids", expanding=True)))
_FTS_FORGET = text("DELETE FROM case_search_fts WHERE rowid = :doc")
_FTS_ADD = text("INSERT INTO case_search_fts (rowid, stems, office) VALUES (:doc, :stems, :office)")
_FTS_ADD_ROWS = "INSERT INTO case_search_fts (rowid, stems, office) VALUES (?, ?, ?)"  # tuples straight to the driver
# The office as one token of FTS5's `office` column, so that a search within an office is intersected in the index
# (ADR 0026): its UTF-8 bytes in hex, which the tokenizer keeps whole whatever the code's punctuation. SQL makes the
# same token for the migration and the benchmark's copies.
OFFICE_TOKEN_SQL = "'o' || lower(hex({}))"


def office_token(office: str) -> str:
    """FTS5's token for an office (OFFICE_TOKEN_SQL in Python)."""
    return "o" + office.encode().hex()


def _sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def _refresh_stems(conn: Connection, case_ids: Sequence[str]) -> None:
    """SQLite: the FTS5 row of each document, from its texts as they now stand (PostgreSQL computes its columns)."""
    for start in range(0, len(case_ids), CHUNK):
        rows = conn.execute(select(case_search.c.doc, case_search.c.summary, case_search.c.place,
                                   case_search.c.notes, case_search.c.office)
                            .where(case_search.c.case_id.in_(case_ids[start:start + CHUNK]))).all()
        if not rows:
            continue
        conn.execute(_FTS_FORGET, [{"doc": doc} for doc, *_ in rows])
        conn.execute(_FTS_ADD, [{"doc": doc, "stems": stemmed(f"{summary}\n{place}\n{notes}"),
                                 "office": office_token(office)} for doc, summary, place, notes, office in rows])


def add(conn: Connection, new: Sequence[Case], notes: dict[str, str] | None = None) -> None:
    """The documents of newly registered cases (with notes already theirs, when rebuilding)."""
    if not new:
        return
    documents = [{**document_of(case), "office": case.office, "notes": (notes or {}).get(case.case_id, "")}
                 for case in new]
    execute_many(conn, _INSERT, documents)
    if _sqlite(conn):  # their FTS5 rows from the texts at hand: only the numbers the documents were given are read
        texts = {d["case_id"]: (f"{d['summary']}\n{d['place']}\n{d['notes']}", office_token(d["office"]))
                 for d in documents}
        for start in range(0, len(documents), CHUNK):
            numbers = conn.execute(_NUMBERS, {"ids": [d["case_id"] for d in documents[start:start + CHUNK]]})
            conn.exec_driver_sql(_FTS_ADD_ROWS, [(doc, stemmed(texts[case_id][0]), texts[case_id][1])
                                                 for case_id, doc in numbers])


def change(conn: Connection, changed: Sequence[tuple[Case, Case]]) -> None:
    """The summary and place of cases a command changed, when an amendment changed them (rare)."""
    moved = []
    for before, after in changed:
        then, now = document_of(before), document_of(after)
        if then != now:
            moved.append({"k_case_id": now.pop("case_id"), **now})
    if moved:
        execute_many(conn, _SET_TEXTS, moved)
        if _sqlite(conn):
            _refresh_stems(conn, [row["k_case_id"] for row in moved])


def note(conn: Connection, history: Sequence[dict[str, Any]]) -> None:
    """Each officer's note or reason among new history rows, appended to its case's document."""
    found = []
    for row in history:
        if row["type"] in NOTE_FIELDS:
            payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
            said = notes_of(row["type"], payload)
            if said:
                found.append({"k_case_id": row["case_id"], "note": "\n" + said})
    if found:
        execute_many(conn, _ADD_NOTE, found)
        if _sqlite(conn):
            _refresh_stems(conn, list(dict.fromkeys(row["k_case_id"] for row in found)))


def _notes_of_cases(conn: Connection, case_ids: Sequence[str]) -> dict[str, str]:
    rows = conn.execute(select(case_history.c.case_id, case_history.c.type, case_history.c.payload)
                        .where(case_history.c.case_id.in_(case_ids), case_history.c.type.in_(tuple(NOTE_FIELDS)))
                        .order_by(case_history.c.seq))
    notes: dict[str, str] = {}
    for case_id, type_, payload in rows:
        said = notes_of(type_, json.loads(payload))
        if said:
            notes[case_id] = notes.get(case_id, "") + "\n" + said
    return notes


def rebuild(conn: Connection) -> int:
    """Every document again, from casework's cases and their history; returns the number of cases. Call it in one
    transaction (`with engine.begin() as conn: search_index.rebuild(conn)`), after or beside summaries.rebuild."""
    if _sqlite(conn):
        conn.execute(text("DELETE FROM case_search_fts"))
    conn.execute(delete(case_search))
    return fill(conn)


def fill(conn: Connection) -> int:
    """The documents of every case into an empty index (what the migration that makes it runs)."""
    done = 0
    for found in state.every_case(conn, CHUNK):
        add(conn, found, _notes_of_cases(conn, [case.case_id for case in found]))
        done += len(found)
    return done
