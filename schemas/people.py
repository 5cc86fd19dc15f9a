"""People and acts of an incident (version 2): who was involved, with what consent, and who did what to whom.

A person's open attributes (role, sex, age group, occupation, protection risk, consent) travel with the incident and
are counted in reports; what identifies them (names, date of birth, contact) goes into the sealed identities under
`people`, by the same ref (ADR 10)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from reference.gazetteer import CoordinateError, gazetteer, validate_coordinates
from schemas.text import Text
from schemas.vocabulary import OCCUPATIONS, PERPETRATOR_CATEGORIES, VIOLATION_TYPES

SENSITIVE = {"sensitive": True}
ROLES = ("victim", "witness", "source")
SEXES = ("female", "male", "other", "unknown")
AGE_GROUPS = ("adult", "child", "unknown")
PROTECTION_RISKS = ("none", "low", "medium", "high", "unknown")
ADULT_AGE = 18
REF = r"^[A-Za-z0-9_-]{1,16}$"
REF_RULE = "1 to 16 letters, digits, '-' or '_', unique within the incident (e.g. p1)"


class ConsentSchema(Schema):
    """What the person agreed to, who asked them and when; a withdrawal stops every later sharing."""

    recorded = fields.Boolean(load_default=False, metadata={"description": "to have their information recorded"})
    contact = fields.Boolean(load_default=False, metadata={"description": "to be contacted again"})
    share_with = fields.List(Text(validate=validate.Length(min=1, max=120)), load_default=list,
                             metadata={"description": "partners their information may be shared with, by name"})
    referral = fields.Boolean(load_default=False, metadata={"description": "to be referred to services"})
    obtained_by = Text(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    obtained_at = fields.AwareDateTime(load_default=None, allow_none=True)
    withdrawn_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                        metadata={"description": "when the person withdrew their consent"})


class PersonOpenSchema(Schema):
    """A victim, witness or source by what does not identify them: open to counts and reports."""

    ref = fields.String(required=True, validate=validate.Regexp(REF, error=REF_RULE))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    sex = fields.String(load_default="unknown", validate=validate.OneOf(SEXES))
    age_group = fields.String(load_default="unknown", validate=validate.OneOf(AGE_GROUPS))
    age = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=120))
    occupation = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(OCCUPATIONS))
    protection_risk = fields.String(load_default="unknown", validate=validate.OneOf(PROTECTION_RISKS))
    consent = fields.Nested(ConsentSchema, load_default=None, allow_none=True)


class PersonIdentitySchema(Schema):
    """What identifies a person (sealed with the identities): names with their spelling variants first the main one,
    date of birth, contact."""

    names = fields.List(Text(validate=validate.Length(min=1, max=200)), required=True,
                        validate=validate.Length(min=1, max=20), metadata=SENSITIVE)
    date_of_birth = fields.Date(load_default=None, allow_none=True, metadata=SENSITIVE)
    contact = Text(load_default=None, allow_none=True, validate=validate.Length(max=200), metadata=SENSITIVE)


class ActSchema(Schema):
    """One act: a violation, its victims (refs of people of role victim), the alleged perpetrator, when and where."""

    violation_type = fields.String(required=True, validate=validate.OneOf(VIOLATION_TYPES))
    victims = fields.List(fields.String(validate=validate.Length(min=1, max=16)), load_default=list)
    perpetrator_category = fields.String(required=True, validate=validate.OneOf(PERPETRATOR_CATEGORIES))
    perpetrator_unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                                     metadata={"description": "code of a unit in the admin-kept list"})
    occurred_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                       metadata={"description": "when, if not the incident's own time"})
    place_pcode = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=2, max=16))


def age_group_of(person: Mapping[str, Any]) -> str:
    """The age group given, or the one the age says when the group is not known."""
    group = person.get("age_group") or "unknown"
    if group == "unknown" and person.get("age") is not None:
        return "adult" if person["age"] >= ADULT_AGE else "child"
    return str(group)


GIVEN_BY_ACTS = ("violation_types", "victims", "perpetrator_category")  # required only without acts (sitreps.acts)


def required_without_acts(data: Any) -> dict[str, list[str]]:
    """The fields that acts would give, missing from a record without acts: one error each, also for a record whose
    other fields fail to load (so that every missing field is named at once)."""
    if not isinstance(data, Mapping) or data.get("acts"):
        return {}
    return {name: ["Missing data for required field."] for name in GIVEN_BY_ACTS if name not in data}


def check_record(data: Mapping[str, Any]) -> None:
    """The rules across fields of a loaded record as written, each error naming its field (`acts.0.victims`, ...):
    what JSON Schema cannot say, applied by intake (sitreps.validation)."""
    errors: dict[str, Any] = required_without_acts(data)
    people = data.get("people") or []
    refs: dict[str, str] = {}
    for number, person in enumerate(people):
        ref = person.get("ref")
        if ref in refs:
            _add(errors, "people", number, "ref", f"{ref} used twice")
        else:
            refs[ref] = person.get("role", "")
        if person.get("age") is not None and person.get("age_group") not in (None, "unknown") \
                and person["age_group"] != age_group_of({"age": person["age"]}):
            _add(errors, "people", number, "age_group",
                 f"{person['age_group']} does not fit age {person['age']} (a child is under {ADULT_AGE})")
    for number, act in enumerate(data.get("acts") or []):
        for ref in act.get("victims") or []:
            if refs.get(ref) != "victim":
                _add(errors, "acts", number, "victims", f"{ref} is no victim of this incident"
                     + (f" (a {refs[ref]})" if ref in refs else ""))
        if act.get("place_pcode") and gazetteer().get(act["place_pcode"]) is None:
            _add(errors, "acts", number, "place_pcode", f"unknown P-code {act['place_pcode']!r}")
        if not act.get("victims"):
            _add(errors, "acts", number, "victims", "name at least one victim (a ref from people)")
    if data.get("place_pcode") and gazetteer().get(data["place_pcode"]) is None:
        errors["place_pcode"] = [f"unknown P-code {data['place_pcode']!r}; expected one of the gazetteer's "
                                 "(docs/reference-data.md)"]
    try:
        validate_coordinates(data.get("latitude"), data.get("longitude"))
    except CoordinateError as exc:
        name = exc.field.split(".")[-1] if "." in exc.field else "latitude"
        errors.setdefault(name, []).append(str(exc).split(": ", 1)[1])
    sealed = data.get("identities")
    if isinstance(sealed, Mapping):
        for ref in sealed.get("people") or {}:
            if ref not in refs:
                errors.setdefault("identities", {}).setdefault("people", {}).setdefault(ref, []).append(
                    f"no person {ref} in people")
    if errors:
        raise ValidationError(errors)


def _add(errors: dict[str, Any], name: str, number: int, field: str, message: str) -> None:
    errors.setdefault(name, {}).setdefault(number, {}).setdefault(field, []).append(message)
