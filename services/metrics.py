"""Prometheus metrics: counters fed by what the services emit, gauges read from their databases at scrape time."""

from __future__ import annotations

import collections
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from schemas.registry import EVENT_TYPES
from schemas.sla import schedules_of
from schemas.vocabulary import CLOCKS, SLA_LEVELS
from services.logs import OutageLog
from services.messaging.ports import Message, Outgoing, Publisher
from services.messaging.sqlite import reading
from services.messaging.store import Mailboxes

log = logging.getLogger(__name__)

DAY = 86400.0
# Recording delay: whole days, and half days on either side of the four-day goal (3 days is the warning).
DELAY_BUCKETS_DAYS = (0.5, 1, 2, 3, 3.5, 4, 4.5, 5, 6, 8, 14, 30, 60, 90, 180, 365)
DELAY_BUCKETS_SECONDS = tuple(d * DAY for d in DELAY_BUCKETS_DAYS)
PROCESSING_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
KNOWN_TYPES = frozenset(t for t, _v in EVENT_TYPES)
CLOSURE_DECISIONS = {"ClosureRequested": "requested", "ClosureApproved": "approved",
                     "ClosureRejected": "rejected", "CaseClosedWithoutApproval": "closed_without_approval"}
DEAD_LETTER_REASONS = ("invalid", "error")  # intake adds "conflict": the bounded reason codes
OTHER = "other"  # the label value for an office outside the configured ones (never a free-text value)

# A gauge's source returns (label values, value) pairs, read from the databases at scrape time.
GaugeSource = Callable[[], Iterable[tuple[tuple[str, ...], float]]]
Observe = Callable[[Message, Sequence[Outgoing], str | None, float], None]


@dataclass
class Metrics:
    """One registry for a process; services feed it through `observer(service)` and `publisher(service, ...)`.

    `offices` bounds the office label: any office outside it is counted as "other".
    """

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    offices: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        r = self.registry
        self._gauges: dict[str, _GaugeCollector] = {}
        self._services: list[str] = []
        self.received = Counter("hrcase_incidents_received_total",
                                "Situation-report incident records consumed by intake (redeliveries excluded).",
                                registry=r)
        self.accepted = Counter("hrcase_incidents_accepted_total", "Incidents accepted by intake.", ["office"],
                                registry=r)
        self.rejected = Counter("hrcase_incidents_rejected_total",
                                "Incident records rejected to intake-rejected, by reason code.", ["reason"],
                                registry=r)
        self.repeated = Counter("hrcase_incidents_repeated_total",
                                "Incident records that repeat one already handled (no new incident).", registry=r)
        self.flagged = Counter("hrcase_incidents_flagged_duplicate_total",
                               "Incidents accepted but flagged as a likely duplicate of another.", ["office"],
                               registry=r)
        self.registered = Counter("hrcase_cases_registered_total", "Cases registered.", ["office"], registry=r)
        self.case_events = Counter("hrcase_case_events_total", "Case events emitted, by type.", ["type"],
                                   registry=r)
        self.closures = Counter("hrcase_closures_total",
                                "Closures requested, approved, rejected, or closed without approval (history).",
                                ["decision", "office"], registry=r)
        self.sla = Counter("hrcase_sla_events_total", "SLA warnings, breaches, escalations and clears.",
                           ["clock", "level", "office"], registry=r)
        self.outcomes = Counter("hrcase_sla_outcomes_total",
                                "Clocks stopped, by the monitor's verdict: met (before its goal) or missed.",
                                ["clock", "outcome", "office"], registry=r)
        self.dead = Counter("hrcase_dead_letters_total", "Messages sent to a dead-letter topic, by reason code.",
                            ["service", "reason"], registry=r)
        self.published = Counter("hrcase_records_published_total", "Records relayed from an outbox to the log.",
                                 ["service", "topic"], registry=r)
        self.delay = Histogram("hrcase_recording_delay_seconds",
                               "Time from an incident's report to its case being recorded (goal: 4 days).",
                               ["office"], buckets=DELAY_BUCKETS_SECONDS, registry=r)
        self.event_processing = Histogram("hrcase_event_processing_seconds",
                                          "Time to handle one consumed message, by service and event type.",
                                          ["service", "type"], buckets=PROCESSING_BUCKETS, registry=r)
        # `processing` times whole batches (one transaction each); the runtimes observe it.
        self.processing = Histogram("hrcase_batch_processing_seconds",
                                    "Time to process one batch of messages in one transaction.", ["service"],
                                    buckets=BATCH_BUCKETS, registry=r)

    def gauge(self, name: str, help_text: str, labels: Sequence[str], source: GaugeSource) -> None:
        """Add a source to gauge `name`; sources of one name (one per service, embedded) make one family."""
        existing = self._gauges.get(name)
        if existing is None:
            self._gauges[name] = _GaugeCollector(name, help_text, tuple(labels), [source])
            self.registry.register(self._gauges[name])
        elif existing.labels != tuple(labels):
            raise ValueError(f"gauge {name} has labels {existing.labels}, not {tuple(labels)}")
        else:
            existing.sources.append(source)

    def office(self, value: str) -> str:
        return value if self.offices is None or value in self.offices else OTHER

    def use_offices(self, offices: Sequence[str]) -> None:
        """Bound the office label to these, and start each office's series at zero (see `_start_at_zero`)."""
        self.offices = tuple(offices)
        for service in self._services:
            self._start_at_zero(service)

    def _start_at_zero(self, service: str) -> None:
        """Expose each series a service will count before its first event, so that `increase()` sees that one.

        Only the series the service itself counts, over bounded vocabularies and the configured offices.
        """
        for reason in (*DEAD_LETTER_REASONS, *(("conflict",) if service == "intake" else ())):
            self.dead.labels(service, reason)
            if service == "intake":
                self.rejected.labels(reason)
        for office in self.offices or ():
            if service == "intake":
                self.accepted.labels(office)
                self.flagged.labels(office)
            elif service == "casework":
                self.registered.labels(office)
                for clock, level in itertools.product(CLOCKS, SLA_LEVELS):
                    self.sla.labels(clock, level, office)
            elif service == "sla_monitor":
                self.delay.labels(office)
                for decision in CLOSURE_DECISIONS.values():
                    self.closures.labels(decision, office)

    def observer(self, service: str) -> Observe:
        """Counts and times what a service consumed, and what it emitted while doing so.

        Each fact is counted once, in the process that handles it, whoever emitted it (a worker, the API, the
        command line): case events when sla_monitor consumes them, SLA events when casework consumes them; what
        only a service's own processing makes (accepted incidents, cases registered, rejections, dead letters) as
        it is made.
        """

        if service not in self._services:
            self._services.append(service)
            self._start_at_zero(service)

        # Each message is timed: its series looked up once per type, not through `labels` (a lock and a key) each time.
        timers: dict[str, Histogram] = {}

        def observe(message: Message, out: Sequence[Outgoing], failure: str | None, seconds: float) -> None:
            type_ = message.headers.get("type") or "raw"
            if type_ != "raw" and type_ not in KNOWN_TYPES:
                type_ = "unknown"  # a header is input: only the catalogue's names become label values
            timer = timers.get(type_)
            if timer is None:
                timer = timers[type_] = self.event_processing.labels(service, type_)
            timer.observe(seconds)
            if service == "intake":
                self.received.inc()
                if not out and failure is None:
                    self.repeated.inc()
            for record in out:
                self._emitted(service, record)
            if type_ in KNOWN_TYPES and (type_.startswith("Sla") or service == "sla_monitor"):
                self._consumed(type_, message)

        return observe

    def publisher(self, service: str, inner: Publisher) -> Publisher:
        """Wrap a publisher so that the records this process relays are counted by topic."""
        return _CountingPublisher(self, service, inner)

    def _emitted(self, service: str, record: Outgoing) -> None:
        type_ = record.headers.get("type", "")
        if type_ in ("IncidentRejected", "MessageDeadLettered"):
            code = record.headers.get("reason_code", "invalid")
            self.dead.labels(service, code).inc()
            if type_ == "IncidentRejected":
                self.rejected.labels(code).inc()
        elif type_ == "CaseRegistered":  # only ever made by casework's processing: counted where it is made
            self.registered.labels(self.office(record.read_payload()["office"])).inc()
        elif type_ == "IncidentAccepted":
            payload = record.read_payload()
            office = self.office(payload["office"])
            self.accepted.labels(office).inc()
            if payload.get("possible_duplicates"):
                self.flagged.labels(office).inc()

    def _consumed(self, type_: str, message: Message) -> None:
        try:
            envelope = orjson.loads(message.value)
            payload = envelope["payload"]
            if type_ == "SlaScheduled":  # no crossing: counted only when it stops a clock, with the monitor's verdict
                for schedule in schedules_of(int(envelope["version"]), payload, envelope["occurred_at"]):
                    if schedule.get("state") == "stopped" and schedule.get("outcome"):
                        self.outcomes.labels(str(schedule.get("clock")), str(schedule["outcome"]),
                                             self.office(str(schedule["office"]))).inc()
                return
            office = self.office(str(payload["office"]))
        except (ValueError, KeyError, TypeError):
            return  # malformed: it went to the dead letter, where it is counted
        if type_.startswith("Sla"):
            self.sla.labels(str(payload.get("clock")), str(payload.get("level")), office).inc()
            return
        self.case_events.labels(type_).inc()
        if type_ == "CaseRecorded":
            self.delay.labels(office).observe(_seconds_between(payload["reported_at"], envelope["occurred_at"]))
        elif type_ in CLOSURE_DECISIONS:
            self.closures.labels(CLOSURE_DECISIONS[type_], office).inc()


def filled(counts: Mapping[tuple[str, ...], float], *axes: Iterable[str]) -> list[tuple[tuple[str, ...], float]]:
    """Every combination of the axes (zero where nothing is counted), plus whatever else was counted.

    Gauges that always carry their configured series let rules compare with `offset` and panels show zeros.
    """
    values = {key: 0.0 for key in itertools.product(*axes)}
    for key, n in counts.items():
        values[key] = values.get(key, 0.0) + n
    return sorted(values.items())


def backlog_source(service: str, engine: Engine, mailboxes: Mailboxes) -> GaugeSource:
    def read() -> list[tuple[tuple[str, ...], float]]:
        with reading(engine) as conn:
            return [((service,), float(mailboxes.backlog(conn)))]

    return read


def register_backlog(metrics: Metrics, service: str, engine: Engine, mailboxes: Mailboxes) -> None:
    metrics.gauge("hrcase_outbox_backlog", "Records in a service's outbox waiting to be relayed to the log.",
                  ["service"], backlog_source(service, engine, mailboxes))


def register_lag(metrics: Metrics, source: GaugeSource) -> None:
    """`source` gives ((group, topic, partition), records not yet processed) for each partition consumed."""
    metrics.gauge("hrcase_consumer_lag", "Records on a topic partition not yet processed by a consumer group.",
                  ["group", "topic", "partition"], source)


def _seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


class _CountingPublisher:
    def __init__(self, metrics: Metrics, service: str, inner: Publisher):
        self.metrics, self.service, self.inner = metrics, service, inner

    def publish(self, records: list[Outgoing]) -> None:
        self.inner.publish(records)
        for topic, n in collections.Counter(record.topic for record in records).items():
            self.metrics.published.labels(self.service, topic).inc(n)


class _GaugeCollector(Collector):
    def __init__(self, name: str, help_text: str, labels: tuple[str, ...], sources: list[GaugeSource]):
        self.name, self.help_text, self.labels, self.sources = name, help_text, labels, sources
        self.outages: dict[int, OutageLog] = {}  # per source: scrapes come every 15 s or so, a traceback each is noise

    def describe(self) -> Iterable[GaugeMetricFamily]:
        # Lets the registry refuse a second family of the same name without querying a database.
        yield GaugeMetricFamily(self.name, self.help_text, labels=list(self.labels))

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.name, self.help_text, labels=list(self.labels))
        for source in self.sources:
            outage = self.outages.setdefault(id(source), OutageLog(f"reading gauge {self.name}", log))
            try:
                samples = list(source())
            except Exception as exc:  # one unreachable database must not blank every other metric of the page
                outage.failed(exc, time.monotonic())
                continue
            outage.recovered(time.monotonic())
            for values, value in samples:
                family.add_metric(list(values), value)
        yield family
