"""Situation report files (JSON Lines or CSV) to raw records for `sitrep-incidents`; intake does the validating."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from schemas import json_text
from schemas.topics import SITREP_INCIDENTS
from sitreps import csv_people
from sitreps.key import raw_incident_key

LIST_COLUMNS = ("violation_types",)
VICTIM_COLUMNS = {f"victims_{g}": g for g in ("female_adult", "female_child", "male_adult", "male_child", "unknown")}
IDENTITY_COLUMNS = {"victim_names": "victims", "witness_names": "witnesses", "source_names": "sources"}
# The documented columns, in their documented order; any other column passes through as a top-level field.
CSV_COLUMNS = (
    "sitrep_id", "incident_number", "reported_at", "occurred_at", "office", "location", "violation_types",
    "perpetrator_category", *VICTIM_COLUMNS, "source_type", "summary", "assignee", *IDENTITY_COLUMNS,
    "place_pcode", "latitude", "longitude", *csv_people.PEOPLE_COLUMNS,
)


class SitrepFileError(ValueError):
    """The file as a whole cannot be read (unknown format, unreadable CSV header); `code` and `params` let a reader
    in another language (the web pages) say why in theirs."""

    def __init__(self, text: str, code: str, **params: str) -> None:
        super().__init__(text)
        self.code, self.params = code, params


@dataclass(frozen=True)
class SitrepRecord:
    """One record of a file as it goes to `sitrep-incidents`: keyed by its incident key (or its place in the file
    when that cannot be read), its bytes unvalidated, where it came from in its headers."""

    topic: ClassVar[str] = SITREP_INCIDENTS
    key: str
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)


def read_sitrep(path: Path | str) -> list[SitrepRecord]:
    """One record per non-blank line (JSONL) or row (CSV), in file order; the file is read whole first."""
    path = Path(path)
    reader = {".jsonl": read_jsonl, ".csv": read_csv}[_format(path)]
    return reader(path.read_bytes(), path.name)


BadCell = Callable[[int, str], None]  # told the line and the problem ("column acts: ...") of a CSV cell


def scan_sitrep(path: Path | str, bad_cell: BadCell | None = None) -> Iterator[SitrepRecord]:
    """The records of `read_sitrep`, one at a time, without holding the file: a history's may be gigabytes.

    Raises SitrepFileError when the file as a whole cannot be read: an unknown format at once, an unreadable CSV or
    a CSV that is not UTF-8 when it is met (possibly after some records). A CSV cell of the people columns that does
    not follow its syntax raises it too, unless `bad_cell` is given: then it is told the row's line and the problem
    (naming the column), the row is left out, and the scan goes on (the history import lists every such row).
    """
    path = Path(path)
    return _scan_jsonl(path) if _format(path) == ".jsonl" else _scan_csv(path, bad_cell)


def read_jsonl(data: bytes, name: str) -> list[SitrepRecord]:
    return list(_jsonl_records(data.split(b"\n"), name))


def read_csv(data: bytes, name: str) -> list[SitrepRecord]:
    try:
        text = data.decode("utf-8-sig")  # spreadsheets often write a byte-order mark
    except UnicodeDecodeError:
        where = _first_not_utf8(data.split(b"\n"))
        raise SitrepFileError(f"{name}: not UTF-8 {where}", "not_utf8") from None
    return list(_csv_records(io.StringIO(text, newline=""), name))


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise SitrepFileError(f"{path.name}: unknown sitrep file format {path.suffix!r}; expected .jsonl or .csv",
                              "unknown_format")
    return suffix


def _scan_jsonl(path: Path) -> Iterator[SitrepRecord]:
    with path.open("rb") as file:
        yield from _jsonl_records(file, path.name)


def _scan_csv(path: Path, bad_cell: BadCell | None = None) -> Iterator[SitrepRecord]:
    with path.open(encoding="utf-8-sig", newline="") as file:  # spreadsheets often write a byte-order mark
        try:
            yield from _csv_records(file, path.name, bad_cell)
        except UnicodeDecodeError:
            # The decoder's position counts from the start of its chunk, not of the file: find the line again.
            with path.open("rb") as lines:
                where = _first_not_utf8(lines)
            raise SitrepFileError(f"{path.name}: not UTF-8 {where}", "not_utf8") from None


def _first_not_utf8(lines: Iterable[bytes]) -> str:
    """Where the first byte that is not UTF-8 is, as a person opening the file would look for it. A line is decoded
    on its own: the newline byte never occurs inside a UTF-8 character."""
    for number, line in enumerate(lines, start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            before = line[:exc.start].removeprefix(b"\xef\xbb\xbf") if number == 1 else line[:exc.start]  # a BOM
            return (f"at line {number}, character {len(before.decode('utf-8')) + 1} "
                    f"(byte {line[exc.start:exc.end]!r}: {exc.reason}); save the file as UTF-8")
    return "(save the file as UTF-8)"


def _jsonl_records(lines: Iterable[bytes], name: str) -> Iterator[SitrepRecord]:
    for number, line in enumerate(lines, start=1):
        line = line.removesuffix(b"\n").removesuffix(b"\r")  # the line terminator is not part of the record
        if line.strip():
            yield _record(line, _key_of_line(line), name, number, "jsonl")


def _csv_records(text: Iterable[str], name: str, bad_cell: BadCell | None = None) -> Iterator[SitrepRecord]:
    reader = csv.reader(text)
    header = _header(reader, name)
    start = reader.line_num + 1
    while (row := _next_row(reader, name)) is not None:
        if any(cell.strip() for cell in row):
            try:
                record = _nest(header, row)
            except csv_people.CellError as exc:  # the syntax of a people, consent or acts cell: fix and reload
                if bad_cell is not None:
                    bad_cell(start, str(exc))
                    start = reader.line_num + 1
                    continue
                raise SitrepFileError(f"{name}: line {start}, {exc}", "bad_cell", name=name, line=str(start),
                                      problem=str(exc)) from None
            value = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
            yield _record(value, raw_incident_key(record), name, start, "csv")
        start = reader.line_num + 1


def _next_row(reader: Any, name: str) -> list[str] | None:
    try:
        return next(reader, None)
    except csv.Error as exc:  # e.g. a cell over the csv module's size limit: the rest cannot be trusted
        raise SitrepFileError(f"{name}: unreadable CSV at line {reader.line_num} ({exc})", "unreadable_csv",
                              line=str(reader.line_num)) from None


def _header(reader: Any, name: str) -> list[str]:
    try:
        header = next((row for row in reader if any(c.strip() for c in row)), None)
    except csv.Error as exc:
        raise SitrepFileError(f"{name}: unreadable CSV header ({exc})", "bad_header") from None
    if header is None:
        raise SitrepFileError(f"{name}: no CSV header row; expected columns {', '.join(CSV_COLUMNS)}", "no_header")
    columns = [c.strip() for c in header]
    if "" in columns:
        raise SitrepFileError(f"{name}: CSV header has an empty column name at position {columns.index('') + 1}",
                              "bad_header")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise SitrepFileError(f"{name}: CSV header repeats column(s) {', '.join(repeated)}", "bad_header")
    return columns


def _nest(header: list[str], row: list[str]) -> dict[str, Any]:
    """A flat CSV row to the nested IncidentReported shape; empty cells mean absent."""
    record: dict[str, Any] = {}
    identities: dict[str, Any] = {}
    people: dict[str, str] = {}
    for column, cell in zip(header, row, strict=False):
        if column in VICTIM_COLUMNS:
            victims = record.setdefault("victims", {})  # even if all blank: blank counts default to 0
        cell = cell.strip()
        if not cell:
            continue
        if column in VICTIM_COLUMNS:
            victims[VICTIM_COLUMNS[column]] = cell
        elif column in csv_people.PEOPLE_COLUMNS:
            people[column] = cell
        elif column in IDENTITY_COLUMNS:
            identities[IDENTITY_COLUMNS[column]] = [{"name": n} for n in _split(cell)]
        elif column in LIST_COLUMNS:
            record[column] = _split(cell)
        else:
            record[column] = cell  # unknown columns pass through so that intake names them in its rejection
    extra = [cell for cell in row[len(header):] if cell.strip()]
    if extra:
        record["extra_cells"] = extra  # never drop data silently; intake rejects the row
    csv_people.nest(people, record, identities)
    if identities:
        record["identities"] = identities
    return record


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _key_of_line(line: bytes) -> str | None:
    try:
        record = json_text.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return raw_incident_key(record) if isinstance(record, dict) else None


def _record(value: bytes, key: str | None, name: str, line: int, fmt: str) -> SitrepRecord:
    headers = {"file": name, "line": str(line), "format": fmt}
    return SitrepRecord(key or f"{name}:{line}", value, headers)
