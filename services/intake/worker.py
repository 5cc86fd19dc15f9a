"""The intake worker for the Kafka runtime: sitrep-incidents in, incidents and intake-rejected out."""

from __future__ import annotations

from services.config import Settings
from services.intake import bootstrap
from services.messaging import migrate as migrations
from services.messaging.faust_worker import WorkerSpec
from services.messaging.kafka import consumer_group
from services.messaging.kafka_lag import KafkaLag
from services.metrics import Metrics, register_backlog, register_lag


def spec(settings: Settings, metrics: Metrics) -> WorkerSpec:
    engine, schema = settings.database("intake")
    migrations.prepare(engine, "services.intake", schema, settings.migrate)
    metrics.use_offices(settings.offices)
    # The key the edges seal identities with: intake opens them to validate, and seals any sent in the clear.
    vault = settings.vault()
    intake = bootstrap.build(engine, offices=settings.offices, observer=metrics.observer("intake"), vault=vault)
    register_backlog(metrics, "intake", engine, intake.mailboxes)
    register_lag(metrics, KafkaLag(settings.kafka_bootstrap, consumer_group("intake"), intake.processor.topics,
                                   security=settings.kafka_security))
    return WorkerSpec("intake", intake.processor, engine, intake.mailboxes, metrics, migrations="services.intake",
                      schema=schema)
