"""Topic names and their settings; each topic has exactly one writing service (its own dead letters too)."""

from __future__ import annotations

from dataclasses import dataclass

SITREP_INCIDENTS = "sitrep-incidents"
INCIDENTS = "incidents"
INTAKE_REJECTED = "intake-rejected"
CASE_EVENTS = "case-events"
SLA_EVENTS = "sla-events"
CASEWORK_DEAD_LETTER = "casework-dead-letter"
SLA_DEAD_LETTER = "sla-monitor-dead-letter"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    writer: str
    partitions: int
    retention_ms: int  # -1 keeps forever: these are records of alleged violations
    cleanup_policy: str = "delete"


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(SITREP_INCIDENTS, "sitrep publisher", 6, -1),
    TopicSpec(INCIDENTS, "intake", 6, -1),
    TopicSpec(INTAKE_REJECTED, "intake", 1, -1),
    TopicSpec(CASE_EVENTS, "casework", 6, -1),
    TopicSpec(SLA_EVENTS, "sla_monitor", 6, -1),
    TopicSpec(CASEWORK_DEAD_LETTER, "casework", 1, -1),
    TopicSpec(SLA_DEAD_LETTER, "sla_monitor", 1, -1),
)
