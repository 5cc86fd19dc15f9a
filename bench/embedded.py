"""Benchmark 1: a situation report file to registered cases (and started clocks) in the embedded runtime.

Baseline in the same run: a bare loop that reads the same file, decodes each line and inserts it into SQLite in
batches of 500, with the runtime's own PRAGMAs: the most any Python pipeline could do with this file and SQLite.
A second one, the plumbing ceiling: the runtime's log, pump, inbox, outbox and relays carrying the same records
through the same three hops, with handlers that only pass each record on (no validation, no sealing, no domain rows).
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import Figure, Result, at_least, peak_rss_mib, recent_incidents, spawn

NAME = "embedded"
TITLE = "1. Intake to case, embedded runtime (SQLite)"
TARGET = 10_000


def child(params: dict[str, Any]) -> dict[str, Any]:
    if params.get("ceiling"):
        return ceiling(params, schedules=bool(params.get("schedules")))
    return baseline(params) if params.get("baseline") else pipeline(params)


def _workload(tmp: Path, count: int, now: datetime) -> Path:
    return recent_incidents(tmp / "sitrep.jsonl", count, now)


def pipeline(params: dict[str, Any]) -> dict[str, Any]:
    from services.config import Settings
    from services.embedded import EmbeddedRuntime
    from services.sealing import sitrep_outgoing
    from sitreps.files import read_sitrep

    count, now = int(params["incidents"]), datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="hrcase-bench-") as tmp:
        path = _workload(Path(tmp), count, now)
        runtime = EmbeddedRuntime(Settings(data_dir=Path(tmp) / "data"))
        started = time.perf_counter()
        runtime.submit(map(sitrep_outgoing, read_sitrep(path)))
        submitted = time.perf_counter()
        runtime.run_until_idle(now)
        seconds = time.perf_counter() - started
        cases = runtime.casework.read(lambda conn: conn.exec_driver_sql("select count(*) from cases").scalar())
        clocks = runtime.sla.open_clocks()
        rejected = runtime.intake.rejected_count()
    assert cases == count and clocks == count and rejected == 0, (cases, clocks, rejected)
    return {"incidents": count, "seconds": seconds, "submit_seconds": submitted - started,
            "rate": count / seconds, "peak_rss_mib": peak_rss_mib()}


def ceiling(params: dict[str, Any], schedules: bool = False) -> dict[str, Any]:
    """The design's plumbing alone: intake, casework and sla_monitor as the runtime joins them (one process, the log,
    a database per service with its inbox and outbox, offsets committed after effects), each handler sending one
    record on for each it reads (a new event id, as an event has) or, for sla_monitor, nothing.

    With `schedules`, sla_monitor sends one record back to casework for each case event, as it publishes a clock's
    schedule since the monitor became the one owner of deadlines (issue 17), and casework takes it: four messages an
    incident instead of three. The yardstick stays the three-hop ceiling; this one says what the fourth costs."""
    from sqlalchemy import MetaData, func, select

    from schemas.topics import CASE_EVENTS, INCIDENTS, SITREP_INCIDENTS, SLA_EVENTS
    from services.config import Settings
    from services.messaging.embedded import Consumer, EmbeddedLog, Pump
    from services.messaging.processing import BatchProcessor
    from services.messaging.sqlite import sqlite_engine
    from services.messaging.store import Mailboxes, inbox_table, outbox_table
    from services.sealing import sitrep_outgoing
    from sitreps.files import read_sitrep

    count, now = int(params["incidents"]), datetime.now(UTC)
    hops: tuple[tuple[str, tuple[str, ...], dict[str, str | None]], ...] = (
        ("intake", (SITREP_INCIDENTS,), {SITREP_INCIDENTS: INCIDENTS}),
        ("casework", (INCIDENTS, SLA_EVENTS), {INCIDENTS: CASE_EVENTS, SLA_EVENTS: None}),
        ("sla_monitor", (CASE_EVENTS,), {CASE_EVENTS: SLA_EVENTS if schedules else None}))
    with tempfile.TemporaryDirectory(prefix="hrcase-bench-") as tmp:
        path = _workload(Path(tmp), count, now)
        log = EmbeddedLog.open(Path(tmp) / "log.sqlite")
        consumers = []
        for name, topics, sinks in hops:
            engine = sqlite_engine(Path(tmp) / f"{name}.sqlite")
            tables = MetaData()
            mailboxes = Mailboxes(inbox_table(tables), outbox_table(tables))
            tables.create_all(engine)
            processor = BatchProcessor(engine=engine, mailboxes=mailboxes, topics=topics, producer=name,
                                       dead_letter_topic=f"{name}-dead-letter", handler=_passing_on(sinks))
            consumers.append(Consumer(name, processor, engine, mailboxes, log.subscriber(name, topics), log))
        pump = Pump(consumers, Settings().batch_size)
        started = time.perf_counter()
        log.publish([sitrep_outgoing(r) for r in read_sitrep(path)])
        while pump.step(now):
            pass
        seconds = time.perf_counter() - started
        last = consumers[1] if schedules else consumers[-1]  # with schedules, casework takes the last message
        with last.engine.connect() as conn:
            reached = conn.scalar(select(func.count()).select_from(last.mailboxes.inbox))
    assert reached == count * (2 if schedules else 1), (reached, count)
    return {"incidents": count, "seconds": seconds, "rate": count / seconds}


def _passing_on(sinks: dict[str, str | None]) -> Any:
    import uuid

    from services.messaging.ports import Outgoing
    from services.messaging.processing import PerMessage

    def handle(conn: Any, message: Any, now: datetime) -> list[Outgoing]:
        sink = sinks[message.topic]
        if sink is None:
            return []
        return [Outgoing(sink, message.key or message.position, message.value, {"event_id": str(uuid.uuid4())})]

    return PerMessage(handle)


def baseline(params: dict[str, Any]) -> dict[str, Any]:
    from sitreps.key import key_of

    count, now = int(params["incidents"]), datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="hrcase-bench-") as tmp:
        path = _workload(Path(tmp), count, now)
        db = sqlite3.connect(Path(tmp) / "bare.sqlite", isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            db.execute(f"PRAGMA {pragma}")
        db.execute("create table incidents (incident_key text primary key, office text, reported_at text, "
                   "record text not null)")
        started = time.perf_counter()
        batch: list[tuple[str, str, str, str]] = []
        with path.open("rb") as lines:
            for line in lines:
                record = json.loads(line)
                batch.append((key_of(record), record["office"],
                              record["reported_at"], line.decode()))
                if len(batch) == 500:
                    _insert(db, batch)
                    batch = []
        _insert(db, batch)
        seconds = time.perf_counter() - started
        stored = db.execute("select count(*) from incidents").fetchone()[0]
        db.close()
    assert stored == count
    return {"incidents": count, "seconds": seconds, "rate": count / seconds}


def _insert(db: sqlite3.Connection, batch: list[tuple[str, str, str, str]]) -> None:
    if batch:
        db.execute("BEGIN IMMEDIATE")
        db.executemany("insert into incidents values (?, ?, ?, ?)", batch)
        db.execute("COMMIT")


def run(incidents: int, runs: int, log: Any = print) -> Result:
    raw = []
    for n in range(runs):
        base = spawn(NAME, {"incidents": incidents, "baseline": True})
        got = spawn(NAME, {"incidents": incidents})
        plumbing = spawn(NAME, {"incidents": incidents, "ceiling": True})
        scheduled = spawn(NAME, {"incidents": incidents, "ceiling": True, "schedules": True})
        raw.append({"pipeline": got, "baseline": base, "ratio": got["rate"] / base["rate"], "ceiling": plumbing,
                    "ceiling_with_schedules": scheduled})
        log(f"  run {n + 1}/{runs}: {got['rate']:,.0f} incidents/s in {got['seconds']:.1f} s "
            f"(baseline {base['rate']:,.0f}/s, ratio {got['rate'] / base['rate']:.4f}; plumbing ceiling "
            f"{plumbing['rate']:,.0f}/s, with schedules {scheduled['rate']:,.0f}/s), "
            f"peak RSS {got['peak_rss_mib']:.0f} MiB")
    result = Result(NAME, TITLE, {"incidents": incidents, "runs": runs})
    result.figures = [
        at_least(Figure("incidents per second, file to cases and clocks", "/s", [r["pipeline"]["rate"] for r in raw]),
                 TARGET, f">= {TARGET:,}/s"),
        Figure("baseline: bare JSON lines to SQLite, batches of 500", "/s", [r["baseline"]["rate"] for r in raw]),
        Figure("ratio to baseline", "", [r["ratio"] for r in raw]),
        Figure("plumbing ceiling: log, inbox, outbox and relays, handlers passing records on", "/s",
               [r["ceiling"]["rate"] for r in raw]),
        Figure("hrcase's ratio to the plumbing ceiling", "",
               [r["pipeline"]["rate"] / r["ceiling"]["rate"] for r in raw]),
        Figure("plumbing ceiling with the monitor's schedules: a fourth message an incident, back to casework", "/s",
               [r["ceiling_with_schedules"]["rate"] for r in raw]),
        Figure("hrcase's ratio to the plumbing ceiling with schedules", "",
               [r["pipeline"]["rate"] / r["ceiling_with_schedules"]["rate"] for r in raw]),
        Figure("seconds for the whole file", "s", [r["pipeline"]["seconds"] for r in raw]),
        Figure("peak resident memory", "MiB", [r["pipeline"]["peak_rss_mib"] for r in raw]),
    ]
    result.raw = raw
    result.notes.append(
        f"{incidents:,} distinct incidents in one JSONL file (tests.factories), reported in the 12 hours before the "
        "run: each becomes an accepted incident, a registered case and a running recording clock (none due). "
        "Timed from reading the file to the three services idle; every run in a fresh process and data dir.")
    result.notes.append(
        "The plumbing ceiling (`ceiling` in bench/embedded.py) carries the same file through the same three hops as "
        "the runtime joins them: one process, the log, a database per service with its inbox and outbox, the relays, "
        "offsets committed after effects. Its handlers only send each record on (intake and casework) or take it "
        "(sla_monitor): no validation, no sealing, no cases or clocks. The most this design gives on this machine "
        "before the services' own work. It stays the yardstick. Since the monitor publishes every clock's schedule "
        "(issue 17), hrcase carries a fourth message an incident (the recording clock's schedule, back to casework), "
        "which the three-hop ceiling does not; the second ceiling carries it too, to tell that hop's cost from the "
        "services' own.")
    return result
