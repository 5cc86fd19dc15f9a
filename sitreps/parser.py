"""The incident record in a `sitrep-incidents` message: a bare IncidentReported record or one in an envelope."""

from __future__ import annotations

import json
from typing import Any

from schemas import json_text
from schemas.errors import SchemaError


def parse(value: bytes) -> Any:
    """The incident record in a message: a bare IncidentReported record, or one inside an envelope."""
    try:
        data = json_text.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SchemaError(f"an incident must be a JSON object, not {type(data).__name__}")
    if "payload" in data and "type" in data:  # an envelope: no bare record has these fields
        if data["type"] != "IncidentReported" or data.get("version", 1) != 1:
            raise SchemaError({"type": [f"expected IncidentReported version 1, got {data['type']!r} "
                                        f"version {data.get('version', 1)!r}"]})
        if not isinstance(data["payload"], dict):
            raise SchemaError({"payload": ["must be a JSON object"]})
        return data["payload"]
    return data
