"""The incidents file of a history read as a stream: the records of `hrcase sitrep load`, one at a time."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from services.intake.adapters.sitrep_files import (
    SitrepFileError,
    _header,
    _key_of_line,
    _nest,
    _next_row,
    _outgoing,
)
from services.intake.domain.incident import raw_incident_key
from services.messaging.ports import Outgoing


def scan_sitrep(path: Path) -> Iterator[Outgoing]:
    """What `read_sitrep` returns, record by record, without holding the file: a history may be gigabytes.

    Raises SitrepFileError (a ValueError) when the file as a whole cannot be read, possibly after some records.
    """
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _jsonl(path)
    if suffix == ".csv":
        return _csv(path)
    raise SitrepFileError(f"{path.name}: unknown sitrep file format {path.suffix!r}; expected .jsonl or .csv")


def _jsonl(path: Path) -> Iterator[Outgoing]:
    with path.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            line = raw.removesuffix(b"\n").removesuffix(b"\r")  # the line terminator is not part of the record
            if line.strip():
                yield _outgoing(line, _key_of_line(line), path.name, number, "jsonl")


def _csv(path: Path) -> Iterator[Outgoing]:
    name = path.name
    with path.open(encoding="utf-8-sig", newline="") as file:  # spreadsheets often write a byte-order mark
        try:
            reader = csv.reader(file)
            header = _header(reader, name)
            start = reader.line_num + 1
            while (row := _next_row(reader, name)) is not None:
                if any(cell.strip() for cell in row):
                    record = _nest(header, row)
                    value = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
                    yield _outgoing(value, raw_incident_key(record), name, start, "csv")
                start = reader.line_num + 1
        except UnicodeDecodeError as exc:
            raise SitrepFileError(f"{name}: not UTF-8 ({exc})") from None
