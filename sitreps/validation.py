"""Validation of an incident as written: the contract, then the rules that need `now` and the offices."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import ValidationError

from reference.gazetteer import gazetteer
from schemas import compiled
from schemas.errors import Problem, SchemaError, from_marshmallow
from schemas.incident import IncidentAsWrittenSchema
from schemas.people import check_record, required_without_acts
from sitreps.acts import derive

# Field laptops and phones drift; a report stamped a few minutes ahead of our clock is not "from the future".
CLOCK_TOLERANCE = timedelta(minutes=5)

ORDER_MESSAGE = "occurred after it was reported"  # schemas.incident's wording for occurred_at > reported_at

# The rules read an incident with its identities opened; on the topics they are sealed (ADR 10).
_AS_WRITTEN = IncidentAsWrittenSchema()


def validate(record: Any, now: datetime, offices: Collection[str]) -> dict[str, Any]:
    """Load an incident as written (identities in the clear) and apply the rules that need `now` and the configured
    offices; raises SchemaError naming each field."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    try:
        loaded = compiled.load(_AS_WRITTEN, record)
        check_record(loaded)
    except ValidationError as exc:
        messages = {**required_without_acts(record), **exc.normalized_messages()}  # every missing field at once
        raise _with_times(from_marshmallow(messages), record) from None
    # One time zone for everything we store and hash: the same instant written two ways is the same content.
    for name in ("reported_at", "occurred_at"):
        loaded[name] = loaded[name].astimezone(UTC)
    _times_in_utc(loaded)
    errors: dict[str, Any] = {}
    for number, act in enumerate(loaded.get("acts") or []):
        if act.get("occurred_at") is not None and act["occurred_at"] > loaded["reported_at"]:
            errors[f"acts.{number}.occurred_at"] = [f"{ORDER_MESSAGE} ({act['occurred_at'].isoformat()} > "
                                                    f"reported_at {loaded['reported_at'].isoformat()})"]
    for name in ("reported_at", "occurred_at"):
        if loaded[name] > now + CLOCK_TOLERANCE:
            errors[name] = [Problem(f"is in the future ({loaded[name].isoformat()} > now {now.isoformat()})",
                                    "future", when=loaded[name].isoformat())]
    office = canonical_office(loaded["office"], offices)
    if office is None:
        errors["office"] = [Problem(f"unknown office {loaded['office']!r}; expected one of {', '.join(offices)}",
                                    "unknown_office", office=str(loaded["office"]), offices=", ".join(offices))]
    else:
        loaded["office"] = office
    if errors:
        raise SchemaError(errors)
    return derive(loaded)


def located(record: dict[str, Any]) -> dict[str, Any]:
    """The record with its place in the gazetteer: the P-code it gives, else the unit its `location` names without
    ambiguity, else none and `place_free_text` set (free text, flagged for the officer)."""
    if record.get("place_pcode"):
        unit = gazetteer().get(record["place_pcode"])
        return {**record, "place_pcode": unit.pcode if unit else record["place_pcode"], "place_free_text": False}
    unit = gazetteer().match(record.get("location"))
    return {**record, "place_pcode": unit.pcode if unit else None, "place_free_text": unit is None}


def _times_in_utc(loaded: dict[str, Any]) -> None:
    """Acts' and consents' times in UTC too, as `reported_at`: one instant hashes one way."""
    for act in loaded.get("acts") or []:
        if act.get("occurred_at") is not None:
            act["occurred_at"] = act["occurred_at"].astimezone(UTC)
    for person in loaded.get("people") or []:
        consent = person.get("consent") or {}
        for name in ("obtained_at", "withdrawn_at"):
            if consent.get(name) is not None:
                consent[name] = consent[name].astimezone(UTC)


def _with_times(error: SchemaError, record: Any) -> SchemaError:
    """Say which two times are out of order, so that whoever fixes the report need not look them up."""
    messages = error.fields.get("occurred_at")
    if not isinstance(messages, list) or ORDER_MESSAGE not in messages:
        return error
    times = f"{ORDER_MESSAGE} ({record['occurred_at']} > reported_at {record['reported_at']})"
    return SchemaError({**error.fields, "occurred_at": [times if m == ORDER_MESSAGE else m for m in messages]})


def canonical_office(name: str, offices: Collection[str]) -> str | None:
    """The configured spelling of an office, matched without regard to case or surrounding blanks."""
    wanted = name.strip().casefold()
    return next((office for office in offices if office.casefold() == wanted), None)
