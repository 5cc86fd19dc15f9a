"""Benchmark 2's second baseline: the pipeline's three hops as faust workers that only pass each record on.

Each hop is a process with the workers' own faust app settings and producer (`new_app`, `new_producer`), taking
batches as they do (`take_events`, up to 2,000, within 50 ms, concurrency 1). The first two hops produce one record
for each they read, as intake and casework do; the third only counts, as sla_monitor emits nothing for a new clock.
No validation, no database, no outbox: what the decided stack (faust on this broker) costs before hrcase's own code
runs, measured in the same run as the pipeline.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

HOPS = 3


def hop(params: dict[str, Any]) -> None:
    """One hop, in its own process: read `source`, send each record on to `sink` (if any), note the last one's time."""
    from faust import Worker

    from services.messaging.faust_worker import WorkerOptions, new_app, new_producer

    options = WorkerOptions(bootstrap=params["bootstrap"], web_bind="127.0.0.1", web_port=int(params["port"]),
                            data_dir=Path(params["data_dir"]))
    app = new_app(params["name"], options)
    sink, expected, done = params["sink"], int(params["expected"]), Path(params["done"])
    producers: list[Any] = []  # made on the worker's loop, as aiokafka requires

    @app.agent(app.topic(params["source"], key_type=bytes, value_type=bytes), concurrency=1)
    async def forward(stream: Any) -> None:
        seen = 0
        if sink:
            producers.append(producer := new_producer(options.bootstrap, params["name"]))
            await producer.start()
        async for events in stream.take_events(options.batch_size, within=options.within):
            if sink:
                acks = [await producer.send(sink, e.message.value, key=e.message.key,
                                            headers=list(e.message.headers or ())) for e in events]
                await asyncio.gather(*acks)
            seen += len(events)
            if seen >= expected and not done.exists():
                done.write_text(repr(time.perf_counter()))  # CLOCK_MONOTONIC: comparable across processes

    async def stop_producer(app: Any, **kwargs: Any) -> None:
        for producer in producers:
            await producer.stop()

    app.on_before_shutdown.connect(stop_producer)  # type: ignore[arg-type]
    Worker(app, loglevel=params.get("loglevel", "warning"), quiet=True).execute_from_commandline()


def one_run(bootstrap: str, records: list[Any], tmp: Path) -> dict[str, Any]:
    """Publish `records` into the first hop as the pipeline's run does; seconds until the last hop has read them all."""
    from kafka.admin import KafkaAdminClient, NewTopic

    from bench.kafka_pipeline import cpu_seconds, wait_for_groups
    from services.messaging.kafka import KafkaPublisher
    from tests.ports import free_port
    from tests.system.kafka_cluster import REPO, wait_for

    tag = uuid.uuid4().hex[:8]
    topics = [f"hrcase-bench-ceiling-{tag}-{n}" for n in range(HOPS)]
    names = [f"bench-ceiling-{tag}-{n}" for n in range(HOPS)]
    done = tmp / f"ceiling-{tag}.done"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="hrcase-bench-admin")
    admin.create_topics([NewTopic(t, 6, 1) for t in topics])
    hops: list[subprocess.Popen[bytes]] = []
    try:
        for n in range(HOPS):
            params = {"bootstrap": bootstrap, "name": names[n], "port": free_port(), "data_dir": str(tmp),
                      "source": topics[n], "sink": topics[n + 1] if n + 1 < HOPS else "",
                      "expected": len(records), "done": str(done)}
            with (tmp / f"{names[n]}.log").open("ab") as out:
                hops.append(subprocess.Popen([sys.executable, "-m", "bench.faust_ceiling", json.dumps(params)],
                                             cwd=REPO, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                             start_new_session=True))

        def running() -> None:
            if any(p.poll() is not None for p in hops):
                raise AssertionError(f"a faust ceiling hop exited; see {tmp}/bench-ceiling-{tag}-*.log")

        wait_for_groups(bootstrap, {f"hrcase-{name}": 1 for name in names}, check=running)
        cpu_before = [cpu_seconds(p.pid) for p in hops]
        publisher = KafkaPublisher(bootstrap, client_id="hrcase-bench-ceiling")
        started = time.perf_counter()
        publisher.publish([replace(r, topic=topics[0]) for r in records])
        publisher.close()

        def finished() -> bool:
            running()
            return done.exists()

        wait_for(finished, max(300.0, len(records) / 50), f"the faust ceiling's last hop to read {len(records)}",
                 interval=0.1)
        seconds = float(done.read_text()) - started
        cpu = [cpu_seconds(p.pid) - before for p, before in zip(hops, cpu_before, strict=True)]
    finally:
        for p in hops:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in hops:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        admin.delete_topics(topics)
        admin.close()
    return {"records": len(records), "seconds": seconds, "rate": len(records) / seconds, "hop_cpu_seconds": cpu}


if __name__ == "__main__":
    hop(json.loads(sys.argv[1]))
