"""SLA events' crossings kept in a SQLite file instead of memory: appended as the report reads them, counted and listed
back (in log order, or as `sla_events.csv` lists them) by queries, so a report's memory does not grow with them."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

from schemas import vocabulary
from services.reporting.domain.events import LEVELS, Crossing

_COHORTS = count(1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
BATCH = 5_000
COLUMNS = ("at", "case_id", "reference", "office", "clock", "level", "period", "recipient_role", "assignee",
           "reason", "policy_version")
SCHEMA = """
CREATE TABLE IF NOT EXISTS crossing (
    seq INTEGER PRIMARY KEY,            -- order on the log
    at_us INTEGER NOT NULL,             -- occurred_at in microseconds since 1970 (UTC): sorts as the instants do
    at TEXT NOT NULL,                   -- occurred_at as ISO 8601, offset included (read back as it was)
    case_id TEXT NOT NULL, reference TEXT NOT NULL, office TEXT NOT NULL, clock TEXT NOT NULL, level TEXT NOT NULL,
    period INTEGER NOT NULL, recipient_role TEXT NOT NULL, assignee TEXT, reason TEXT, policy_version TEXT NOT NULL,
    clock_rank INTEGER NOT NULL, level_rank INTEGER NOT NULL
);
"""
# How sla_events.csv lists them (domain/events.listed_order), then log order as Python's stable sort leaves ties.
LISTED = "at_us, reference, clock_rank, level_rank, period, seq"


def micros(at: datetime) -> int:
    return (at - EPOCH) // MICRO


class CrossingFile:
    """The crossings of one report (a scratch file) or of the reporting store (its own table): a CrossingSink."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.db.executescript(SCHEMA)
        self.pending: list[tuple] = []

    @classmethod
    def scratch(cls, path: Path) -> CrossingFile:
        """A file for one report, written without a journal: it is thrown away when the report is written."""
        db = sqlite3.connect(path, isolation_level=None)
        db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
                         "PRAGMA cache_size=-16000;")
        return cls(db)

    def append(self, crossing: Crossing) -> None:
        e = crossing
        self.pending.append((micros(e.occurred_at), e.occurred_at.isoformat(), e.case_id, e.reference, e.office,
                             e.clock, e.level, e.period, e.recipient_role, e.assignee, e.reason, e.policy_version,
                             vocabulary.CLOCKS.index(e.clock), LEVELS.index(e.level)))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.db.executemany(
                "INSERT INTO crossing (at_us, at, case_id, reference, office, clock, level, period, recipient_role, "
                "assignee, reason, policy_version, clock_rank, level_rank) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                self.pending)
            self.pending = []

    def of(self, cases: frozenset[str] | None, until: datetime | None = None) -> SpilledCrossings:
        """Those on `cases` (None: every one), up to `until` if given."""
        self.flush()
        return SpilledCrossings(self.db, cases, None if until is None else micros(until))

    def close(self) -> None:
        self.db.close()


class SpilledCrossings:
    """Crossings read back from their file as often as the report's tables read them; a cohort smaller than every
    case is a scratch table the queries join."""

    def __init__(self, db: sqlite3.Connection, cases: frozenset[str] | None, until_us: int | None) -> None:
        self.db = db
        where = [] if until_us is None else [f"at_us <= {int(until_us)}"]
        self.source = "crossing"
        if cases is not None:
            cohort = f"cohort_{next(_COHORTS)}"
            db.execute(f"CREATE TEMP TABLE {cohort} (case_id TEXT PRIMARY KEY) WITHOUT ROWID")
            db.executemany(f"INSERT OR IGNORE INTO {cohort} VALUES (?)", ((c,) for c in cases))
            where.append(f"case_id IN (SELECT case_id FROM {cohort})")
        self.where = (" WHERE " + " AND ".join(where)) if where else ""
        self.count: int | None = None

    def _rows(self, order: str) -> Iterator[Crossing]:
        cursor = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM {self.source}{self.where} ORDER BY {order}")
        strings: dict[str, str] = {}
        intern = strings.setdefault  # offices, clocks, levels and policies repeat: one string each while read
        parse = datetime.fromisoformat
        while rows := cursor.fetchmany(BATCH):
            for at, case_id, reference, office, clock, level, period, role, assignee, reason, version in rows:
                yield Crossing(parse(at), case_id, reference, intern(office, office), intern(clock, clock),
                               intern(level, level), period, intern(role, role), assignee, reason,
                               intern(version, version))

    def __iter__(self) -> Iterator[Crossing]:
        return self._rows("seq")

    def listed(self) -> Iterator[Crossing]:
        return self._rows(LISTED)

    def __len__(self) -> int:
        if self.count is None:
            self.count = int(self.db.execute(f"SELECT count(*) FROM {self.source}{self.where}").fetchone()[0])
        return self.count


@contextmanager
def scratch_spill(near: Path | None = None) -> Iterator[CrossingFile]:
    """A spill for one report, in a scratch folder beside the data (`.report-*`), removed when the report is done."""
    folder = near if near is not None and near.is_dir() else None
    with tempfile.TemporaryDirectory(prefix=".report-", dir=folder) as scratch:
        spill = CrossingFile.scratch(Path(scratch) / "crossings.sqlite")
        try:
            yield spill
        finally:
            spill.close()
