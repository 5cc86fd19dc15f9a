"""Looking for names of victims, witnesses and sources where they must never be: files, rows, records, dead letters."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, select

# A dead letter keeps its original record base64-encoded: a name inside it would not show in the bytes as such.
ORIGINAL = re.compile(rb'"original"\s*:\s*"([A-Za-z0-9+/=]+)"')


def forms(names: Iterable[str]) -> set[str]:
    """Each name as written, and as JSON writes it with non-ASCII letters escaped (Aïssata -> A\\u00efssata)."""
    return {form for name in names for form in (name, json.dumps(name)[1:-1])}


def revealed(data: bytes | str, wanted: Iterable[str]) -> set[str]:
    """The names in `data`, or in a dead letter's original encoded inside it."""
    raw = data.encode() if isinstance(data, str) else data
    found = {name for name in wanted if name.encode() in raw}
    for match in ORIGINAL.finditer(raw):
        try:
            found |= revealed(base64.b64decode(match.group(1), validate=True), wanted)
        except binascii.Error:
            continue
    return found


def sqlite_files(folder: Path) -> dict[str, bytes]:
    """Every byte of every SQLite file in `folder`: the databases, their write-ahead logs and journals."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if ".sqlite" in p.name}


def every_row(engine: Engine, schema: str | None = None) -> dict[str, bytes]:
    """Every table of a database (or of one schema of it): each row's values, bytes as stored, one row a line."""
    metadata = MetaData()
    metadata.reflect(engine, schema=schema)
    out = {}
    with engine.connect() as conn:
        for name, table in sorted(metadata.tables.items()):
            lines = [b"\t".join(_bytes(v) for v in row) for row in conn.execute(select(table))]
            out[name] = b"\n".join(lines)
    return out


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def identities_of(record: dict[str, Any]) -> set[str]:
    """Every name, contact and date of birth in a record's identities as written: version 1's lists of people and
    version 2's people by ref (names with their variants)."""
    identities = record.get("identities") or {}
    found: set[str] = set()
    for group in identities.values() if isinstance(identities, dict) else []:
        for person in group if isinstance(group, list) else []:
            found.update(v for k, v in person.items() if k in ("name", "contact") and v)
        for person in group.values() if isinstance(group, dict) else []:
            found.update(person.get("names") or [])
            found.update(v for k, v in person.items() if k in ("contact", "date_of_birth") and v)
    return found
