"""SLA events emitted by sla_monitor on `sla-events`: crossings keyed by case id, schedules in batches (ADR 16)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields, validate

from schemas.vocabulary import CLOCK_OUTCOMES, CLOCK_STATES, CLOCKS, SLA_LEVELS, STAGES


class SlaEventSchema(Schema):
    """One clock crossing a threshold (or clearing): same shape for warning, breach, escalation, clear."""

    case_id = fields.String(required=True)
    reference = fields.String(required=True)
    office = fields.String(required=True)
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    clock = fields.String(required=True, validate=validate.OneOf(CLOCKS))
    level = fields.String(required=True, validate=validate.OneOf(SLA_LEVELS))
    period = fields.Integer(required=True, validate=validate.Range(min=0),
                            metadata={"description": "1 for the first goal period, 2 for the next..."})
    started_at = fields.AwareDateTime(required=True)
    due_at = fields.AwareDateTime(required=True)
    recipient_role = fields.String(required=True, validate=validate.OneOf(("hro", "team_leader", "director")))
    assignee = fields.String(load_default=None, allow_none=True)
    policy_version = fields.String(required=True)
    reason = fields.String(load_default="", metadata={"description": "why a clock cleared"})


class SlaScheduledSchema(Schema):
    """A clock's schedule: published whenever the clock starts, moves, pauses or stops (a resume needs none:
    `paused_until` says when the pause ends). What casework shows and sorts by, and what reports measure."""

    case_id = fields.String(required=True)
    reference = fields.String(required=True)
    office = fields.String(required=True)
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    assignee = fields.String(load_default=None, allow_none=True)
    clock = fields.String(required=True, validate=validate.OneOf(CLOCKS))
    episode = fields.String(required=True, metadata={"description": "the run of the clock: its anchor, ISO 8601"})
    started_at = fields.AwareDateTime(required=True)
    state = fields.String(required=True, validate=validate.OneOf(CLOCK_STATES))
    due_at = fields.AwareDateTime(required=True, metadata={
        "description": "the goal: the episode's first breach, moved by pauses; a repeated breach does not move it"})
    warn_at = fields.AwareDateTime(required=True, metadata={"description": "from then on the clock is due soon"})
    escalate_at = fields.AwareDateTime(load_default=None, allow_none=True)
    paused_until = fields.AwareDateTime(load_default=None, allow_none=True)
    policy_version = fields.String(required=True)
    stopped_at = fields.AwareDateTime(load_default=None, allow_none=True)
    outcome = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(CLOCK_OUTCOMES), metadata={
        "description": "on stop: met (stopped strictly before due_at) or missed (at or after it)"})


# Schedules per SlaScheduled v2: a full one is about 280 KB (560 bytes a schedule with every field set), a quarter of
# Kafka's default 1 MiB limit on a message and on a producer's request (ADR 16).
MAX_SCHEDULES = 500


class ScheduleSchema(SlaScheduledSchema):
    """One schedule of a batch: an SlaScheduled v1 payload and its event time (v1 carried it in the envelope)."""

    occurred_at = fields.AwareDateTime(required=True, metadata={
        "description": "when the clock changed: the case event's time, or the policy's adoption"})


class SlaSchedulesSchema(Schema):
    """SlaScheduled v2: the schedules one batch of the monitor made, in the order it made them (a later schedule of
    a clock replaces an earlier one)."""

    schedules = fields.List(fields.Nested(ScheduleSchema), required=True,
                            validate=validate.Length(min=1, max=MAX_SCHEDULES))


def schedules_of(version: int, payload: Mapping[str, Any], occurred_at: Any) -> list[dict[str, Any]]:
    """The schedules an SlaScheduled payload of any version carries, each with its event time (the upcaster: v1
    is a list of one, timed by its envelope). Works on loaded payloads and on raw JSON alike."""
    if version == 1:
        return [{**payload, "occurred_at": occurred_at}]
    return list(payload["schedules"])
