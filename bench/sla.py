"""Benchmark 4 (and 6's clock sizes): the SLA monitor with many open clocks, on SQLite and on PostgreSQL.

The clocks are made by the monitor's own domain functions (`start`, `fire`) and written straight into its table:
building a million through the pipeline would measure the pipeline again. Most are quiet (started in the last two
days: nothing due for a day or more); a burst of them has its recording breach due at one instant.

In-process (a fresh interpreter per database and size): the cost of a tick when nothing is due, against a bare
indexed `SELECT ... LIMIT 1` on the same table; the time for the tick that fires the burst (clocks to outbox) and the
relay that puts the breaches on the log (the embedded log on SQLite, a Kafka topic of the run's own on PostgreSQL);
the monitor's resident memory.

On Kafka: the real `hrcase worker sla-monitor` (a tick four times a second) over the PostgreSQL table; a deadline set a
few seconds ahead; the time from the deadline until its breach is read from `sla-events`, for one clock and for the
burst.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Figure, Result, at_most, hwm_mib, median, peak_rss_mib, percentile, rss_mib, spawn

NAME = "sla"
TITLE = "4. SLA monitor at scale"
OFFICES = ("Bamako", "Mopti", "Gao", "Timbuktu", "Kidal", "Menaka")
BURST_PREFIX = "burst-"


# ------------------------------------------------------------------------------------------------ making clocks

def quiet_rows(count: int, now: datetime, seed: int = 5) -> Iterator[dict[str, Any]]:
    """Recording clocks started in the two days before `now`: the next threshold (a warning) is a day or more away."""
    from services.sla_monitor.adapters.policy_file import load
    from services.sla_monitor.adapters.repository import _row
    from services.sla_monitor.domain.clocks import start

    policy, rng = load(None), random.Random(seed)
    for n in range(count):
        payload = {"case_id": f"case-{n:08d}", "reference": f"{OFFICES[n % 6][:3].upper()}-2026-{n:07d}",
                   "office": OFFICES[n % 6], "stage": "reported", "assignee": None}
        yield _row(start("recording", payload, now - timedelta(minutes=rng.randint(1, 2 * 24 * 60)), policy))


def burst_rows(count: int, due: datetime, tag: str) -> Iterator[dict[str, Any]]:
    """Recording clocks whose warning has fired and whose breach falls due at `due`, all at once."""
    from services.sla_monitor.adapters.policy_file import load
    from services.sla_monitor.adapters.repository import _row
    from services.sla_monitor.domain.clocks import fire, start

    policy = load(None)
    anchor = due - timedelta(days=policy.recording.goal_days)
    for n in range(count):
        payload = {"case_id": f"{BURST_PREFIX}{tag}-{n:07d}", "reference": f"GAO-2026-B{n:06d}",
                   "office": OFFICES[n % 6], "stage": "reported", "assignee": None}
        clock, _ = fire(start("recording", payload, anchor, policy),
                        anchor + timedelta(days=policy.recording.warning_days), policy)
        assert clock.next_due == due
        yield _row(clock)


def write_rows(engine: Any, rows: Iterator[dict[str, Any]], schema: str | None) -> int:
    """Bulk-load clock rows: COPY on PostgreSQL, executemany in chunks on SQLite."""
    from sqlalchemy import insert

    from services.sla_monitor.adapters.tables import clocks

    written = 0
    if engine.dialect.name == "postgresql":
        columns = [c.name for c in clocks.columns]
        with engine.begin() as conn:
            raw = conn.connection.driver_connection
            with raw.cursor().copy(f'COPY "{schema}".sla_clocks ({", ".join(columns)}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
                    written += 1
        return written
    chunk: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for row in rows:
            chunk.append(row)
            if len(chunk) == 20_000:
                conn.execute(insert(clocks), chunk)
                written, chunk = written + len(chunk), []
        if chunk:
            conn.execute(insert(clocks), chunk)
            written += len(chunk)
    return written


def engine_for(db: dict[str, Any]) -> tuple[Any, str | None]:
    """The monitor's engine, as the runtimes make it: a SQLite file, or the `sla_monitor` schema in PostgreSQL."""
    from sqlalchemy import create_engine

    from services.messaging.sqlite import sqlite_engine

    if db["kind"] == "sqlite":
        return sqlite_engine(db["path"]), None
    engine = create_engine(db["url"], pool_size=2)
    return engine.execution_options(schema_translate_map={None: "sla_monitor"}), "sla_monitor"


def populate(db: dict[str, Any], clocks: int, now: datetime) -> float:
    from services.sla_monitor import bootstrap

    engine, schema = engine_for(db)
    bootstrap.migrate(engine, schema)
    started = time.perf_counter()
    write_rows(engine, quiet_rows(clocks, now), schema)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


# ------------------------------------------------------------------------------------------- in-process measures

def child(params: dict[str, Any]) -> dict[str, Any]:
    if params.get("populate"):
        return {"seconds": populate(params["db"], int(params["clocks"]), datetime.fromisoformat(params["now"]))}
    return measure(params)


def _reset_burst(engine: Any, schema: str | None, burst: int, due: datetime, tag: str) -> None:
    from sqlalchemy import delete

    from services.sla_monitor.adapters.tables import clocks, emitted, outbox

    with engine.begin() as conn:
        conn.execute(delete(clocks).where(clocks.c.case_id.like(f"{BURST_PREFIX}%")))
        conn.execute(delete(emitted))
        conn.execute(delete(outbox))
    write_rows(engine, burst_rows(burst, due, tag), schema)


def _bare_select(engine: Any, schema: str | None, t: datetime, repeat: int) -> list[float]:
    """The floor under a tick: the indexed head-of-queue query alone, on a raw driver connection."""
    table = f'"{schema}".sla_clocks' if schema else "sla_clocks"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            sql = f"SELECT case_id FROM {table} WHERE running AND next_due <= %s ORDER BY next_due LIMIT 1"
            value: Any = t
        else:
            sql = f"SELECT case_id FROM {table} WHERE running = 1 AND next_due <= ? ORDER BY next_due LIMIT 1"
            value = t.replace(tzinfo=None).isoformat(sep=" ")
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            cursor.execute(sql, (value,))
            assert cursor.fetchone() is None
            times.append(time.perf_counter() - started)
        raw.rollback()
        return times
    finally:
        raw.close()


class _RenamingPublisher:
    """Relays to a topic of the run's own (the hrcase topic names belong to whoever holds the tests' lock)."""

    def __init__(self, inner: Any, topic: str):
        self.inner, self.topic = inner, topic

    def publish(self, records: list[Any]) -> None:
        from dataclasses import replace

        self.inner.publish([replace(r, topic=self.topic) for r in records])


def measure(params: dict[str, Any]) -> dict[str, Any]:
    from services.sla_monitor import bootstrap
    from services.sla_monitor.adapters.policy_file import load

    db, burst, ticks = params["db"], int(params["burst"]), int(params.get("ticks", 200))
    engine, schema = engine_for(db)
    monitor = bootstrap.build(engine, load(None))
    now = datetime.now(UTC)
    due = now + timedelta(hours=1)  # the burst: after every quiet tick below, before any quiet clock's warning
    _reset_burst(engine, schema, burst, due, uuid.uuid4().hex[:6])
    started = time.perf_counter()
    assert monitor.tick(now) == 0
    first_tick = time.perf_counter() - started  # adopts the policy: a scan, once per start
    quiet = []
    for _ in range(ticks):
        started = time.perf_counter()
        assert monitor.tick(now) == 0
        quiet.append(time.perf_counter() - started)
    bare = _bare_select(engine, schema, now, ticks)
    rss_quiet = rss_mib()
    started = time.perf_counter()
    fired = monitor.tick(due)
    tick_burst = time.perf_counter() - started
    assert fired == burst, (fired, burst)
    publisher, cleanup, limit = _publisher(db)
    try:
        started = time.perf_counter()
        relayed = 0
        while n := monitor.mailboxes.relay(engine, publisher, limit):
            relayed += n
        relay_seconds = time.perf_counter() - started
    finally:
        cleanup()
    assert relayed == burst
    open_clocks = monitor.open_clocks()
    engine.dispose()
    return {"db": db["kind"], "open_clocks": open_clocks, "first_tick_s": first_tick,
            "quiet_tick_ms": median(quiet) * 1000, "quiet_tick_p95_ms": percentile(quiet, 95) * 1000,
            "bare_select_ms": median(bare) * 1000, "burst": burst, "burst_tick_s": tick_burst,
            "burst_relay_s": relay_seconds, "burst_total_s": tick_burst + relay_seconds,
            "rss_quiet_mib": rss_quiet, "peak_rss_mib": peak_rss_mib()}


def _publisher(db: dict[str, Any]) -> tuple[Any, Any, int]:
    """What the runtime relays to, and the records it relays at a time: the embedded log; or on Kafka the worker's own
    publisher (aiokafka on an event loop, here in a thread of its own) connected and knowing the topic's leaders, as
    in a running worker, and the worker's relay batch."""
    if db["kind"] == "sqlite":
        from services.messaging.embedded import EmbeddedLog

        log = EmbeddedLog.open(Path(db["path"]).with_name("log.sqlite"))
        return log, log.engine.dispose, 1000
    import asyncio

    from kafka.admin import KafkaAdminClient, NewTopic

    from services.messaging.faust_worker import LoopPublisher, WorkerOptions
    from services.messaging.ports import Outgoing

    topic = f"hrcase-bench-sla-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=db["bootstrap"], client_id="hrcase-bench-admin")
    admin.create_topics([NewTopic(topic, 6, 1)])
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="hrcase-bench-sla-loop", daemon=True)
    thread.start()
    kafka = LoopPublisher(db["bootstrap"], "hrcase-bench-sla")
    kafka.loop = loop
    publisher = _RenamingPublisher(kafka, topic)
    publisher.publish([Outgoing(topic, "warm-up", b"{}", {})])

    def cleanup() -> None:
        asyncio.run_coroutine_threadsafe(kafka.close(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
        admin.delete_topics([topic])
        admin.close()

    return publisher, cleanup, WorkerOptions.relay_batch


@contextmanager
def database(kind: str, postgres_url: str, bootstrap: str) -> Iterator[dict[str, Any]]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="hrcase-bench-") as tmp:
            yield {"kind": "sqlite", "path": str(Path(tmp) / "sla_monitor.sqlite")}
        return
    from tests.system.kafka_cluster import fresh_database

    with fresh_database(postgres_url) as url:
        yield {"kind": "postgres", "url": url, "bootstrap": bootstrap}


def in_process(kind: str, postgres_url: str, bootstrap: str, clocks: int, burst: int, runs: int,
               log: Any = print) -> list[dict[str, Any]]:
    """Populate once, then measure `runs` times, each in a fresh interpreter."""
    with database(kind, postgres_url, bootstrap) as db:
        filled = spawn("sla", {"populate": True, "db": db, "clocks": clocks - burst,
                               "now": datetime.now(UTC).isoformat()})
        out = []
        for n in range(runs):
            got = spawn("sla", {"db": db, "burst": burst})
            out.append(got)
            log(f"  {kind} {clocks:,} clocks, run {n + 1}/{runs}: quiet tick {got['quiet_tick_ms']:.2f} ms "
                f"(bare select {got['bare_select_ms']:.3f} ms), {burst:,} breaches: tick {got['burst_tick_s']:.2f} s "
                f"+ relay {got['burst_relay_s']:.2f} s; RSS {got['peak_rss_mib']:.0f} MiB "
                f"(populated in {filled['seconds']:.0f} s)")
        return out


# ----------------------------------------------------------------------------------------------- on Kafka, live

class _Arrivals:
    """Reads `sla-events` from its current end in a thread, noting when each breach arrived (wall clock)."""

    def __init__(self, bootstrap: str):
        from kafka import KafkaConsumer, TopicPartition

        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                                      client_id="hrcase-bench-arrivals", fetch_max_wait_ms=50)
        parts = [TopicPartition("sla-events", p) for p in sorted(self.consumer.partitions_for_topic("sla-events"))]
        self.consumer.assign(parts)
        self.consumer.seek_to_end(*parts)
        for tp in parts:
            self.consumer.position(tp)
        self.seen: dict[str, float] = {}  # case id -> arrival
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import json

        while not self._stop.is_set():
            for records in self.consumer.poll(timeout_ms=50, max_records=5000).values():
                arrived = time.time()
                for r in records:
                    event = json.loads(r.value)
                    if event["type"] == "SlaBreached":
                        self.seen.setdefault(event["payload"]["case_id"], arrived)

    def wait(self, case_ids: list[str], timeout: float) -> list[float]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not all(c in self.seen for c in case_ids):
            time.sleep(0.01)
        missing = [c for c in case_ids if c not in self.seen]
        assert not missing, f"{len(missing)} breaches never arrived"
        return [self.seen[c] for c in case_ids]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.consumer.close()


def live(bootstrap: str, postgres_url: str, clocks: int, burst: int, rounds: int, log: Any = print) -> dict[str, Any]:
    from sqlalchemy import create_engine

    from tests.system.kafka_cluster import kafka_stack

    with tempfile.TemporaryDirectory(prefix="hrcase-bench-") as tmp, \
            kafka_stack(bootstrap, postgres_url, Path(tmp)) as stack:
        stack.cli("topics", "create")
        db = {"kind": "postgres", "url": stack.database_url, "bootstrap": bootstrap}
        filled = spawn("sla", {"populate": True, "db": db, "clocks": clocks - burst,
                               "now": datetime.now(UTC).isoformat()})
        worker = stack.worker("sla-monitor").wait_healthy(120)
        pid = worker.process.pid  # type: ignore[union-attr]
        time.sleep(3)  # its first tick adopts the policy (a scan of the table, once per start)
        rss_idle = rss_mib(pid)
        engine = create_engine(stack.database_url).execution_options(schema_translate_map={None: "sla_monitor"})
        arrivals = _Arrivals(bootstrap)
        try:
            single = []
            for n in range(rounds):
                due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
                write_rows(engine, burst_rows(1, due, f"one{n}"), "sla_monitor")
                [arrived] = arrivals.wait([f"{BURST_PREFIX}one{n}-0000000"], 60)
                single.append(arrived - due.timestamp())
            due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
            write_rows(engine, burst_rows(burst, due, "all"), "sla_monitor")
            assert datetime.now(UTC) < due, "the burst was written after its deadline: raise the lead time"
            times = arrivals.wait([f"{BURST_PREFIX}all-{n:07d}" for n in range(burst)], 300)
        finally:
            arrivals.close()
            engine.dispose()
        rss, peak = rss_mib(pid), hwm_mib(pid)
    result = {"open_clocks": clocks + rounds, "single_delay_s": single, "burst": burst,
              "burst_first_s": min(times) - due.timestamp(), "burst_last_s": max(times) - due.timestamp(),
              "worker_rss_idle_mib": rss_idle, "worker_rss_mib": rss, "worker_peak_rss_mib": peak,
              "populate_s": filled["seconds"]}
    log(f"  live worker, {clocks:,} clocks: deadline to breach on sla-events "
        f"{', '.join(f'{s:.2f}' for s in single)} s; {burst:,} breaches: first {result['burst_first_s']:.2f} s, "
        f"last {result['burst_last_s']:.2f} s after the deadline; worker RSS {rss:.0f} MiB (peak {peak:.0f})")
    return result


def run(bootstrap: str, postgres_url: str, clocks: int, burst: int, runs: int, log: Any = print) -> Result:
    result = Result(NAME, TITLE, {"clocks": clocks, "burst": burst, "runs": runs})
    sqlite = in_process("sqlite", postgres_url, bootstrap, clocks, burst, runs, log)
    postgres = in_process("postgres", postgres_url, bootstrap, clocks, burst, runs, log)
    live_runs = [live(bootstrap, postgres_url, clocks, burst, 3, log) for _ in range(runs)]
    result.raw = [{"sqlite": sqlite, "postgres": postgres, "live": live_runs}]
    delays = [d for r in live_runs for d in r["single_delay_s"]]
    result.figures = [
        at_most(Figure("tick with nothing due, PostgreSQL", "ms", [r["quiet_tick_ms"] for r in postgres]), 10,
                "< 10 ms"),
        Figure("  baseline: bare indexed SELECT ... LIMIT 1, PostgreSQL", "ms",
               [r["bare_select_ms"] for r in postgres]),
        at_most(Figure("tick with nothing due, SQLite (embedded)", "ms", [r["quiet_tick_ms"] for r in sqlite]), 10,
                "< 10 ms"),
        Figure("  baseline: bare indexed SELECT ... LIMIT 1, SQLite", "ms", [r["bare_select_ms"] for r in sqlite]),
        at_most(Figure(f"{burst:,} breaches due at once, deadline to last on sla-events (live worker)", "s",
                       [r["burst_last_s"] for r in live_runs]), 2, "< 2 s"),
        Figure(f"  of which: tick firing {burst:,} clocks into the outbox, PostgreSQL", "s",
               [r["burst_tick_s"] for r in postgres]),
        Figure(f"  of which: relay of {burst:,} breaches to a Kafka topic", "s",
               [r["burst_relay_s"] for r in postgres]),
        at_most(Figure(f"{burst:,} breaches, tick and relay, SQLite (embedded)", "s",
                       [r["burst_total_s"] for r in sqlite]), 2, "< 2 s"),
        at_most(Figure("deadline to its breach on sla-events (one clock, live worker)", "s", delays), 2, "< 2 s"),
        at_most(Figure("sla-monitor worker resident memory, peak (live, PostgreSQL)", "MiB",
                       [r["worker_peak_rss_mib"] for r in live_runs]), 1024, "< 1 GiB"),
        at_most(Figure("monitor resident memory, peak (in process, SQLite)", "MiB",
                       [r["peak_rss_mib"] for r in sqlite]), 1024, "< 1 GiB"),
    ]
    result.notes.append(
        f"{clocks:,} open recording clocks ({clocks - burst:,} quiet, {burst:,} with their breach due at one instant), "
        "written with the monitor's domain functions. Quiet ticks: median of 200 in each run, after the first tick "
        "(which adopts the policy with one scan per start; not a per-tick cost). The live figures are measured by a "
        "consumer reading `sla-events` on the same machine: the worker ticks four times a second and relays right "
        "after a tick that fired, so a deadline waits up to a quarter of a second for its tick by design. The "
        "in-process relay to Kafka uses the worker's publisher and relay batch, its producer already connected.")
    return result
