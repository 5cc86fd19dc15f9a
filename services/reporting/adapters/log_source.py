"""Events for reports, read from the embedded log or from an export; identities are dropped on reading."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from schemas import decode
from schemas.registry import load_payload
from schemas.topics import CASE_EVENTS, INCIDENTS, INTAKE_REJECTED, SLA_EVENTS
from services.messaging.embedded import EmbeddedLog
from services.messaging.ports import Message
from services.reporting.domain.events import Event, History

SCHEDULED = "SlaScheduled"
TOPICS = (INCIDENTS, CASE_EVENTS, SLA_EVENTS, INTAKE_REJECTED)
# What a report needs of an incident or a rejection; the rest (identities, summaries, originals) is not kept.
INCIDENT_FIELDS = ("incident_key", "sitrep_id", "reported_at", "office", "location", "violation_types", "assignee")
REJECTION_FIELDS = ("incident_key", "reason")


def read_log(log: EmbeddedLog) -> History:
    return history_of(m for topic in TOPICS for m in log.read_topic(topic))


def history_of(messages: Iterable[Message]) -> History:
    by_topic: dict[str, list[Event]] = {t: [] for t in TOPICS}
    read: Counter = Counter()
    for message in messages:
        if message.topic not in by_topic:
            continue
        read[message.topic] += 1
        event = to_event(message)
        if event is not None:
            by_topic[message.topic].append(event)
    sla = by_topic[SLA_EVENTS]
    return History(
        incidents=tuple(by_topic[INCIDENTS]), case_events=tuple(by_topic[CASE_EVENTS]),
        sla_events=tuple(e for e in sla if e.type != SCHEDULED), schedules=tuple(e for e in sla if e.type == SCHEDULED),
        rejected=tuple(by_topic[INTAKE_REJECTED]), sources=dict(read),
    )


def to_event(message: Message) -> Event | None:
    envelope = decode(message.value)
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
