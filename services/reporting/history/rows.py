"""The case-actions CSV of a history import: columns, one marshmallow schema per row, errors with line numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.compiled import plain_int
from schemas.errors import from_marshmallow
from schemas.text import Text, normalised
from schemas.vocabulary import CLOSURE_REASONS, DELAY_REASONS, FOLLOW_UP_KINDS

ACTIONS = ("assign", "record", "activity", "advance", "delay", "review", "request_closure", "approve_closure",
           "reject_closure", "close_without_approval", "follow_up", "reopen")
ROLES = ("hro", "team_leader", "director")
REQUIRED_COLUMNS = ("sitrep_id", "incident_number", "at", "action", "actor", "actor_role")
OPTIONAL_COLUMNS = ("actor_office", "assignee", "stage", "reason", "until", "kind", "note")
COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
COLUMNS_SET = frozenset(COLUMNS)
# What each action needs besides the common columns, and what `reason` must be for it.
NEEDS: dict[str, tuple[str, ...]] = {
    "assign": ("assignee",), "activity": ("note",), "advance": ("stage",), "delay": ("reason", "until"),
    "request_closure": ("reason", "note"), "reject_closure": ("note",), "close_without_approval": ("reason",),
    "follow_up": ("kind",), "reopen": ("note",),
}
REASONS = {"delay": DELAY_REASONS, "request_closure": CLOSURE_REASONS, "close_without_approval": CLOSURE_REASONS}


@dataclass(frozen=True)
class RowError:
    file: str
    line: int  # 1 is the header; 0 when the error is about the file as a whole
    message: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class UtcDateTime(fields.Field):
    """ISO 8601; without an offset the time is UTC, and a date alone is midnight UTC."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        try:
            return utc_datetime(str(value))
        except ValueError:
            raise ValidationError(f"not an ISO 8601 date or time: {value!r}") from None


def utc_datetime(text: str) -> datetime:
    """ISO 8601 to an aware UTC time (see UtcDateTime); ValueError if it is not ISO 8601."""
    parsed = datetime.fromisoformat(text.strip())
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class ActionRowSchema(Schema):
    """One thing an officer did to a case, on a date, as the earlier database recorded it."""

    sitrep_id = Text(required=True, validate=validate.Length(min=1, max=64))
    incident_number = fields.Integer(required=True, strict=False, validate=validate.Range(min=1, max=100000))
    at = UtcDateTime(required=True)
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    actor = Text(required=True, validate=validate.Length(min=1, max=64))
    actor_role = fields.String(required=True, validate=validate.OneOf(ROLES))
    actor_office = Text(load_default=None, validate=validate.Length(min=2, max=40))
    assignee = Text(load_default=None, validate=validate.Length(min=1, max=64))
    stage = fields.String(load_default=None, validate=validate.OneOf(("investigation", "concluded")))
    reason = Text(load_default=None)
    until = UtcDateTime(load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf(FOLLOW_UP_KINDS))
    note = Text(load_default="", validate=validate.Length(max=4000))

    @validates_schema
    def what_the_action_needs(self, data: dict, **_: object) -> None:
        action = data.get("action")
        errors = {name: [f"required for action {action!r}"] for name in NEEDS.get(action or "", ())
                  if not data.get(name)}
        allowed = REASONS.get(action or "")
        if allowed and data.get("reason") and data["reason"] not in allowed:
            errors["reason"] = [f"must be one of {', '.join(allowed)} for action {action!r}"]
        if errors:
            raise ValidationError(errors)


class _RowLoader:
    """`ActionRowSchema.load` of a row, in plain Python for the usual row: a million-row history spent most of its
    check in marshmallow's general machinery. The conversions are the fields' own for the values they meet in a
    CSV, the checks are the schema's own validators and rule; anything else (a failed check, an unusual number)
    goes to marshmallow, which gives the same result or words the error."""

    def __init__(self, schema: ActionRowSchema):
        self.schema = schema
        self.fields = [(name, field.required, _CONVERSIONS.get(type(field), _unusual), field.validators,
                        field.load_default) for name, field in schema.fields.items()]

    def load(self, record: dict[str, str]) -> dict[str, Any]:
        try:
            return self._load(record)
        except (ValidationError, _Unusual):
            return self.schema.load(record)

    def _load(self, record: dict[str, str]) -> dict[str, Any]:
        if not COLUMNS_SET.issuperset(record):
            raise _Unusual
        out: dict[str, Any] = {}
        for name, required, convert, validators, default in self.fields:
            cell = record.get(name)
            if cell is None:
                if required:
                    raise _Unusual
                out[name] = default() if callable(default) else default
                continue
            value = convert(cell)
            for check in validators:
                check(value)
            out[name] = value
        self.schema.what_the_action_needs(out)
        return out


class _Unusual(Exception):
    """A row the plain loader leaves to marshmallow."""


def _unusual(cell: str) -> Any:
    raise _Unusual


def _integer(cell: str) -> int:
    number = plain_int(cell)  # int() takes more ("1_000", "+1", "٣") and refuses very long ones: marshmallow decides
    if number is None:
        raise _Unusual
    return number


def _utc_datetime(cell: str) -> datetime:
    try:
        return utc_datetime(cell)
    except ValueError:
        raise _Unusual from None


_CONVERSIONS: dict[type, Callable[[str], Any]] = {
    fields.String: lambda cell: cell, Text: normalised, fields.Integer: _integer, UtcDateTime: _utc_datetime}


def read_actions(data: bytes, name: str) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    """Rows (line number, loaded values) in file order, and every error found; blank rows are skipped."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [RowError(name, 0, f"not UTF-8 ({exc})")]
    rows, errors = [], []
    for item in scan_actions(io.StringIO(text, newline=""), name):
        if isinstance(item, RowError):
            errors.append(item)
        else:
            rows.append(item)
    return rows, errors


def scan_actions(text: Iterable[str], name: str) -> Iterator[tuple[int, dict[str, Any]] | RowError]:
    """Each row (line number, loaded values) or error, in file order, reading `text` (lines, as from a file opened
    with `newline=""`) as it goes; blank rows are skipped. A file that is not UTF-8 ends with that error."""
    reader = csv.reader(text)
    try:
        header = [c.strip() for c in next(reader, [])]
    except csv.Error as exc:
        yield RowError(name, 1, f"unreadable CSV header ({exc})")
        return
    except UnicodeDecodeError as exc:
        yield RowError(name, 0, f"not UTF-8 ({exc})")
        return
    problems = [f"missing column {c!r}" for c in REQUIRED_COLUMNS if c not in header]
    problems += [f"unknown column {c!r} (columns: {', '.join(COLUMNS)})" for c in header if c not in COLUMNS]
    if problems:
        yield RowError(name, 1, "; ".join(problems))
        return
    schema = ActionRowSchema()
    load = _RowLoader(schema).load
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            yield RowError(name, reader.line_num, f"unreadable CSV ({exc})")
            return
        except UnicodeDecodeError as exc:
            yield RowError(name, 0, f"not UTF-8 ({exc})")
            return
        if cells is None:
            return
        if any(c.strip() for c in cells):
            if len(cells) > len(header):
                yield RowError(name, line, f"{len(cells)} cells for {len(header)} columns")
            else:
                record = {k: v.strip() for k, v in zip(header, cells, strict=False) if v.strip()}
                try:
                    yield line, load(record)
                except ValidationError as exc:
                    yield RowError(name, line, from_marshmallow(exc.normalized_messages()).reason)
        line = reader.line_num + 1
