"""Event type name and version to payload schema: the catalogue every adapter decodes with."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from schemas import case, compiled, dead_letter, incident, sla, upcast
from schemas.errors import SchemaError, from_marshmallow

# (type, version) -> schema class. A new version is a new entry; old ones stay decodable.
EVENT_TYPES: dict[tuple[str, int], type[Schema]] = {
    ("IncidentReported", 1): incident.IncidentReportedSchema,
    ("IncidentAccepted", 1): incident.IncidentAcceptedSchema,
    ("IncidentReported", 2): incident.IncidentReportedV2Schema,
    ("IncidentAccepted", 2): incident.IncidentAcceptedV2Schema,
    ("IncidentRejected", 1): incident.IncidentRejectedSchema,
    ("CaseRegistered", 1): case.CaseRegisteredSchema,
    ("CaseRegistered", 2): case.CaseRegisteredV2Schema,
    ("CaseRecorded", 1): case.CaseRecordedSchema,
    ("CaseAssigned", 1): case.CaseAssignedSchema,
    ("ActivityLogged", 1): case.ActivityLoggedSchema,
    ("StageChanged", 1): case.StageChangedSchema,
    ("DelayJustified", 1): case.DelayJustifiedSchema,
    ("CaseReviewed", 1): case.CaseReviewedSchema,
    ("ClosureRequested", 1): case.ClosureRequestedSchema,
    ("ClosureApproved", 1): case.ClosureDecisionSchema,
    ("ClosureRejected", 1): case.ClosureDecisionSchema,
    ("CaseClosedWithoutApproval", 1): case.CaseClosedWithoutApprovalSchema,
    ("FollowUpRecorded", 1): case.FollowUpRecordedSchema,
    ("CaseReopened", 1): case.CaseReopenedSchema,
    ("AlertAcknowledged", 1): case.AlertAcknowledgedSchema,
    ("IncidentAmended", 1): case.IncidentAmendedSchema,
    ("ConsentRecorded", 1): case.ConsentRecordedSchema,
    ("ConsentWithdrawn", 1): case.ConsentWithdrawnSchema,
    ("IdentityCorrected", 1): case.IdentityCorrectedSchema,
    ("DuplicateDismissed", 1): case.DuplicateDismissedSchema,
    ("CaseMerged", 1): case.CaseMergedSchema,
    ("DuplicateAbsorbed", 1): case.DuplicateAbsorbedSchema,
    ("MessageDeadLettered", 1): dead_letter.DeadLetterSchema,
    ("SlaWarning", 1): sla.SlaEventSchema,
    ("SlaBreached", 1): sla.SlaEventSchema,
    ("SlaEscalated", 1): sla.SlaEventSchema,
    ("SlaCleared", 1): sla.SlaEventSchema,
    ("SlaScheduled", 1): sla.SlaScheduledSchema,
    ("SlaScheduled", 2): sla.SlaSchedulesSchema,
}

_INSTANCES: dict[tuple[str, int], Schema] = {}


def schema_for(type_: str, version: int) -> Schema:
    key = (type_, version)
    if key not in EVENT_TYPES:
        raise SchemaError({"type": [f"unknown event type {type_!r} version {version}"]})
    if key not in _INSTANCES:
        _INSTANCES[key] = EVENT_TYPES[key]()
    return _INSTANCES[key]


def load_payload(type_: str, version: int, payload: Any) -> dict[str, Any]:
    """Validate a payload against its version's schema; returns typed values, upcast to the type's latest version
    (schemas.upcast), or raises SchemaError."""
    try:
        loaded = compiled.load(schema_for(type_, version), payload)
    except ValidationError as exc:
        raise from_marshmallow(exc.normalized_messages()) from None
    return upcast.latest(type_, version, loaded)[1]


def latest_version(type_: str) -> int:
    """The version an event of this type is written in now."""
    return upcast.latest_version(type_)


def dump_payload(type_: str, version: int, payload: dict[str, Any]) -> dict[str, Any]:
    """Typed values to their JSON form, validating on the way out so a bad event is never emitted."""
    schema = schema_for(type_, version)
    data = compiled.dump(schema, payload)
    errors = compiled.validate(schema, data)
    if errors:
        raise from_marshmallow(errors)
    return data
