"""The sla_monitor worker for the Kafka runtime: case-events in, sla-events out, and a tick every second."""

from __future__ import annotations

from services.config import Settings
from services.messaging.faust_worker import WorkerSpec
from services.metrics import Metrics
from services.sla_monitor import bootstrap


def spec(settings: Settings, metrics: Metrics) -> WorkerSpec:
    engine, schema = settings.database("sla_monitor")
    bootstrap.migrate(engine, schema)
    monitor = bootstrap.build(engine, settings.policy(), observer=metrics.observer("sla_monitor"))
    metrics.gauge("hrcase_open_clocks", "SLA clocks running.", [], lambda: [((), monitor.open_clocks())])
    return WorkerSpec("sla_monitor", monitor.processor, engine, monitor.mailboxes, metrics, tick=monitor.tick)
