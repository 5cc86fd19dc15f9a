"""Incident rules of intake: validation against the contract and the rules that need `now` and offices."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import ValidationError

from schemas import compiled
from schemas.errors import SchemaError, from_marshmallow
from schemas.incident import IdentitiesSchema, IncidentAsWrittenSchema

DEFAULT_OFFICES: tuple[str, ...] = ("Bamako", "Mopti", "Gao", "Timbuktu", "Kidal", "Menaka")

# Field laptops and phones drift; a report stamped a few minutes ahead of our clock is not "from the future".
CLOCK_TOLERANCE = timedelta(minutes=5)

ORDER_MESSAGE = "occurred after it was reported"  # schemas.incident's wording for occurred_at > reported_at

# Intake's rules read an incident with its identities opened; on the topics they are sealed (ADR 10).
_AS_WRITTEN = IncidentAsWrittenSchema()
_IDENTITIES = IdentitiesSchema()


def validate(record: Any, now: datetime, offices: Collection[str] = DEFAULT_OFFICES) -> dict[str, Any]:
    """Load an incident as written (identities in the clear) and apply intake's rules; raises SchemaError naming
    each field."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    try:
        loaded = compiled.load(_AS_WRITTEN, record)
    except ValidationError as exc:
        raise _with_times(from_marshmallow(exc.normalized_messages()), record) from None
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


def content_hash(record: Mapping[str, Any], identities_digest: str) -> str:
    """SHA-256 of the validated record in canonical JSON, its identities stood for by their keyed digest: equal for
    equal content whatever the file format and the ciphertext, and no test of guessed names against it (ADR 10)."""
    data = compiled.dump(_AS_WRITTEN, record)
    data["identities"] = identities_digest
    return _sha256(data)


def content_hash_in_clear(record: Mapping[str, Any]) -> str:
    """The content hash of the versions before identities were sealed: identities in the clear in the hashed JSON.
    Only compared with (an incident accepted then, repeated now), never stored again."""
    return _sha256(compiled.dump(_AS_WRITTEN, record))


def _sha256(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def load_identities(identities: Any) -> dict[str, Any]:
    """Identities as opened from their seal, loaded as `validate` loads them (they were validated before)."""
    try:
        loaded: dict[str, Any] = compiled.load(_IDENTITIES, identities)
    except ValidationError as exc:
        raise from_marshmallow(exc.normalized_messages()) from None
    return loaded


def identities_text(identities: Mapping[str, Any]) -> bytes:
    """Validated identities in canonical JSON: what their keyed digest is computed over."""
    data = compiled.dump(_IDENTITIES, identities)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
