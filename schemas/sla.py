"""SLA events emitted by sla_monitor on `sla-events`, keyed by case id."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.vocabulary import CLOCKS, SLA_LEVELS, STAGES


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
