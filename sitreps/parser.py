"""The incident record in a `sitrep-incidents` message: a bare IncidentReported record or one in an envelope."""

from __future__ import annotations

import json
from typing import Any

from schemas import json_text
from schemas.errors import Problem, SchemaError


def parse(value: bytes) -> Any:
    """The incident record in a message: a bare IncidentReported record, or one inside an envelope."""
    try:
        data = json_text.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaError(Problem(f"not JSON: {exc}", "not_json")) from None
    if not isinstance(data, dict):
        raise SchemaError(Problem(f"an incident must be a JSON object, not {type(data).__name__}", "not_object"))
    if "payload" in data and "type" in data:  # an envelope: no bare record has these fields
        if data["type"] != "IncidentReported" or data.get("version", 1) not in (1, 2):
            raise SchemaError({"type": [Problem(f"expected IncidentReported version 1 or 2, got {data['type']!r} "
                                                f"version {data.get('version', 1)!r}", "not_incident")]})
        if not isinstance(data["payload"], dict):
            raise SchemaError({"payload": [Problem("must be a JSON object", "not_object")]})
        return data["payload"]
    return data
