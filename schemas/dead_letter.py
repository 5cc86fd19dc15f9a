"""Dead-letter records: what could not be processed, with its original bytes, position and reason."""

from __future__ import annotations

from marshmallow import Schema, fields


class DeadLetterSchema(Schema):
    """MessageDeadLettered v1 (IncidentRejected v1 has the same shape): nothing is ever dropped silently."""

    reason = fields.String(required=True)
    fields_in_error = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), load_default=dict)
    original = fields.String(required=True, metadata={"description": "original record bytes, base64"})
    source = fields.Dict(load_default=dict, metadata={"description": "topic, partition, offset, file, line"})
    incident_key = fields.String(load_default=None, allow_none=True)
