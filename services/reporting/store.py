"""The reporting store (ADR 0027): what the report's reading keeps, kept as the log grows, in its own SQLite file in the
data dir; each `hrcase report` (or `hrcase report-store`) folds only the records that arrived since the offset it
holds, and a report whose scope it can answer is computed from it instead of from the whole log."""

from __future__ import annotations

import hashlib
import json
import pickle
import sqlite3
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from schemas import vocabulary
from services.messaging.ports import Message
from services.private_files import private_file
from services.reporting.adapters.log_source import REPORT_ORDER, events_of
from services.reporting.adapters.spill import CrossingFile, micros
from services.reporting.domain.events import Event, HeldCrossings
from services.reporting.domain.model import Scope, end_of, start_of
from services.reporting.domain.reading import CASES, INCIDENTS, REJECTED, Digest, Reading
from services.reporting.domain.sdg import Tally as SdgTally
from services.reporting.whatif import Tally
from services.sla_monitor.domain.policy import Policy

FILE = "reporting.sqlite"
FORMAT = "4"  # of the state and rows kept: another is rebuilt from the log
# The store folds with no report date: every event counts. A report dated at or after the latest instant any event
# carries (its time, an incident's report time) filters out nothing, and so equals the reading from the log.
UNBOUNDED = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
SCHEMA = """
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS store_state (id INTEGER PRIMARY KEY CHECK (id = 1), reading BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS incident (key TEXT NOT NULL, office TEXT NOT NULL, reported_us INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS incident_reported ON incident (reported_us);
"""


class Kept(Reading):
    """The store's reading: every event, with no report date and no period or office; what the log's reading keeps
    of a period's incidents and rejections (their keys, the SDG counts, a count) is kept so that any period and office
    can be answered: incidents' keys in their table, SDG counts per office and day reported, each rejection's time."""

    def __init__(self, policy: Policy) -> None:
        super().__init__(Scope(as_of=UNBOUNDED), vocabulary.current(), fallback=Tally(UNBOUNDED, policy))
        self.sdg_by_day: dict[tuple[str, date], SdgTally] = {}
        self.rejections: list[datetime] = []
        self.arrived: list[tuple[str, str, int]] = []  # incidents read since the last save: (key, office, reported)

    def add(self, kind: str, event: Event) -> None:
        if kind == INCIDENTS:
            p = event.payload
            reported, office = p["reported_at"], sys.intern(p["office"])
            self.arrived.append((event.key, office, micros(reported)))
            day = (office, reported.astimezone(UTC).date())
            tally = self.sdg_by_day.get(day)
            if tally is None:
                tally = self.sdg_by_day[day] = SdgTally(vocabulary.current())
            tally.add(p)
        elif kind == REJECTED:
            self.rejections.append(event.occurred_at)
        else:
            super().add(kind, event)

    def scoped(self, scope: Scope, keys: list[str], sources: Mapping[str, int]) -> Digest:
        """The digest of `scope` (dated at or after every event kept): as the log's reading of it would give."""
        self.scope, self.incidents = scope, keys
        self.sdg = SdgTally(vocabulary.current())
        for (office, day), tally in self.sdg_by_day.items():
            if _covers_day(scope, office, day):
                _add_tally(self.sdg, tally)
        self.rejected = sum(1 for at in self.rejections if scope.start is None or at >= scope.start)
        return self.digest(sources)


def _covers_day(scope: Scope, office: str, day: date) -> bool:
    """Every instant of `day` is in the scope's period (its bounds are whole days), for its office."""
    return ((scope.start is None or start_of(day) >= scope.start) and (scope.end is None or end_of(day) <= scope.end)
            and (scope.office is None or office == scope.office))


def _whole_days(scope: Scope) -> bool:
    return ((scope.start is None or scope.start == start_of(scope.start.astimezone(UTC).date()))
            and (scope.end is None or scope.end == end_of(scope.end.astimezone(UTC).date())))


def _add_tally(into: SdgTally, tally: SdgTally) -> None:
    for key, n in tally.by_violation.items():
        into.by_violation[key] = into.by_violation.get(key, 0) + n
    for group, n in tally.victims.items():
        into.victims[group] = into.victims.get(group, 0) + n
    into.n += tally.n
    into.with_people += tally.with_people
    into.unnamed += tally.unnamed


class Log(Protocol):
    """The embedded log as the store reads it: one global sequence of offsets over every topic."""

    def end_offset(self) -> int: ...

    def stream_topic(self, topic: str, chunk: int = 5_000, after: int = 0,
                     end: int | None = None) -> Iterator[Message]: ...


@dataclass(frozen=True)
class CaughtUp:
    records: int  # read this time
    offset: int  # the log's offset folded up to
    latest: datetime | None  # the latest instant of any event folded (None: nothing yet)
    rebuilt: bool  # started from nothing (no store yet, another format, policy or vocabularies)


class ReportingStore:
    def __init__(self, path: Path) -> None:
        private_file(path)
        self.db = sqlite3.connect(path, isolation_level=None, timeout=600)
        self.db.executescript("PRAGMA journal_mode=WAL;" + SCHEMA)
        self.crossings = CrossingFile(self.db, listing_kept=True)
        self.kept: Kept | None = None  # the state as the last catch-up left it, while this process holds it
        self.snapshot: dict[str, str] = {}  # the meta that goes with it

    @classmethod
    def of_data_dir(cls, data_dir: Path) -> ReportingStore:
        return cls(Path(data_dir) / FILE)

    def close(self) -> None:
        self.db.close()

    def meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM store_meta").fetchall())

    def catch_up(self, log: Log, policy: Policy) -> CaughtUp:
        """Fold what arrived on the log since the offset held, in one transaction with that offset."""
        self.db.execute("BEGIN IMMEDIATE")  # one writer: a second report waits for the first's catch-up
        try:
            meta, key = self.meta(), _key(policy)
            rebuilt = meta.get("key") != key
            if rebuilt:
                self.crossings.drop()
                self.db.execute("DELETE FROM store_state")
                meta = {}
                self.db.execute("DELETE FROM incident")
                reading = Kept(policy)
            after, end = int(meta.get("offset", 0)), log.end_offset()
            if not rebuilt and end == after:  # nothing new: the state is not even read here
                self.db.execute("COMMIT")
                self.kept = None  # read with its bounds by the report, in one read transaction
                return CaughtUp(0, end, _instant(meta.get("latest")), False)
            if not rebuilt:
                reading = self._state()
            reading.crossings = self.crossings
            read: dict[str, int] = json.loads(meta.get("sources", "{}"))
            before = sum(read.values())
            latest = _instant(meta.get("latest"))
            messages = (m for topic in REPORT_ORDER for m in log.stream_topic(topic, after=after, end=end))
            for kind, event in events_of(messages, read):
                reading.add(kind, event)
                latest = _later(latest, kind, event)
            self.crossings.flush()
            self.db.executemany("INSERT INTO incident VALUES (?, ?, ?)", reading.arrived)
            reading.arrived = []
            records = sum(read.values()) - before
            if records or rebuilt:
                reading.crossings = HeldCrossings()  # the rows are in their table, not in the state
                self.db.execute("INSERT OR REPLACE INTO store_state VALUES (1, ?)",
                                (pickle.dumps(reading, pickle.HIGHEST_PROTOCOL),))
            # What this offset's state covers of the rows: a report reads no row a later catch-up adds meanwhile.
            seq = self.db.execute("SELECT coalesce(max(seq), 0) FROM crossing").fetchone()[0]
            rowid = self.db.execute("SELECT coalesce(max(rowid), 0) FROM incident").fetchone()[0]
            self.db.executemany("INSERT OR REPLACE INTO store_meta VALUES (?, ?)", [
                ("key", key), ("offset", str(end)), ("sources", json.dumps(read, sort_keys=True)),
                ("latest", latest.isoformat() if latest else ""), ("crossing_seq", str(seq)),
                ("incident_rowid", str(rowid))])
            self.snapshot = self.meta()
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.kept = reading  # the report that caught it up reads it next: not loaded twice
        return CaughtUp(records, end, latest, rebuilt)

    def _state(self) -> Kept:
        row = self.db.execute("SELECT reading FROM store_state").fetchone()
        reading = pickle.loads(row[0]) if row is not None else None
        if not isinstance(reading, Kept):
            raise ValueError("the reporting store's state is missing or not this version's: delete reporting.sqlite")
        return reading

    def digest(self, scope: Scope) -> tuple[Digest | None, str]:
        """The digest of `scope` from the store, or None and why the store cannot answer it (read the log)."""
        if self.kept is None:
            self.db.execute("BEGIN")  # the state and its bounds read together: a catch-up elsewhere may commit
            try:
                self.snapshot = self.meta()
                why = _refusal(scope, self.snapshot)
                if not why:
                    self.kept = self._state()
            finally:
                self.db.execute("COMMIT")
        else:
            why = _refusal(scope, self.snapshot)
        if why or self.kept is None:
            return None, why
        reading, self.kept = self.kept, None
        self.crossings.upto = int(self.snapshot["crossing_seq"])
        reading.crossings = self.crossings
        return reading.scoped(scope, self._keys(scope), json.loads(self.snapshot.get("sources", "{}"))), ""

    def _keys(self, scope: Scope) -> list[str]:
        """The keys of the scope's accepted incidents, in the order they were read (as the log's reading lists them)."""
        where, args = ["reported_us <= ?"], [micros(scope.as_of)]
        if scope.start is not None:
            where.append("reported_us >= ?")
            args.append(micros(scope.start))
        if scope.end is not None:
            where.append("reported_us <= ?")
            args.append(micros(scope.end))
        if scope.office is not None:
            where.append("office = ?")
            args.append(scope.office)  # type: ignore[arg-type]
        where.append("rowid <= ?")
        args.append(int(self.snapshot["incident_rowid"]))
        sql = f"SELECT key FROM incident WHERE {' AND '.join(where)} ORDER BY rowid"
        return [sys.intern(k) for (k,) in self.db.execute(sql, args)]


def _refusal(scope: Scope, meta: Mapping[str, str]) -> str:
    """Why the store cannot answer `scope` ("" when it can)."""
    if "crossing_seq" not in meta:
        return "the reporting store is empty"
    if not _whole_days(scope):
        return "the reporting store answers periods of whole days only"
    latest = _instant(meta.get("latest"))
    if latest is not None and scope.as_of < latest:
        return f"the report date is before the latest event the reporting store holds ({latest:%d %B %Y %H:%M} UTC)"
    return ""


def _key(policy: Policy) -> str:
    """What the kept state depends on beyond the log: its format, the vocabularies' SDG terms (counted as incidents
    arrive) and the policy replayed over a log without the monitor's schedules."""
    terms = vocabulary.current()
    sdg = sorted((t.code, bool(t.sdg_16_10_1)) for t in terms["occupation_categories"].terms)
    mapped = sorted((t.code, t.sdg_16_10_1_violation or "") for t in terms["violation_types"].terms)
    blob = json.dumps([FORMAT, sdg, mapped, policy.version], sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _later(latest: datetime | None, kind: str, event: Event) -> datetime:
    """The latest instant a report's date filters on: each event's time, and the report time of incidents and cases."""
    at = event.occurred_at
    if kind in (INCIDENTS, CASES):
        reported = event.payload.get("reported_at")
        if isinstance(reported, datetime) and reported > at:
            at = reported
    return at if latest is None or at > latest else latest

