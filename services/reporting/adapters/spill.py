"""SLA events' crossings kept in a SQLite file instead of memory: appended as the report reads them, counted and listed
back (in log order, or as `sla_events.csv` lists them) by queries, so a report's memory does not grow with them."""

from __future__ import annotations

import csv
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from operator import itemgetter
from pathlib import Path

from schemas import vocabulary
from services.reporting.adapters.cells import CsvLines
from services.reporting.adapters.output import write_lines
from services.reporting.domain.events import LEVELS, Crossing, listed_row, month_of

_COHORTS = count(1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
BATCH = 5_000
SCHEMA = """
CREATE TABLE IF NOT EXISTS crossing (
    seq INTEGER PRIMARY KEY,            -- order on the log
    at_us INTEGER NOT NULL,             -- occurred_at in microseconds since 1970 (UTC): sorts as the instants do
    case_id TEXT NOT NULL, month TEXT NOT NULL, clock_rank INTEGER NOT NULL, level_rank INTEGER NOT NULL,
    reference TEXT NOT NULL, office TEXT NOT NULL, clock TEXT NOT NULL, level TEXT NOT NULL, period INTEGER NOT NULL,
    line TEXT NOT NULL                  -- its row of sla_events.csv (domain/events.listed_row), written as a CSV line
);
"""
# How sla_events.csv lists them (domain/events.listed_order), then log order as Python's stable sort leaves ties.
LISTED = "at_us, reference, clock_rank, level_rank, period, seq"
# The listing's index holds each row's line (and its case, for a report on some cases): the file is written by one
# walk of the index in its order, with no lookup of the table per row and no CSV writing per row. At a million cases
# (17.5 million rows) the lookups took 35 s and the writing 35 s.
LISTING = f"CREATE INDEX IF NOT EXISTS crossing_listed ON crossing ({LISTED}, case_id, line)"
# Where rows are kept (the reporting store), the counts walk indexes in their groups' order instead of sorting every
# row: by case and level for the performance tables, by clock and level (and month and office, for the recording
# breaches by month) for the rest. At a million cases (17.5 million rows) the sorts took 18, 14 and 5 s.
COUNTING = ("CREATE INDEX IF NOT EXISTS crossing_by_case ON crossing (case_id, level)",
            "CREATE INDEX IF NOT EXISTS crossing_by_clock ON crossing (clock, level, month, office)")
# What the reporting store keeps as its rows arrive, by name.
KEPT_INDEXES = {"crossing_listed": LISTING, "crossing_by_case": COUNTING[0], "crossing_by_clock": COUNTING[1]}
RECORDING = "clock = 'recording'"


def micros(at: datetime) -> int:
    return (at - EPOCH) // MICRO


class CrossingFile:
    """The crossings of one report (a scratch file) or of the reporting store (its own table): a CrossingSink."""

    def __init__(self, db: sqlite3.Connection, listing_kept: bool = False) -> None:
        self.db, self.listing_kept = db, listing_kept
        self.upto: int | None = None  # the store's rows a report may read (those its state covers)
        self.create()
        self.pending: list[tuple] = []
        self.lines = CsvLines()

    def create(self) -> None:
        """The table (and, where rows keep arriving, the listing's index, kept as they come)."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(crossing)")}
        if columns and "line" not in columns:  # an older format's rows (a store then rebuilds them from the log)
            self.db.execute("DROP TABLE crossing")
        self.db.execute(SCHEMA)
        if self.listing_kept:
            for index in KEPT_INDEXES.values():
                self.db.execute(index)

    def drop(self) -> None:
        self.db.execute("DROP TABLE IF EXISTS crossing")
        self.create()

    @classmethod
    def scratch(cls, path: Path) -> CrossingFile:
        """A file for one report, written without a journal: it is thrown away when the report is written."""
        db = sqlite3.connect(path, isolation_level=None)
        db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
                         "PRAGMA cache_size=-16000;")
        return cls(db)

    def append(self, crossing: Crossing) -> None:
        e = crossing
        row = listed_row(e)
        self.pending.append((micros(e.occurred_at), e.case_id, month_of(e), vocabulary.CLOCKS.index(e.clock),
                             LEVELS.index(e.level), e.reference, e.office, e.clock, e.level, e.period,
                             self.lines.line(row)))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.db.executemany(
                "INSERT INTO crossing (at_us, case_id, month, clock_rank, level_rank, reference, office, clock, level, "
                "period, line) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                self.pending)
            self.pending = []

    def of(self, cases: frozenset[str] | None) -> SpilledCrossings:
        """Those on `cases` (None: every one); listed by an index made once, not sorted for each reading."""
        self.flush()
        self.db.execute(LISTING)
        return SpilledCrossings(self.db, cases, self.upto)

    def close(self) -> None:
        self.db.close()


class SpilledCrossings:
    """Crossings counted and listed by queries on their file; a cohort smaller than every case is a scratch table
    the queries join."""

    def __init__(self, db: sqlite3.Connection, cases: frozenset[str] | None, upto: int | None = None) -> None:
        self.db, self.cases, self.upto = db, cases, upto
        where = [] if upto is None else [f"seq <= {int(upto)}"]
        if cases is not None:
            cohort = f"cohort_{next(_COHORTS)}"
            db.execute(f"CREATE TEMP TABLE {cohort} (case_id TEXT PRIMARY KEY) WITHOUT ROWID")
            db.executemany(f"INSERT INTO {cohort} VALUES (?)", ((c,) for c in cases))
            where.append(f"case_id IN (SELECT case_id FROM {cohort})")
        self.where = (" WHERE " + " AND ".join(where)) if where else ""
        self.size: int | None = None
        self.by_level: Counter[tuple[str, str]] | None = None

    def _and(self, condition: str) -> str:
        return f"{self.where} AND {condition}" if self.where else f" WHERE {condition}"

    def __len__(self) -> int:
        if self.size is None:  # from the counts by clock and level, which the tables ask for anyway: not another walk
            self.size = sum(self.counts().values())
        return self.size

    def counts(self) -> Counter[tuple[str, str]]:
        if self.by_level is None:
            self.by_level = Counter({(clock, level): n for clock, level, n in self.db.execute(
                f"SELECT clock, level, count(*) FROM crossing{self.where} GROUP BY clock, level")})
        return Counter(self.by_level)

    def by_case(self) -> Iterator[tuple]:
        # A row per case, its levels summed in it: a row per case and level was 3.6 million rows at a million cases.
        levels = ", ".join(f"sum(level = '{level}')" for level in LEVELS)  # `level` is in the index walked
        yield from self._all(f"SELECT case_id, {levels} FROM crossing{self.where} GROUP BY case_id")

    def recording_months(self) -> Counter[tuple[str, str, str]]:
        return Counter({(month, office, level): n for month, office, level, n in self.db.execute(
            f"SELECT month, office, level, count(*) FROM crossing{self._and(RECORDING)} "
            "GROUP BY month, office, level")})

    def listed_rows(self) -> Iterator[tuple]:
        """Each one's row read back from its line (the documents' preview; the CSV file copies the lines)."""
        for row in csv.reader(self.listed_lines()):
            yield (*row[:5], int(row[5]), *row[6:])  # the period a number, as listed_row gives it

    def listed_lines(self) -> Iterator[str]:
        cursor = self.db.execute(f"SELECT line FROM crossing{self.where} ORDER BY {LISTED}")
        while rows := cursor.fetchmany(BATCH):
            yield from map(itemgetter(0), rows)

    def reopened(self) -> SpilledCrossings:
        """The same crossings through a read-only connection of its own (a forked process must not use its parent's)."""
        return self.listing().opened()

    def listing(self) -> Listing:
        """How another process lists them again, from its own connection (`write_listing`)."""
        path = next(file for _, name, file in self.db.execute("PRAGMA database_list") if name == "main")
        return Listing(path, self.upto, self.cases)

    def _all(self, sql: str) -> Iterator[tuple]:
        cursor = self.db.execute(sql)
        while rows := cursor.fetchmany(BATCH):
            yield from rows


@dataclass(frozen=True)
class Listing:
    """A report's SLA events as another process finds them: their file, the rows the report covers, its cases."""

    path: str
    upto: int | None
    cases: frozenset[str] | None

    def opened(self) -> SpilledCrossings:
        """The crossings through a read-only connection of its own (close its `db` when done)."""
        return SpilledCrossings(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True), self.cases, self.upto)


def write_listing(listing: Listing, columns: Sequence[str], path: Path) -> Path:
    """`sla_events.csv` written from a read-only connection of its own: in a process beside the one computing the
    report's tables (at a million cases its 17.5 million lines take 9 s of the report's time)."""
    crossings = listing.opened()
    try:
        return write_lines(columns, crossings.listed_lines(), path)
    finally:
        crossings.db.close()


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
