"""Events for reports, read from the embedded log or from an export; identities are dropped on reading."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from schemas import Envelope, decode
from schemas.registry import load_payload
from schemas.sla import schedules_of
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
