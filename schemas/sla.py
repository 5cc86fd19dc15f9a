"""SLA events emitted by sla_monitor on `sla-events`, keyed by case id."""

from __future__ import annotations

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
