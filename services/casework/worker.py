"""The casework worker for the Kafka runtime: incidents and sla-events in, case-events out; the API beside it."""

from __future__ import annotations

from services.casework import bootstrap, gauges
from services.casework.adapters.dispatcher import start_delivery
from services.casework.api.server import start_api
from services.config import Settings
from services.messaging import migrate as migrations
from services.messaging.faust_worker import WorkerSpec
from services.messaging.kafka import consumer_group
from services.messaging.kafka_lag import KafkaLag
from services.metrics import Metrics, register_lag


def spec(settings: Settings, metrics: Metrics) -> WorkerSpec:
    engine, schema = settings.database("casework")
    migrations.prepare(engine, "services.casework", schema, settings.migrate)
    casework = bootstrap.build(engine, observer=metrics.observer("casework"), vault=settings.vault())
    start_api(casework, settings.api, settings.offices)  # threads beside the faust worker
    start_delivery(casework, settings.api, registry=metrics.registry)
    metrics.use_offices(settings.offices)
    gauges.register(metrics, casework, settings.offices)
    register_lag(metrics, KafkaLag(settings.kafka_bootstrap, consumer_group("casework"), casework.processor.topics,
                                   security=settings.kafka_security))
    return WorkerSpec("casework", casework.processor, engine, casework.mailboxes, metrics,
                      migrations="services.casework", schema=schema)
