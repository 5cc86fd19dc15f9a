"""Benchmark 3: at a steady rate offered, the time from publishing an incident to its case being readable in the API.

Kafka and PostgreSQL, one worker per service; the casework worker serves its HTTP API. A publisher sends incidents at
the offered rate (a batch every 10 ms, each record timed as it is handed to the producer, which waits for acks=all).
One incident in `sample` is followed: a watcher asks PostgreSQL every 10 ms which followed cases exist (cheap, and
leaves the API alone), and for each new one asks the API, `GET /cases/{id}` with a Director's token; the latency is
from publishing to that answer's 200. Following every incident through the API would double its load.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Figure, Result, at_most, percentile

NAME = "latency"
TITLE = "3. Latency, publish to case readable through the API, Kafka and PostgreSQL"
TARGET_P99_MS = 500


def _api_token(engine: Any) -> str:
    from services.casework.adapters import repository as repo
    from services.casework.adapters import token_store
    from services.casework.domain.roles import User

    now = datetime.now(UTC)
    with engine.begin() as conn:
        repo.save_user(conn, User("bench-director", "director", "Bamako"))
        return token_store.create(conn, "bench-director", now, now + timedelta(days=1), "benchmark").value


def one_run(bootstrap: str, postgres_url: str, rate: int, seconds: float, sample: int, warmup: float,
            log: Any = print) -> dict[str, Any]:
    import logging

    from kafka import KafkaProducer
    from sqlalchemy import create_engine, text

    from bench.kafka_pipeline import GROUPS, wait_for_groups
    from services.casework.domain.reference import case_id_for
    from sitreps.key import incident_key
    from tests.factories import OFFICES, incident
    from tests.system.kafka_cluster import kafka_stack

    logging.getLogger("kafka").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="hrcase-bench-") as tmp, \
            kafka_stack(bootstrap, postgres_url, Path(tmp)) as stack:
        stack.cli("topics", "create")
        workers = {s: stack.worker(s) for s in ("intake", "casework", "sla-monitor")}
        for worker in workers.values():
            worker.wait_healthy(120)
        wait_for_groups(bootstrap, {g: 1 for g in GROUPS.values()})
        api = f"http://127.0.0.1:{workers['casework'].env['HRCASE_API_PORT']}"
        casework_db = create_engine(stack.database_url).execution_options(schema_translate_map={None: "casework"})
        token = _api_token(casework_db)
        casework_db.dispose()

        published: dict[str, float] = {}  # followed case id -> wall time its incident was handed to the producer
        pending: set[str] = set()
        latencies: list[tuple[float, float]] = []  # (published at, seconds)
        lock, done = threading.Lock(), threading.Event()
        api_errors: list[str] = []

        def watch() -> None:
            engine = create_engine(stack.database_url)
            query = text("select case_id from casework.cases where case_id = any(:ids)")
            with engine.connect() as conn:
                while not (done.is_set() and not pending):
                    with lock:
                        ids = list(pending)
                    if ids:
                        found = conn.execute(query, {"ids": ids}).scalars().all()
                        conn.commit()
                        for case_id in found:
                            read_through_api(case_id)
                    time.sleep(0.01)
            engine.dispose()

        def read_through_api(case_id: str) -> None:
            request = urllib.request.Request(f"{api}/cases/{case_id}", headers={"Authorization": f"Bearer {token}"})
            while True:
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        response.read()
                        break
                except urllib.error.HTTPError as exc:
                    if exc.code != 404:
                        api_errors.append(f"{exc.code}")
                        return
                time.sleep(0.002)
            arrived = time.time()
            with lock:
                pending.discard(case_id)
            latencies.append((published[case_id], arrived - published[case_id]))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=0,
                                 client_id="hrcase-bench-latency")
        per_tick, total = max(1, round(rate / 100)), int(rate * seconds)
        begun, sent = time.monotonic(), 0
        while sent < total:
            for _ in range(min(per_tick, total - sent)):
                sent += 1
                office = OFFICES[sent % len(OFFICES)]
                now = datetime.now(UTC)
                record = incident(f"SR-{office[:3].upper()}-LAT", sent, now, office, location=f"Village {sent}",
                                  occurred_at=(now - timedelta(days=1)).isoformat())
                key = incident_key(record["sitrep_id"], sent)
                value = json.dumps(record).encode()
                if sent % sample == 0:
                    case_id = case_id_for(key)
                    published[case_id] = time.time()
                    with lock:
                        pending.add(case_id)
                producer.send("sitrep-incidents", key=key.encode(), value=value,
                              headers=[("file", b"bench"), ("format", b"jsonl"), ("line", str(sent).encode())])
            producer.flush()
            next_tick = begun + sent / rate
            time.sleep(max(0.0, next_tick - time.monotonic()))
        offered = sent / (time.monotonic() - begun)
        producer.close()
        done.set()
        watcher.join(timeout=120)
        assert not api_errors, f"the API answered {sorted(set(api_errors))}"
        assert not pending, f"{len(pending)} followed cases never became readable"
    first = min(p for p, _ in latencies)
    steady = [s * 1000 for p, s in latencies if p - first >= warmup]
    out = {"rate": rate, "offered": offered, "seconds": seconds, "sample": sample, "samples": len(steady),
           "p50_ms": percentile(steady, 50), "p95_ms": percentile(steady, 95), "p99_ms": percentile(steady, 99),
           "max_ms": max(steady)}
    log(f"  {rate}/s offered ({offered:.0f}/s achieved) for {seconds:.0f} s, {len(steady)} followed incidents: "
        f"p50 {out['p50_ms']:.0f} ms, p95 {out['p95_ms']:.0f} ms, p99 {out['p99_ms']:.0f} ms, "
        f"max {out['max_ms']:.0f} ms")
    return out


def run(bootstrap: str, postgres_url: str, rate: int, seconds: float, runs: int, log: Any = print) -> Result:
    # About ten followed incidents a second: each costs the casework worker an API request (token check, access log,
    # case, history, identities), in the process that also consumes; fifty a second took it most of a core.
    sample = max(1, rate // 10)
    warmup = min(5.0, seconds / 4)
    raw = [one_run(bootstrap, postgres_url, rate, seconds, sample, warmup, log) for _ in range(runs)]
    result = Result(NAME, TITLE, {"rate": rate, "seconds": seconds, "runs": runs})
    result.raw = raw
    result.figures = [
        Figure("rate achieved by the publisher", "/s", [r["offered"] for r in raw]),
        Figure("p50", "ms", [r["p50_ms"] for r in raw]),
        Figure("p95", "ms", [r["p95_ms"] for r in raw]),
        at_most(Figure("p99", "ms", [r["p99_ms"] for r in raw]), TARGET_P99_MS, f"< {TARGET_P99_MS} ms"),
        Figure("max", "ms", [r["max_ms"] for r in raw]),
    ]
    result.notes.append(
        f"{rate}/s offered for {seconds:.0f} s ({int(rate * seconds):,} incidents per run); one in {sample} followed "
        f"({raw[0]['samples']:,} in the first run after a {warmup:.0f} s warm-up left out). The latency includes the "
        "API's own answer (token check, case and history read).")
    return result
