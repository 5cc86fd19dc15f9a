"""Case events emitted by casework on `case-events`, keyed by case id; every one carries stage and office."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.incident import SealedIdentities, VictimCountsSchema
from schemas.people import ActSchema, ConsentSchema, PersonOpenSchema
from schemas.text import Text
from schemas.vocabulary import (
    CLOSURE_REASONS,
    DELAY_REASONS,
    FOLLOW_UP_KINDS,
    PERPETRATOR_CATEGORIES,
    STAGES,
    VIOLATION_TYPES,
)


class CaseEventSchema(Schema):
    """Fields common to every case event: which case, where it stands after the event, who acted."""

    case_id = fields.String(required=True)
    reference = fields.String(required=True)
    office = fields.String(required=True)
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    actor = fields.String(required=True, metadata={"description": "username, or 'system'"})
    assignee = fields.String(load_default=None, allow_none=True)


class CaseRegisteredSchema(CaseEventSchema):
    """A case opened for an accepted incident; its recording clock starts at `reported_at`."""

    incident_key = fields.String(required=True)
    sitrep_id = fields.String(required=True)
    reported_at = fields.AwareDateTime(required=True)
    occurred_at = fields.AwareDateTime(required=True)
    location = fields.String(required=True)
    violation_types = fields.List(fields.String(validate=validate.OneOf(VIOLATION_TYPES)), required=True)
    perpetrator_category = fields.String(required=True, validate=validate.OneOf(PERPETRATOR_CATEGORIES))
    victims = fields.Nested(VictimCountsSchema, required=True)
    possible_duplicates = fields.List(fields.String(), load_default=list)


class CaseRegisteredV2Schema(CaseRegisteredSchema):
    """CaseRegistered v2: v1 with the incident's place as a P-code and coordinates, and its people (open attributes
    and consent; identities stay sealed with casework) and acts; a v1 event reads with them empty."""

    place_pcode = fields.String(load_default=None, allow_none=True)
    place_free_text = fields.Boolean(load_default=None, allow_none=True)
    latitude = fields.Float(load_default=None, allow_none=True)
    longitude = fields.Float(load_default=None, allow_none=True)
    people = fields.List(fields.Nested(PersonOpenSchema), load_default=list)
    acts = fields.List(fields.Nested(ActSchema), load_default=list)


class CaseRecordedSchema(CaseEventSchema):
    reported_at = fields.AwareDateTime(required=True,
                                       metadata={"description": "so the recording delay is in the event"})
    note = fields.String(load_default="")


class CaseAssignedSchema(CaseEventSchema):
    previous_assignee = fields.String(load_default=None, allow_none=True)


class ActivityLoggedSchema(CaseEventSchema):
    description = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class StageChangedSchema(CaseEventSchema):
    previous_stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    note = fields.String(load_default="")


class DelayJustifiedSchema(CaseEventSchema):
    reason = fields.String(required=True, validate=validate.OneOf(DELAY_REASONS))
    until = fields.AwareDateTime(required=True)
    note = fields.String(load_default="")


class CaseReviewedSchema(CaseEventSchema):
    note = fields.String(load_default="")


class ClosureRequestedSchema(CaseEventSchema):
    previous_stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    reason = fields.String(required=True, validate=validate.OneOf(CLOSURE_REASONS))
    note = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class ClosureDecisionSchema(CaseEventSchema):
    proposer = fields.String(required=True)
    note = fields.String(load_default="")


class CaseClosedWithoutApprovalSchema(CaseEventSchema):
    """Historical only: a closure an earlier database recorded without a Director's decision (see ADR 0006).

    Emitted by the history import, never by a live command: live closures need ClosureApproved.
    """

    previous_stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    reason = fields.String(required=True, validate=validate.OneOf(CLOSURE_REASONS))
    note = fields.String(load_default="", validate=validate.Length(max=4000))
    source = fields.String(required=True, validate=validate.Length(min=1, max=200),
                           metadata={"description": "where the record came from, e.g. the imported file"})


class FollowUpRecordedSchema(CaseEventSchema):
    kind = fields.String(required=True, validate=validate.OneOf(FOLLOW_UP_KINDS))
    note = fields.String(load_default="")
    partner = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=120),
                            metadata={"description": "who the case is handed over or referred to (ADR 0015)"})


CONSENT_ITEMS = ("recorded", "contact", "share_with", "referral")


class ConsentRecordedSchema(CaseEventSchema):
    """ConsentRecorded v1: a person's consent as obtained after intake, replacing what the case held for them."""

    person = fields.String(required=True, validate=validate.Length(min=1, max=16))
    consent = fields.Nested(ConsentSchema, required=True)


class ConsentWithdrawnSchema(CaseEventSchema):
    """ConsentWithdrawn v1: a person withdrew all or part of their consent; every later sharing respects it."""

    person = fields.String(required=True, validate=validate.Length(min=1, max=16))
    withdrawn = fields.List(fields.String(validate=validate.OneOf(CONSENT_ITEMS)), required=True,
                            validate=validate.Length(min=1))
    partners = fields.List(Text(validate=validate.Length(min=1, max=120)), load_default=list,
                           metadata={"description": "with share_with: only these partners (none: every partner)"})
    withdrawn_at = fields.AwareDateTime(required=True, metadata={"description": "when the person withdrew it"})
    note = fields.String(load_default="")


class CaseReopenedSchema(CaseEventSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class AlertAcknowledgedSchema(CaseEventSchema):
    alert_id = fields.String(required=True)
    note = fields.String(load_default="")


class FieldChangeSchema(Schema):
    """One field's values before and after, in their JSON form (any JSON value: a text, a list, counts...)."""

    old = fields.Raw(required=True, allow_none=True)
    new = fields.Raw(required=True, allow_none=True)


class IncidentAmendedSchema(CaseEventSchema):
    """IncidentAmended v1: the accepted incident's details corrected, with who, why and each field's old and new
    value. Fields are named as in the incident as written (IncidentAsWrittenSchema); `reported_at` never changes."""

    reason = Text(required=True, validate=validate.Length(min=1, max=500))
    changes = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=64)),
                          values=fields.Nested(FieldChangeSchema), required=True, validate=validate.Length(min=1),
                          metadata={"description": "field name -> {old, new}"})


IDENTIFYING_FIELDS = ("names", "date_of_birth", "contact")  # schemas.people.PersonIdentitySchema's fields


class IdentityCorrectedSchema(CaseEventSchema):
    """IdentityCorrected v1: a person's identifying fields corrected (ADR 20). The event names which fields changed,
    never their values: the person's whole corrected identity travels sealed (ADR 10); the old one is not kept."""

    person = fields.String(required=True, validate=validate.Length(min=1, max=16))
    changed = fields.List(fields.String(validate=validate.OneOf(IDENTIFYING_FIELDS)), required=True,
                          validate=validate.Length(min=1),
                          metadata={"description": "which identifying fields changed: their names, never values"})
    reason = Text(required=True, validate=validate.Length(min=1, max=500))
    # The person's PersonIdentitySchema after the correction, sealed; `{}` sealed in an export that withholds them.
    identity = SealedIdentities(required=True)


class DuplicateDismissedSchema(CaseEventSchema):
    """DuplicateDismissed v1: a Team Leader found this case and another, flagged as likely duplicates, to be distinct
    incidents (one event on each case of the pair)."""

    pair_id = fields.String(required=True)
    other_case_id = fields.String(required=True)
    other_reference = fields.String(required=True)
    note = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class CaseMergedSchema(CaseEventSchema):
    """CaseMerged v1: this case is the same incident as `into_reference` and closes as merged into it (stage closed);
    every clock of it stops (ADR 0022)."""

    pair_id = fields.String(required=True)
    previous_stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    into_case_id = fields.String(required=True)
    into_reference = fields.String(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=4000))


class DuplicateAbsorbedSchema(CaseEventSchema):
    """DuplicateAbsorbed v1: `from_reference` was merged into this case, which carries the incident on."""

    pair_id = fields.String(required=True)
    from_case_id = fields.String(required=True)
    from_reference = fields.String(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=4000))
