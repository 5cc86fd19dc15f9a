"""Intake's hashes of a validated incident: its content and its identities (validation is `sitreps.validation`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

from schemas import compiled
from schemas.errors import from_marshmallow
from schemas.incident import IdentitiesSchema, IncidentAsWrittenSchema

# Intake's rules read an incident with its identities opened; on the topics they are sealed (ADR 10).
_AS_WRITTEN = IncidentAsWrittenSchema()
_IDENTITIES = IdentitiesSchema()


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
