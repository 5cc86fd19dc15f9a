"""The casework worker for the Kafka runtime: incidents and sla-events in, case-events out."""

from __future__ import annotations

from services.casework import bootstrap
from services.casework.adapters import repository
from services.config import Settings
from services.messaging.faust_worker import WorkerSpec
from services.metrics import Metrics


def spec(settings: Settings, metrics: Metrics) -> WorkerSpec:
    engine, schema = settings.database("casework")
    bootstrap.migrate(engine, schema)
    casework = bootstrap.build(engine, observer=metrics.observer("casework"))
    metrics.gauge("hrcase_open_cases", "Cases not closed, by office and stage.", ["office", "stage"],
                  lambda: [((o, s), n) for o, s, n in casework.read(repository.count_cases) if s != "closed"])
    return WorkerSpec("casework", casework.processor, engine, casework.mailboxes, metrics)
