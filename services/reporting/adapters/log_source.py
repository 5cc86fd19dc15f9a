"""Events for reports, read from the embedded log, Kafka or an export, one record at a time; identities are dropped
on reading, and each payload is decoded once and kept only as long as the report's reading takes to fold it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, MutableMapping

from schemas import Envelope, decode
from schemas.registry import load_payload
from schemas.sla import schedules_of
from schemas.topics import CASE_EVENTS, INCIDENTS, INTAKE_REJECTED, SLA_EVENTS
from services.messaging.embedded import EmbeddedLog
from services.messaging.ports import Message
from services.reporting.domain import reading
from services.reporting.domain.events import Event, History

SCHEDULED = "SlaScheduled"
TOPICS = (INCIDENTS, CASE_EVENTS, SLA_EVENTS, INTAKE_REJECTED)
# The order a report reads them in: the monitor's schedules first, so that a log which has them is known to have them
# before its case events arrive (a log without them has its clocks replayed from the case events as they come).
REPORT_ORDER = (SLA_EVENTS, CASE_EVENTS, INCIDENTS, INTAKE_REJECTED)
KINDS = {INCIDENTS: reading.INCIDENTS, CASE_EVENTS: reading.CASES, SLA_EVENTS: reading.SLA,
         INTAKE_REJECTED: reading.REJECTED}
# What a report needs of an incident or a rejection; the rest (identities, summaries, originals) is not kept.
INCIDENT_FIELDS = ("incident_key", "sitrep_id", "reported_at", "office", "location", "violation_types", "assignee")
REJECTION_FIELDS = ("incident_key", "reason")


def read_log(log: EmbeddedLog) -> History:
    """The whole history in memory (tests and small logs); `hrcase report` streams it with `events_of`."""
    return history_of(m for topic in TOPICS for m in log.read_topic(topic))


def events_of(messages: Iterable[Message], read: MutableMapping[str, int] | None = None) -> Iterator[tuple[str, Event]]:
    """Each record's events for reports as it is read, with the kind of topic it came from; records read are
    counted by topic into `read` (the report's header names them)."""
    for message in messages:
        kind = KINDS.get(message.topic)
        if kind is None:
            continue
        if read is not None:
            read[message.topic] = read.get(message.topic, 0) + 1
        for event in to_events(message):
            yield kind, event


def history_of(messages: Iterable[Message]) -> History:
    by_topic: dict[str, list[Event]] = {t: [] for t in TOPICS}
    read: Counter = Counter()
    for message in messages:
        if message.topic not in by_topic:
            continue
        read[message.topic] += 1
        by_topic[message.topic].extend(to_events(message))
    sla = by_topic[SLA_EVENTS]
    return History(
        incidents=tuple(by_topic[INCIDENTS]), case_events=tuple(by_topic[CASE_EVENTS]),
        sla_events=tuple(e for e in sla if e.type != SCHEDULED), schedules=tuple(e for e in sla if e.type == SCHEDULED),
        rejected=tuple(by_topic[INTAKE_REJECTED]), sources=dict(read),
    )


def to_events(message: Message) -> list[Event]:
    """A record's events for reports: one, none (what a report does not read), or each schedule of a batch of
    schedules (SlaScheduled v2, or v1 as a batch of one), at the record's place in the log and in its order."""
    envelope = decode(message.value)
    if envelope.type == SCHEDULED:
        payload = load_payload(envelope.type, envelope.version, envelope.payload)
        items = schedules_of(envelope.version, payload, envelope.occurred_at)
        return [Event(SCHEDULED, s["occurred_at"], s["case_id"], s, message.offset,
                      envelope.event_id if len(items) == 1 else f"{envelope.event_id}:{n}")
                for n, s in enumerate(items)]
    event = to_event(message, envelope)
    return [] if event is None else [event]


def to_event(message: Message, envelope: Envelope) -> Event | None:
    raw = envelope.payload
    if envelope.type == "IncidentAccepted":  # never read: sealed since ADR 10, in the clear in older logs
        raw = {k: v for k, v in raw.items() if k != "identities"}
    payload = load_payload(envelope.type, envelope.version, raw)
    if envelope.type == "IncidentAccepted":
        payload = {k: payload.get(k) for k in INCIDENT_FIELDS}
    elif envelope.type == "IncidentRejected":
        payload = {k: payload.get(k) for k in REJECTION_FIELDS}
    elif message.topic == INTAKE_REJECTED or message.topic == INCIDENTS:
        return None
    return Event(envelope.type, envelope.occurred_at, envelope.key, payload, message.offset, envelope.event_id)
