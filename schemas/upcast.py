"""Older event versions read as the latest: one upcaster per step, applied wherever events are decoded.

A version-1 incident has no people, acts, P-code or coordinates: it reads as version 2 with them empty, so logs,
exports and Kafka topics written before version 2 replay into the code that writes it. The step works on loaded
payloads (what `schemas.registry.load_payload` returns) and changes nothing that was there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]

# The version each event type is written in now; a type not named here is at version 1.
LATEST: dict[str, int] = {"IncidentReported": 2, "IncidentAccepted": 2, "CaseRegistered": 2}

RECORD_DEFAULTS: dict[str, Any] = {"place_pcode": None, "place_free_text": None, "latitude": None,
                                   "longitude": None}


def _record_v1_to_v2(payload: Payload) -> Payload:
    return {**RECORD_DEFAULTS, **payload, "people": list(payload.get("people") or []),
            "acts": list(payload.get("acts") or [])}


_STEPS: dict[tuple[str, int], Callable[[Payload], Payload]] = {
    ("IncidentReported", 1): _record_v1_to_v2,
    ("IncidentAccepted", 1): _record_v1_to_v2,
    ("CaseRegistered", 1): _record_v1_to_v2,
}


def latest_version(type_: str) -> int:
    return LATEST.get(type_, 1)


def latest(type_: str, version: int, payload: Payload) -> tuple[int, Payload]:
    """The payload of a (type, version) event as the latest version of that type has it."""
    while (step := _STEPS.get((type_, version))) is not None:
        payload, version = step(payload), version + 1
    return version, payload
