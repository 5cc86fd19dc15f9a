"""Incident events: IncidentReported (from a sitrep), IncidentAccepted, IncidentRejected; an incident as written.

Version 2 adds who did what to whom: people (their open attributes and consent), acts, and the place as a P-code
of the gazetteer with optional coordinates; every new field is optional, so a version-1 record is a valid version-2
record (schemas.upcast reads version-1 events as version 2)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.dead_letter import DeadLetterSchema
from schemas.people import ActSchema, PersonIdentitySchema, PersonOpenSchema
from schemas.text import Text
from schemas.vocabulary import PERPETRATOR_CATEGORIES, SOURCE_TYPES, VIOLATION_TYPES

SENSITIVE = {"sensitive": True}
# A rule across two fields that JSON Schema cannot state: the published schema says it in words.
OCCURRED_RULE = "when it happened: not after `reported_at` (refused: \"occurred after it was reported\")"


class VictimCountsSchema(Schema):
    """Victims disaggregated by sex and age group (counts only; never identities)."""

    female_adult = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100000))
    female_child = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100000))
    male_adult = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100000))
    male_child = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100000))
    # "unknown" would shadow marshmallow's own Schema.unknown option, so the attribute is renamed.
    unknown_ = fields.Integer(data_key="unknown", load_default=0, validate=validate.Range(min=0, max=100000))


class PersonSchema(Schema):
    """A named person (victim, witness or source): sensitive, never logged or exported widely."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata=SENSITIVE)
    contact = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                            metadata=SENSITIVE)


class IdentitiesSchema(Schema):
    """The marked-sensitive part of an incident: who the victims, witnesses and sources are."""

    victims = fields.List(fields.Nested(PersonSchema), load_default=list, metadata=SENSITIVE)
    witnesses = fields.List(fields.Nested(PersonSchema), load_default=list, metadata=SENSITIVE)
    sources = fields.List(fields.Nested(PersonSchema), load_default=list, metadata=SENSITIVE)
    # Version 2: the identifying part of each person record, by its ref. No default: a version-1 record's identities
    # stay as they were (their keyed digest, which de-duplication compares, is unchanged).
    people = fields.Dict(keys=fields.String(), values=fields.Nested(PersonIdentitySchema),
                         metadata={**SENSITIVE, "description": "by ref: each a ref of `people` (intake checks it)"})


# As written (a report, a form, the API) text is held to schemas.text's rule; what is already stored or on a topic
# is read as it is, so that a log written before the rule still replays and a stored case still opens.

class PersonAsWrittenSchema(PersonSchema):
    """A person as a report names them: no control characters in a name or a contact."""

    name = Text(required=True, validate=validate.Length(min=1, max=200), metadata=SENSITIVE)
    contact = Text(load_default=None, allow_none=True, validate=validate.Length(max=200), metadata=SENSITIVE)


class IdentitiesAsWrittenSchema(IdentitiesSchema):
    """Identities as a report gives them, in the clear."""

    victims = fields.List(fields.Nested(PersonAsWrittenSchema), load_default=list, metadata=SENSITIVE)
    witnesses = fields.List(fields.Nested(PersonAsWrittenSchema), load_default=list, metadata=SENSITIVE)
    sources = fields.List(fields.Nested(PersonAsWrittenSchema), load_default=list, metadata=SENSITIVE)
    people = fields.Dict(keys=Text(), values=fields.Nested(PersonIdentitySchema),
                         metadata={**SENSITIVE, "description": "by ref: each a ref of `people` (intake checks it)"})


class SealedIdentities(fields.String):
    """The identities of an incident sealed where it entered hrcase: "fernet:" and a Fernet token (ADR 10).

    Only the identity key opens them (casework, for the people allowed to see them; intake, to validate them).
    """

    PATTERN = r"^fernet:[A-Za-z0-9_-]+={0,2}$"
    MAX_LENGTH = 1_000_000

    def __init__(self, **kwargs: Any):
        super().__init__(
            validate=[validate.Length(max=self.MAX_LENGTH),
                      validate.Regexp(self.PATTERN, error="must be identities sealed at the edge (\"fernet:\" and "
                                                          "a Fernet token), never in the clear")],
            metadata={**SENSITIVE, "description": "IdentitiesSchema as JSON, Fernet-encrypted under the identity key"},
            **kwargs)


class _IncidentSchema(Schema):
    """What every form of an incident has, identities apart."""

    sitrep_id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"))
    incident_number = fields.Integer(required=True, strict=False, validate=validate.Range(min=1, max=100000))
    reported_at = fields.AwareDateTime(required=True, metadata={"description": "when the sitrep reported it"})
    occurred_at = fields.AwareDateTime(required=True, metadata={"description": OCCURRED_RULE})
    office = fields.String(required=True, validate=validate.Length(min=2, max=40))
    location = fields.String(required=True, validate=validate.Length(min=2, max=200))
    violation_types = fields.List(fields.String(validate=validate.OneOf(VIOLATION_TYPES)), required=True,
                                  validate=validate.Length(min=1))
    perpetrator_category = fields.String(required=True, validate=validate.OneOf(PERPETRATOR_CATEGORIES))
    victims = fields.Nested(VictimCountsSchema, required=True)
    source_type = fields.String(required=True, validate=validate.OneOf(SOURCE_TYPES))
    summary = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    assignee = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64),
                             metadata={"description": "username of the HRO who will record it, if known"})

    @validates_schema
    def occurred_before_reported(self, data: dict, **_: object) -> None:
        if "occurred_at" in data and "reported_at" in data and data["occurred_at"] > data["reported_at"]:
            raise ValidationError("occurred after it was reported", field_name="occurred_at")


PLACE_PCODE = "a P-code of the gazetteer (reference/data/mali_admin.csv); set by intake from `location` if absent"
FREE_TEXT = "true when `location` names no unit of the gazetteer (free text, flagged for the officer)"


# Rules across fields that JSON Schema cannot state: intake applies them (schemas.people.check_record, via
# sitreps.validation), the published schema says them in words, and a record that breaks one is refused naming it.
PEOPLE_RULE = "each `ref` once; an age and an age group that agree; identities.people only for these refs"
ACTS_RULE = ("each victim a ref of a person of role victim; with acts, `violation_types`, `victims` and "
             "`perpetrator_category` follow from them and may be left out (if given, they must agree: the perpetrator "
             "category one an act names, else the first act's is taken)")


class _RecordFields(Schema):
    """Version 2's fields: who did what to whom, and where exactly (their rules across fields: ACTS_RULE...)."""

    place_pcode = fields.String(allow_none=True, validate=validate.Length(min=2, max=16),
                                metadata={"description": PLACE_PCODE})
    place_free_text = fields.Boolean(allow_none=True, metadata={"description": FREE_TEXT})
    latitude = fields.Float(allow_none=True, metadata={"description": "decimal degrees, with longitude or not at all"})
    longitude = fields.Float(allow_none=True, metadata={"description": "decimal degrees, with latitude or not at all"})
    people = fields.List(fields.Nested(PersonOpenSchema), metadata={"description": PEOPLE_RULE})
    acts = fields.List(fields.Nested(ActSchema), metadata={"description": ACTS_RULE})


GIVEN_OR_DERIVED = "required unless `acts` is given (then it follows from the acts)"


class IncidentAsWrittenSchema(_RecordFields, _IncidentSchema):
    """An incident as a situation report, a form or the API gives it, identities in the clear: what intake's rules
    check. Never on a topic: the edge seals the identities first (IncidentReported).

    `occurred_at` may not be after `reported_at`; text holds no control characters but tab and line breaks."""

    office = Text(required=True, validate=validate.Length(min=2, max=40))
    location = Text(required=True, validate=validate.Length(min=2, max=200))
    summary = Text(required=True, validate=validate.Length(min=1, max=4000))
    assignee = Text(load_default=None, allow_none=True, validate=validate.Length(max=64),
                    metadata={"description": "username of the HRO who will record it, if known"})
    identities = fields.Nested(IdentitiesAsWrittenSchema, load_default=dict, metadata=SENSITIVE)
    # With acts, the violation list and the victim counts follow from them (sitreps.acts.derive).
    violation_types = fields.List(fields.String(validate=validate.OneOf(VIOLATION_TYPES)),
                                  validate=validate.Length(min=1), metadata={"description": GIVEN_OR_DERIVED})
    victims = fields.Nested(VictimCountsSchema, metadata={"description": GIVEN_OR_DERIVED})
    perpetrator_category = fields.String(validate=validate.OneOf(PERPETRATOR_CATEGORIES),
                                         metadata={"description": GIVEN_OR_DERIVED})


class IncidentReportedSchema(_IncidentSchema):
    """IncidentReported v1: one incident as written in a weekly situation report, its identities sealed."""

    identities = SealedIdentities()


class IncidentAcceptedSchema(IncidentReportedSchema):
    """IncidentAccepted v1: a validated, de-duplicated incident, keyed by incident key."""

    incident_key = fields.String(required=True)
    possible_duplicates = fields.List(fields.String(), load_default=list,
                                      metadata={"description": "incident keys of likely duplicates to review"})


class _RecordOnTopic(_RecordFields):
    """Version 2's fields as events carry them: every one present (version 1's are read with these defaults)."""

    place_pcode = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=2, max=16),
                                metadata={"description": PLACE_PCODE})
    place_free_text = fields.Boolean(load_default=None, allow_none=True, metadata={"description": FREE_TEXT})
    latitude = fields.Float(load_default=None, allow_none=True)
    longitude = fields.Float(load_default=None, allow_none=True)
    people = fields.List(fields.Nested(PersonOpenSchema), load_default=list)
    acts = fields.List(fields.Nested(ActSchema), load_default=list)


class IncidentReportedV2Schema(_RecordOnTopic, IncidentReportedSchema):
    """IncidentReported v2: v1 with people (open attributes, consent), acts, a P-code and coordinates."""


class IncidentAcceptedV2Schema(_RecordOnTopic, IncidentAcceptedSchema):
    """IncidentAccepted v2: v1 with people (open attributes, consent), acts, a P-code and coordinates; its
    violation list and victim counts agree with its acts (sitreps.acts.derive)."""


class IncidentRejectedSchema(DeadLetterSchema):
    """IncidentRejected v1: an incident intake refused, with the reason and the original record."""
