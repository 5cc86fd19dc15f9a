"""Benchmark 2 (and 6's workers): incidents through the three faust workers on Kafka and PostgreSQL, end to end.

Each run has fresh topics, groups and database (tests/system/kafka_cluster.py, under its lock). The clock starts when
the situation report's records start going to Kafka and stops when sla_monitor holds a recording clock for every
incident: published, validated, registered, clocks started. Baseline in the same run: a bare aiokafka consumer that
reads the same records from `sitrep-incidents` and produces one record for each (acks=all, idempotent, offsets
committed per batch), the most a Python pipeline on this broker can do. A second baseline, the faust ceiling
(bench/faust_ceiling.py): the same three hops as faust workers that only pass records on, on the same records.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import Figure, Result, at_least, median, spawn

NAME = "kafka"
TITLE = "2. Intake to case, Kafka and PostgreSQL, one worker per service"
TARGET, TARGET_RATIO = 5_000, 0.25
GROUPS = {"intake": "hrcase-intake", "casework": "hrcase-casework", "sla-monitor": "hrcase-sla_monitor"}


def child(params: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_baseline(params["bootstrap"], params["topic"], int(params["records"])))


async def _baseline(bootstrap: str, source: str, records: int) -> dict[str, Any]:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    sink = f"hrcase-bench-baseline-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="hrcase-bench-admin")
    admin.create_topics([NewTopic(sink, 6, 1)])
    consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap, group_id=sink, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await consumer.start()
    await producer.start()
    done, started = 0, None
    try:
        while done < records:
            batches = await consumer.getmany(timeout_ms=1000, max_records=500)
            if started is None and batches:
                started = time.perf_counter()  # from the first record: the group's join is not the loop's cost
            sent = [await producer.send(sink, r.value, key=r.key, headers=list(r.headers or ()))
                    for rs in batches.values() for r in rs]
            await asyncio.gather(*sent)
            if sent:
                await consumer.commit()
            done += len(sent)
        seconds = time.perf_counter() - (started or time.perf_counter())
    finally:
        await consumer.stop()
        await producer.stop()
        admin.delete_topics([sink])
        admin.close()
    return {"records": done, "seconds": seconds, "rate": done / seconds}


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for_groups(bootstrap: str, members: dict[str, int], timeout: float = 90,
                    check: Callable[[], None] | None = None) -> None:
    """Until each service's consumer group is stable with the expected members (partitions assigned); `check` raises
    when waiting longer is pointless (a worker exited)."""
    from kafka.admin import KafkaAdminClient

    from tests.system.kafka_cluster import wait_for

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="hrcase-bench-admin")
    try:
        def stable() -> bool:
            if check is not None:
                check()
            described = admin.describe_groups(list(members))
            return all(described[g]["group_state"] == "Stable" and len(described[g]["members"]) == n
                       for g, n in members.items())

        wait_for(stable, timeout, "the workers' consumer groups to be stable", interval=0.5)
    finally:
        admin.close()


def one_run(bootstrap: str, postgres_url: str, incidents: int, casework_workers: int,
            log: Any = print, ceiling: bool = False) -> dict[str, Any]:
    import logging

    from bench import faust_ceiling
    from bench.common import recent_incidents
    from services.messaging.kafka import KafkaPublisher
    from services.sealing import sitrep_outgoing
    from sitreps.files import read_sitrep
    from tests.system.kafka_cluster import kafka_stack, wait_for

    logging.getLogger("kafka").setLevel(logging.ERROR)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="hrcase-bench-") as tmp_name:
        tmp = Path(tmp_name)
        records = [sitrep_outgoing(r) for r in read_sitrep(recent_incidents(tmp / "sitrep.jsonl", incidents, now))]
        with kafka_stack(bootstrap, postgres_url, tmp) as stack:
            stack.cli("topics", "create")
            services = ["intake", *(["casework"] * casework_workers), "sla-monitor"]
            workers = [stack.worker(s) for s in services]
            for worker in workers:
                worker.wait_healthy(120)
            wait_for_groups(bootstrap, {GROUPS["intake"]: 1, GROUPS["casework"]: casework_workers,
                                        GROUPS["sla-monitor"]: 1})
            cpu_before = [cpu_seconds(w.process.pid) for w in workers]  # type: ignore[union-attr]
            stages: dict[str, float] = {}
            progress = {"intake": 0, "cases": 0, "clocks": 0}
            counts = {"intake": "select count(*) from intake.accepted_incidents",
                      "cases": "select count(*) from casework.cases",
                      "clocks": "select count(*) from sla_monitor.sla_clocks where clock = 'recording'"}
            counted = {"at": 0.0}

            def finished() -> bool:
                from sqlalchemy import text

                # A count scans its table (30 ms at 100,000 rows) on the cores the workers use: three of them four
                # times a second would take a third of a core by the end of a large run. A stage reached is not counted
                # again, and until the last stage is nine tenths done the counts run once a second.
                now = time.perf_counter()
                if progress["clocks"] < 0.9 * incidents and now - counted["at"] < 1.0:
                    return False
                counted["at"] = now
                todo = [name for name in counts if name not in stages]
                with stack.engine.connect() as conn:
                    row = conn.execute(text("select " + ", ".join(f"({counts[n]})" for n in todo))).one()
                for name, value in zip(todo, row, strict=True):
                    progress[name] = int(value)
                    if value >= incidents:
                        stages[name] = time.perf_counter() - started
                return progress["clocks"] >= incidents

            publisher = KafkaPublisher(bootstrap, client_id="hrcase-bench-sitrep")
            started = time.perf_counter()
            publisher.publish(records)
            published = time.perf_counter() - started
            publisher.close()
            wait_for(finished, max(300.0, incidents / 50), f"{incidents} recording clocks", lambda: str(progress),
                     interval=0.25)
            seconds = time.perf_counter() - started
            cpu = {f"{w.service}-{i}": cpu_seconds(w.process.pid) - before  # type: ignore[union-attr]
                   for i, (w, before) in enumerate(zip(workers, cpu_before, strict=True))}
            base = spawn("kafka_pipeline", {"bootstrap": bootstrap, "topic": "sitrep-incidents", "records": incidents})
            faust = faust_ceiling.one_run(bootstrap, records, tmp) if ceiling else None
    rate = incidents / seconds
    log(f"  {casework_workers} casework worker(s): {rate:,.0f} incidents/s in {seconds:.1f} s (published in "
        f"{published:.1f} s; intake done {stages.get('intake', 0):.1f} s, cases {stages.get('cases', 0):.1f} s); "
        f"baseline {base['rate']:,.0f}/s, ratio {rate / base['rate']:.3f}; worker CPU s "
        + ", ".join(f"{k} {v:.0f}" for k, v in cpu.items())
        + (f"; faust ceiling {faust['rate']:,.0f}/s, hop CPU s "
           + ", ".join(f"{v:.0f}" for v in faust["hop_cpu_seconds"]) if faust else ""))
    return {"incidents": incidents, "casework_workers": casework_workers, "seconds": seconds, "rate": rate,
            "published_seconds": published, "stages": stages, "worker_cpu_seconds": cpu, "baseline": base,
            "ratio": rate / base["rate"], **({"faust_ceiling": faust} if faust else {})}


def figures(raw: list[dict[str, Any]], prefix: str = "") -> list[Figure]:
    return [
        at_least(Figure(f"{prefix}incidents per second, end to end", "/s", [r["rate"] for r in raw]),
                 TARGET, f">= {TARGET:,}/s"),
        Figure(f"{prefix}baseline: bare aiokafka consume and produce", "/s", [r["baseline"]["rate"] for r in raw]),
        at_least(Figure(f"{prefix}ratio to baseline", "", [r["ratio"] for r in raw]), TARGET_RATIO,
                 f">= {TARGET_RATIO}"),
        Figure(f"{prefix}seconds until every clock started", "s", [r["seconds"] for r in raw]),
    ]


def run(bootstrap: str, postgres_url: str, incidents: int, runs: int, casework_workers: list[int],
        log: Any = print) -> Result:
    result = Result(NAME, TITLE, {"incidents": incidents, "runs": runs})
    raw = [one_run(bootstrap, postgres_url, incidents, 1, log, ceiling=True) for _ in range(runs)]
    ceilings = [r["faust_ceiling"] for r in raw]
    result.figures = [
        *figures(raw),
        Figure("faust ceiling: the three hops as faust workers passing records on, nothing else", "/s",
               [c["rate"] for c in ceilings]),
        Figure("faust ceiling's ratio to the aiokafka baseline", "",
               [c["rate"] / r["baseline"]["rate"] for c, r in zip(ceilings, raw, strict=True)]),
        Figure("hrcase's ratio to the faust ceiling", "",
               [r["rate"] / c["rate"] for c, r in zip(ceilings, raw, strict=True)]),
    ]
    result.raw = raw
    cpu_rows = []
    for hop, service in enumerate(("intake-0", "casework-1", "sla-monitor-2")):
        worker = median([r["worker_cpu_seconds"][service] for r in raw])
        alone = median([c["hop_cpu_seconds"][hop] for c in ceilings])
        cpu_rows.append([service.rsplit("-", 1)[0], worker, worker / (incidents / 1000), alone / (incidents / 1000)])
    result.tables.append({"title": "CPU seconds each worker used during the run, and its faust hop alone (median)",
                          "columns": ["worker", "CPU s", "CPU ms per incident", "faust hop alone, CPU ms per incident"],
                          "rows": cpu_rows})
    result.notes.append(
        f"{incidents:,} distinct incidents reported in the 12 hours before the run, published with the idempotent "
        "acks=all producer of `hrcase sitrep publish` (6 partitions) as read from the file, identities in the clear: "
        "intake seals them, as it does for any outside producer (`hrcase sitrep publish` seals them itself and intake "
        "opens them instead, at the same cost: 9 us a record either way). One worker per service (faust, batches of "
        "up to 2,000, concurrency 1), PostgreSQL 127.0.0.1:55432; everything (broker, database, workers, this "
        "harness) on the same 2 cores.")
    result.notes.append(
        "The faust ceiling (bench/faust_ceiling.py) runs after each pipeline run, on the same records: three faust "
        "workers with the hrcase workers' app settings and producer, taking the same batches; the first two send one "
        "record on for each they read, the third only counts. No validation, no database, no outbox: the most the "
        "decided stack gives on this machine before hrcase's own code runs. Its hops' CPU, per incident, is in the "
        "last column above.")
    return result
