"""The intake worker for the Kafka runtime: sitrep-incidents in, incidents and intake-rejected out."""

from __future__ import annotations

from services.config import Settings
from services.intake import bootstrap
from services.messaging.faust_worker import WorkerSpec
from services.metrics import Metrics


def spec(settings: Settings, metrics: Metrics) -> WorkerSpec:
    engine, schema = settings.database("intake")
    bootstrap.migrate(engine, schema)
    intake = bootstrap.build(engine, offices=settings.offices, observer=metrics.observer("intake"))
    return WorkerSpec("intake", intake.processor, engine, intake.mailboxes, metrics)
