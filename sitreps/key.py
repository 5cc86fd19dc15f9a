"""The incident key: a sitrep id and the incident's number in it, the identity of an incident in every service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SEPARATOR = "#"


def incident_key(sitrep_id: str, number: int | str) -> str:
    """The key of incident `number` of situation report `sitrep_id`."""
    return f"{sitrep_id}{SEPARATOR}{number}"


def key_of(record: Mapping[str, Any]) -> str:
    """The key of a validated incident record."""
    return incident_key(record["sitrep_id"], record["incident_number"])


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
        return incident_key(sitrep_id.strip(), int(number))
    return None


def sitrep_prefix(sitrep_id: str) -> str:
    """What every key of situation report `sitrep_id` begins with."""
    return f"{sitrep_id}{SEPARATOR}"


def split_key(key: str) -> tuple[str, int] | None:
    """The sitrep id and incident number of a key (the inverse of `incident_key`); None if it is not one."""
    sitrep_id, separator, number = key.rpartition(SEPARATOR)
    if not separator or not number.isdecimal():
        return None
    return sitrep_id, int(number)
