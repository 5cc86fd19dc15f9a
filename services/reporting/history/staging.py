"""A history staged in a scratch SQLite file while it is checked, then read back in time order in chunks.

An import's memory must not grow with the history (a mission's may hold millions of rows): the rows, the incidents'
records live here, on disk, and only a chunk of them is in memory at a time.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from schemas.topics import SITREP_INCIDENTS
from services.messaging.ports import Outgoing
from services.reporting.history.rows import COLUMNS

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CHUNK = 2000  # rows read back at a time
WRITE_CACHE, READ_CACHE = -16000, -2000  # SQLite page cache (KiB) while the history is staged, then replayed
_MICRO = timedelta(microseconds=1)
_PARAMS = 500  # keys per IN (...): under SQLite's bound-parameter limit

# A row's values as columns, its times (`at` apart; `until` the only other) as `micros`: a pickled row took longer
# to write and read back than the rest of its staging, and was three times the size.
_VALUES = tuple(c for c in COLUMNS if c != "at")
_AT = COLUMNS.index("at")
_SCHEMA = f"""
CREATE TABLE incidents (key TEXT PRIMARY KEY, line INTEGER NOT NULL, present INTEGER NOT NULL,
                        at INTEGER, office TEXT, assignee TEXT, rkey TEXT, value BLOB, headers TEXT);
CREATE TABLE actions (line INTEGER PRIMARY KEY, at INTEGER NOT NULL, key TEXT NOT NULL, {", ".join(_VALUES)});
"""


def micros(t: datetime) -> int:
    """A time as whole microseconds since 1970 (UTC): exact, and ordered as the times are."""
    return (t - EPOCH) // _MICRO


def from_micros(n: int) -> datetime:
    return EPOCH + n * _MICRO


@dataclass(frozen=True)
class StagedAction:
    at: int  # microseconds (`micros`)
    line: int
    key: str
    row: dict[str, Any]
    reported: int | None  # the incident's report time, None when the file does not give the incident
    office: str | None
    assignee: str | None


class Staging:
    """Incidents (keyed by incident key) and action rows (by line), in a scratch SQLite database."""

    def __init__(self, path: Path | str = ":memory:"):
        self.db = sqlite3.connect(str(path), isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", f"cache_size={WRITE_CACHE}", "temp_store=FILE"):
            self.db.execute(f"PRAGMA {pragma}")  # scratch data: a crash loses nothing that is not in the files
        self.db.executescript(_SCHEMA)
        self.db.execute("BEGIN")
        self.incidents = 0  # present in the file and not yet in the installation
        self.actions = 0

    def close(self) -> None:
        self.db.rollback()
        self.db.close()

    # Incidents ------------------------------------------------------------------------------------------------

    def lines_of(self, keys: Sequence[str]) -> dict[str, int]:
        """The line each of these incident keys was first given at, for those staged already."""
        found: dict[str, int] = {}
        for chunk in _chunks(list(keys)):
            found.update(self.db.execute(
                f"SELECT key, line FROM incidents WHERE key IN ({_marks(chunk)})", chunk).fetchall())
        return found

    def add_incidents(self, incidents: Sequence[tuple[str, int, datetime, str, str | None, Outgoing]]) -> None:
        """(key, line, reported at, office, assignee, record) of incidents to import, a page at a time."""
        self.db.executemany("INSERT INTO incidents VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)",
                            [(key, line, micros(at), office, assignee, record.key, record.value,
                              json.dumps(record.headers)) for key, line, at, office, assignee, record in incidents])
        self.incidents += len(incidents)

    def add_seen(self, key: str, line: int) -> None:
        """A key given by the file but already in the installation: a later repeat is still a repeat."""
        self.db.execute("INSERT INTO incidents (key, line, present) VALUES (?, ?, 0)", (key, line))

    def offices_of(self, keys: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(keys))):
            found.update(self.db.execute(
                f"SELECT key, office FROM incidents WHERE present AND key IN ({_marks(chunk)})", chunk).fetchall())
        return found

    def incidents_in_order(self) -> Iterator[tuple[int, int, str, datetime, str, str | None, Outgoing]]:
        """(at, line, key, reported at, office, assignee, record) by report time, then line."""
        query = ("SELECT at, line, key, office, assignee, rkey, value, headers FROM incidents "
                 "WHERE present AND (at, line) > (?, ?) ORDER BY at, line LIMIT ?")
        for page in self._pages(query):
            for at, line, key, office, assignee, rkey, value, headers in page:
                yield at, line, key, from_micros(at), office, assignee, Outgoing(
                    SITREP_INCIDENTS, rkey, value, json.loads(headers))

    # Actions --------------------------------------------------------------------------------------------------

    def add_actions(self, rows: Sequence[tuple[int, dict[str, Any]]], keys: Sequence[str]) -> None:
        self.db.executemany(f"INSERT INTO actions VALUES (?, ?, ?, {_marks(_VALUES)})",
                            [(line, micros(row["at"]), key, *[_cell(row[c]) for c in _VALUES])
                             for (line, row), key in zip(rows, keys, strict=True)])
        self.actions += len(rows)

    def index(self) -> None:
        """Once everything is staged: the indexes that read it back in time order."""
        self.db.execute("CREATE INDEX incidents_by_time ON incidents (at, line)")
        self.db.execute("CREATE INDEX actions_by_time ON actions (at, line)")
        self.db.execute("CREATE INDEX actions_by_case ON actions (key, at, line)")

    def checked(self) -> None:
        """The check is over: write out what it staged, then read it back through SQLite's default cache. The
        scratch file is read once, in order, while the replay runs; the check's cache of a large history would stay
        held (its dirty pages could not be dropped while the staging transaction was open)."""
        self.db.commit()
        self.db.execute(f"PRAGMA cache_size={READ_CACHE}")
        self.db.execute("PRAGMA shrink_memory")

    def action_pages(self) -> Iterator[list[StagedAction]]:
        """The rows by time, then line, a page at a time, each with its incident (if the file gives it)."""
        query = (_STAGED_ACTIONS + "WHERE (a.at, a.line) > (?, ?) ORDER BY a.at, a.line LIMIT ?")
        for page in self._pages(query):
            yield [_staged(*row) for row in page]

    def actions_by_case(self) -> Iterator[StagedAction]:
        """The rows of one incident key after another, each key's by time, then line (once indexed, nothing written
        while this is read)."""
        rows = self.db.execute(_STAGED_ACTIONS + "ORDER BY a.key, a.at, a.line")
        while page := rows.fetchmany(CHUNK):
            yield from (_staged(*row) for row in page)

    # ------------------------------------------------------------------------------------------------------------

    def _pages(self, query: str) -> Iterator[list[tuple[Any, ...]]]:
        """Keyset pages of a query ordered by (at, line): each page a fresh statement, so the database may be
        written between them."""
        after = (-(2**62), -1)
        while True:
            page = self.db.execute(query, (*after, CHUNK)).fetchall()
            if page:
                yield page
            if len(page) < CHUNK:
                return
            after = (page[-1][0], page[-1][1])


_STAGED_ACTIONS = ("SELECT a.at, a.line, a.key, i.at, i.office, i.assignee, "
                   + ", ".join(f"a.{c}" for c in _VALUES) + " FROM actions a "
                   "LEFT JOIN incidents i ON i.key = a.key AND i.present ")


def _staged(at: int, line: int, key: str, reported: int | None, office: str | None, assignee: str | None,
            *values: Any) -> StagedAction:
    row = dict(zip(COLUMNS, (*values[:_AT], from_micros(at), *values[_AT:]), strict=True))
    if row["until"] is not None:
        row["until"] = from_micros(row["until"])
    return StagedAction(at, line, key, row, reported, office, assignee)


def _cell(value: Any) -> Any:
    return micros(value) if isinstance(value, datetime) else value


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _PARAMS):
        yield items[start : start + _PARAMS]


def _marks(items: Sequence[object]) -> str:
    return ",".join("?" * len(items))
