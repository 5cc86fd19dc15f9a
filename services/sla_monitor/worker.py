"""The sla_monitor worker for the Kafka runtime: case-events in, sla-events out, and a tick four times a second."""

from __future__ import annotations

from services.config import Settings
from services.messaging import migrate as migrations
from services.messaging.faust_worker import WorkerSpec
from services.messaging.kafka import consumer_group
from services.messaging.kafka_lag import KafkaLag
from services.metrics import Metrics, register_lag
from services.sla_monitor import bootstrap, gauges


def spec(settings: Settings, metrics: Metrics) -> WorkerSpec:
    engine, schema = settings.database("sla_monitor")
    migrations.prepare(engine, "services.sla_monitor", schema, settings.migrate)
    metrics.use_offices(settings.offices)
    policy = bootstrap.load_policy(settings.policy_path)
    monitor = bootstrap.build(engine, policy, observer=metrics.observer("sla_monitor"))
    gauges.register(metrics, monitor, settings.offices)
    register_lag(metrics, KafkaLag(settings.kafka_bootstrap, consumer_group("sla_monitor"), monitor.processor.topics,
                                   security=settings.kafka_security))
    return WorkerSpec("sla_monitor", monitor.processor, engine, monitor.mailboxes, metrics, tick=monitor.tick,
                      migrations="services.sla_monitor", schema=schema)
