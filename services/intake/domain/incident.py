"""Incident rules of intake: validation against the contract and the rules that need `now` and offices."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas import compiled
from schemas.errors import SchemaError
from schemas.registry import load_payload, schema_for

DEFAULT_OFFICES: tuple[str, ...] = ("Bamako", "Mopti", "Gao", "Timbuktu", "Kidal", "Menaka")

# Field laptops and phones drift; a report stamped a few minutes ahead of our clock is not "from the future".
CLOCK_TOLERANCE = timedelta(minutes=5)

ORDER_MESSAGE = "occurred after it was reported"  # schemas.incident's wording for occurred_at > reported_at


def validate(record: Any, now: datetime, offices: Collection[str] = DEFAULT_OFFICES) -> dict[str, Any]:
    """Load an IncidentReported record and apply intake's rules; raises SchemaError naming each field."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    try:
        loaded = load_payload("IncidentReported", 1, record)
    except SchemaError as exc:
        raise _with_times(exc, record) from None
    # One time zone for everything we store and hash: the same instant written two ways is the same content.
    for name in ("reported_at", "occurred_at"):
        loaded[name] = loaded[name].astimezone(UTC)
    errors: dict[str, list[str]] = {}
    for name in ("reported_at", "occurred_at"):
        if loaded[name] > now + CLOCK_TOLERANCE:
            errors[name] = [f"is in the future ({loaded[name].isoformat()} > now {now.isoformat()})"]
    office = canonical_office(loaded["office"], offices)
    if office is None:
        errors["office"] = [f"unknown office {loaded['office']!r}; expected one of {', '.join(offices)}"]
    else:
        loaded["office"] = office
    if errors:
        raise SchemaError(errors)
    return loaded


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


def incident_key(record: Mapping[str, Any]) -> str:
    """The identity of an incident across every report and service: sitrep id and its number in it."""
    return f"{record['sitrep_id']}#{record['incident_number']}"


def raw_incident_key(record: Any) -> str | None:
    """The key of a record not (yet) valid, when its two key fields can be read; else None."""
    if not isinstance(record, Mapping):
        return None
    sitrep_id, number = record.get("sitrep_id"), record.get("incident_number")
    if not isinstance(sitrep_id, str) or not sitrep_id.strip():
        return None
    if isinstance(number, bool):
        return None
    if isinstance(number, int) or (isinstance(number, str) and number.strip().isdigit()):
        return f"{sitrep_id.strip()}#{int(number)}"
    return None


def content_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 of the validated record in canonical JSON: equal for equal content, whatever the file format."""
    data = compiled.dump(schema_for("IncidentReported", 1), record)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
