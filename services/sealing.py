"""Identities sealed at the edge: a record's `identities` become Fernet ciphertext before it enters hrcase (ADR 10).

Every producer of `sitrep-incidents` records (sitrep load and publish, the API, the web form and import, the
history import, the demo) seals with `seal_record` or `seal_outgoing`; intake, which holds the key too, seals what
an outside producer sent in the clear and opens the rest to validate it. Only casework's vault opens them for people.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from schemas import json_text
from schemas.errors import SchemaError
from services.messaging.ports import Outgoing
from services.vault import PREFIX, IdentityVault, WrongKey
from sitreps.files import SitrepRecord

SEALED = PREFIX.encode()  # a whole record sealed: bytes that are not a JSON object may hold names anywhere
FIELD = "identities"
CANNOT_OPEN = "sealed with a key this installation does not hold (or altered): ask for the record again"


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def seal_record(record: dict[str, Any], vault: IdentityVault) -> dict[str, Any]:
    """The record with its identities sealed; one without identities, or with them sealed already, as it is."""
    if FIELD not in record or is_sealed(record[FIELD]):
        return record
    return {**record, FIELD: vault.seal(record[FIELD])}


def seal_value(value: bytes, vault: IdentityVault) -> bytes:
    """A raw record's bytes (a bare IncidentReported record or its envelope) with the identities sealed.

    Bytes with nothing to seal come back unchanged; a record whose identities are sealed here is written again as
    compact JSON in its own key order. Bytes that are not a JSON object are sealed whole.
    """
    if value.startswith(SEALED):
        return value
    data = _json_object(value)
    record = _record_in(data) if data is not None else None
    if data is None or record is None:
        return vault.encrypt(value).encode()
    if FIELD not in record or is_sealed(record[FIELD]):
        return value
    record[FIELD] = vault.seal(record[FIELD])
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def sitrep_outgoing(record: SitrepRecord) -> Outgoing:
    """A situation report file's record as `sitrep-incidents` takes it, identities as the file has them."""
    return Outgoing(record.topic, record.key, record.value, dict(record.headers))


def seal_outgoing(records: Iterable[Outgoing], vault: IdentityVault) -> list[Outgoing]:
    """Situation-report records with their identities sealed, ready for `sitrep-incidents`."""
    return [replace(r, value=sealed) if (sealed := seal_value(r.value, vault)) is not r.value else r for r in records]


def open_value(value: bytes, vault: IdentityVault) -> bytes:
    """The bytes of a record sealed whole, opened; any other bytes as they are."""
    if not value.startswith(SEALED):
        return value
    try:
        return vault.decrypt(value.decode("ascii"))
    except (WrongKey, UnicodeDecodeError):
        raise SchemaError(f"the record is {CANNOT_OPEN}") from None


def open_record(record: dict[str, Any], vault: IdentityVault) -> dict[str, Any]:
    """The record with its sealed identities opened (as sent, not yet validated); others as they are."""
    if not is_sealed(record.get(FIELD)):
        return record
    return {**record, FIELD: open_identities(record[FIELD], vault)}


def open_identities(sealed: str, vault: IdentityVault) -> Any:
    try:
        return json.loads(vault.decrypt(sealed))
    except (WrongKey, ValueError):
        raise SchemaError({FIELD: [CANNOT_OPEN]}) from None


def plain_form(value: bytes, vault: IdentityVault) -> bytes | None:
    """What a raw record is whatever its ciphertext: its bytes with the identities opened, in canonical JSON (the
    whole bytes, if not a JSON object). None when it holds nothing sealed and nothing to seal, or cannot be opened.
    A keyed digest of it, never a plain hash, stands for a record that holds identities (ADR 10)."""
    try:
        value = open_value(value, vault)
    except SchemaError:
        return None
    data = _json_object(value)
    record = _record_in(data) if data is not None else None
    if data is None or record is None:
        return value
    if FIELD not in record:
        return None
    if is_sealed(record[FIELD]):
        try:
            record[FIELD] = open_identities(record[FIELD], vault)
        except SchemaError:
            return None
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _json_object(value: bytes) -> dict[str, Any] | None:
    try:
        data = json_text.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _record_in(data: dict[str, Any]) -> dict[str, Any] | None:
    """The incident record in a JSON object: the object itself, or an envelope's payload (as intake reads it)."""
    if "payload" in data and "type" in data:
        payload = data["payload"]
        return payload if isinstance(payload, dict) else None
    return data
