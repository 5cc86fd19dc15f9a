"""Export every event schema as JSON Schema (2020-12 via OpenAPI 3.1) for non-Python consumers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from schemas.envelope import EnvelopeSchema
from schemas.registry import EVENT_TYPES


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema document, one per event type and version, plus the envelope."""
    spec = APISpec("hrcase events", "1", "3.1.0", plugins=[MarshmallowPlugin()])
    names: dict[str, tuple[str, str]] = {"envelope.v1.json": ("Envelope", "Envelope")}
    spec.components.schema("Envelope", schema=EnvelopeSchema)
    registered: dict[type, str] = {}
    for (type_, version), schema in EVENT_TYPES.items():
        # Several event types share a payload class (e.g. the four SLA events): register it once.
        if schema not in registered:
            registered[schema] = f"{type_}V{version}"
            spec.components.schema(registered[schema], schema=schema)
        names[f"{type_}.v{version}.json"] = (f"{type_} v{version}", registered[schema])
    components = spec.to_dict()["components"]["schemas"]
    out = {}
    for filename, (title, component) in names.items():
        doc = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://hrcase.example/schemas/{filename}",
            "title": title,
            **components[component],
            "$defs": {k: v for k, v in components.items() if k != component},
        }
        out[filename] = json.loads(json.dumps(doc).replace("#/components/schemas/", "#/$defs/"))
    return out


def export(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, doc in json_schemas().items():
        path = directory / filename
        path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written
