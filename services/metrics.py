"""Prometheus metrics: counters fed by what the services emit, gauges read from their databases."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.messaging.ports import Message, Outgoing, Publisher

DELAY_BUCKETS_DAYS = (0.5, 1, 2, 3, 4, 5, 7, 10, 14, 30, 60, 90, 180, 365)

# A gauge's source returns (label values, value) pairs, read from the databases at scrape time.
GaugeSource = Callable[[], Iterable[tuple[tuple[str, ...], float]]]


@dataclass
class Metrics:
    """One registry for a process; services feed it through `observer(service)`."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.received = Counter("hrcase_incidents_received_total", "Sitrep incident records read by intake.",
                                registry=r)
        self.accepted = Counter("hrcase_incidents_accepted_total", "Incidents accepted by intake.", ["office"],
                                registry=r)
        self.rejected = Counter("hrcase_incidents_rejected_total", "Incidents rejected to the dead letter.",
                                ["reason"], registry=r)
        self.repeated = Counter("hrcase_incidents_repeated_total",
                                "Incident records that repeat one already accepted (no new incident).", registry=r)
        self.flagged = Counter("hrcase_incidents_flagged_duplicate_total",
                               "Incidents accepted but flagged as a likely duplicate.", ["office"], registry=r)
        self.registered = Counter("hrcase_cases_registered_total", "Cases registered.", ["office"], registry=r)
        self.case_events = Counter("hrcase_case_events_total", "Case events emitted.", ["type"], registry=r)
        self.closures = Counter("hrcase_closures_total", "Closure decisions.", ["decision"], registry=r)
        self.sla = Counter("hrcase_sla_events_total", "SLA warnings, breaches, escalations and clears.",
                           ["clock", "level", "office"], registry=r)
        self.dead = Counter("hrcase_dead_letters_total", "Messages sent to a dead-letter topic.",
                            ["service", "reason"], registry=r)
        self.delay = Histogram("hrcase_recording_delay_days", "Days from report to recording.",
                               buckets=DELAY_BUCKETS_DAYS, registry=r)
        self.processing = Histogram("hrcase_event_processing_seconds", "Time to process one batch of messages.",
                                    ["service"], registry=r)

    def gauge(self, name: str, help_text: str, labels: Sequence[str], source: GaugeSource) -> None:
        self.registry.register(_GaugeCollector(name, help_text, tuple(labels), source))

    def observer(self, service: str) -> Callable[[Message, Sequence[Outgoing], str | None], None]:
        """Counts what a service consumed; what it emits is counted when relayed (see `publisher`)."""

        def observe(message: Message, out: Sequence[Outgoing], failure: str | None) -> None:
            if service == "intake":
                self.received.inc()
                if not out and failure is None:
                    self.repeated.inc()

        return observe

    def publisher(self, service: str, inner: Publisher) -> Publisher:
        """Wrap a publisher so that every record a service makes public is counted once it is out."""
        return _CountingPublisher(self, service, inner)

    def _count(self, service: str, record: Outgoing) -> None:
        type_ = record.headers.get("type", "")
        if type_ in ("IncidentRejected", "MessageDeadLettered"):
            code = record.headers.get("reason_code", "invalid")
            self.dead.labels(service, code).inc()
            if type_ == "IncidentRejected":
                self.rejected.labels(code).inc()
            return
        payload = json.loads(record.value)["payload"]
        if type_ == "IncidentAccepted":
            self.accepted.labels(payload["office"]).inc()
            if payload.get("possible_duplicates"):
                self.flagged.labels(payload["office"]).inc()
        elif type_.startswith("Sla"):
            self.sla.labels(payload["clock"], payload["level"], payload["office"]).inc()
        else:
            self.case_events.labels(type_).inc()
            if type_ == "CaseRegistered":
                self.registered.labels(payload["office"]).inc()
            elif type_ == "CaseRecorded":
                self.delay.observe(_days_between(payload["reported_at"], json.loads(record.value)["occurred_at"]))
            elif type_ in ("ClosureApproved", "ClosureRejected"):
                self.closures.labels("approved" if type_ == "ClosureApproved" else "rejected").inc()


def _days_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 86400


class _CountingPublisher:
    def __init__(self, metrics: Metrics, service: str, inner: Publisher):
        self.metrics, self.service, self.inner = metrics, service, inner

    def publish(self, records: list[Outgoing]) -> None:
        self.inner.publish(records)
        for record in records:
            self.metrics._count(self.service, record)


class _GaugeCollector(Collector):
    def __init__(self, name: str, help_text: str, labels: tuple[str, ...], source: GaugeSource):
        self.name, self.help_text, self.labels, self.source = name, help_text, labels, source

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.name, self.help_text, labels=list(self.labels))
        for values, value in self.source():
            family.add_metric(list(values), value)
        yield family
