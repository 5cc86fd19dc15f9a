"""Control characters are refused, naming the field, by every reader of text; JSON nested too deeply is bad JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError

from schemas import compiled
from schemas.errors import SchemaError
from schemas.incident import IncidentAsWrittenSchema, IncidentReportedSchema
from schemas.text import Text, refusal
from services.casework.api.schemas import ActivityBody, NoteBody
from services.reporting.history.rows import read_actions
from sitreps.files import read_csv, read_jsonl
from sitreps.parser import parse
from sitreps.validation import validate

NOW = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
OFFICES = ("Mopti", "Gao")
RECORD = {"sitrep_id": "SR-1", "incident_number": 1, "reported_at": "2026-03-03T08:00:00+00:00",
          "occurred_at": "2026-03-02T08:00:00+00:00", "office": "Mopti", "location": "Konna",
          "violation_types": ["injury"], "perpetrator_category": "other", "victims": {"unknown": 1},
          "source_type": "media", "summary": "one wounded"}


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x0b", "\x1b", "\x7f", "\x85", "\x9f"])
def test_every_control_character_but_tab_and_line_breaks_is_refused_with_its_code_point(char: str) -> None:
    reason = refusal(f"Kon{char}na")
    assert reason is not None and f"U+{ord(char):04X} at position 4" in reason
    assert refusal("two\tcolumns\nand lines, accents é and ß, an emoji 🙂") is None


def test_a_carriage_return_before_a_line_feed_is_read_as_a_line_break_not_refused() -> None:
    assert Text().deserialize("first line\r\nsecond\rthird") == "first line\nsecond\nthird"
    with pytest.raises(ValidationError, match="U\\+0000"):
        Text().deserialize("a\x00b")


@pytest.mark.parametrize(("field", "value"), [
    ("location", "Kon\x00na"), ("summary", "shot\x1b[31m at"), ("office", "Mop\x00ti"), ("assignee", "awa\x00")])
def test_a_sitrep_record_with_a_control_character_is_refused_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(SchemaError) as refused:
        validate({**RECORD, field: value}, NOW, OFFICES)
    assert list(refused.value.fields) == [field]
    assert "control character" in refused.value.reason


def test_a_nul_written_as_an_escape_in_a_json_line_is_refused_in_a_name_of_a_victim() -> None:
    line = json.dumps({**RECORD, "identities": {"victims": [{"name": "Awa\u0000 Traoré"}]}}).encode()
    assert b"\\u0000" in line
    [record] = read_jsonl(line + b"\n", "week.jsonl")
    with pytest.raises(SchemaError) as refused:
        validate(parse(record.value), NOW, OFFICES)
    assert list(refused.value.fields) == ["identities.victims.0.name"]


def test_a_csv_cell_with_a_control_character_is_refused_and_a_windows_line_break_inside_a_cell_is_not() -> None:
    header = "sitrep_id,incident_number,reported_at,occurred_at,office,location,violation_types," \
             "perpetrator_category,source_type,summary,victims_unknown\r\n"
    row = 'SR-1,{n},2026-03-03T08:00:00+00:00,2026-03-02T08:00:00+00:00,Mopti,{where},injury,other,media,' \
          '"{summary}",1\r\n'
    data = (header + row.format(n=1, where="Konna", summary="first\r\nsecond")
            + row.format(n=2, where="Kon\x07na", summary="x")).encode()
    first, second = read_csv(data, "week.csv")
    assert validate(parse(first.value), NOW, OFFICES)["summary"] == "first\nsecond"
    with pytest.raises(SchemaError) as refused:
        validate(parse(second.value), NOW, OFFICES)
    assert list(refused.value.fields) == ["location"]


def test_the_compiled_schema_gives_marshmallows_answers_on_control_characters_and_line_breaks() -> None:
    schema = IncidentAsWrittenSchema()
    with_crlf = {**RECORD, "summary": "a\r\nb"}
    assert compiled.load(schema, with_crlf) == schema.load(with_crlf)
    assert compiled.load(schema, with_crlf)["summary"] == "a\nb"
    nul = {**RECORD, "location": "K\x00"}
    assert compiled.validate(schema, nul) == schema.validate(nul)
    assert compiled.compiled(schema) is not None  # the rule keeps the hot path compiled


def test_events_already_on_a_topic_are_read_as_they_are_so_an_old_log_still_replays() -> None:
    sealed = {**RECORD, "location": "Kon\x00na", "identities": "fernet:abc"}
    assert IncidentReportedSchema().validate(sealed) == {}


def test_every_api_body_refuses_control_characters_naming_the_field() -> None:
    assert ActivityBody().validate({"description": "went\x00 there"}).keys() == {"description"}
    assert NoteBody().load({"note": "line one\r\nline two"}) == {"note": "line one\nline two"}


def test_a_history_row_with_a_control_character_is_an_error_with_its_line_and_field() -> None:
    header = "sitrep_id,incident_number,at,action,actor,actor_role,actor_office,assignee,stage,reason,until,kind,note\n"
    data = header + "SR-1,1,2024-03-02T10:00,activity,hro1,hro,,,,,,,visited\x00 the site\n" \
                    "SR-1,1,2024-03-03T10:00,activity,hro1,hro,,,,,,,\"two\r\nlines\"\n"
    rows, errors = read_actions(data.encode(), "cases.csv")
    assert [(e.line, "note" in e.message and "control character" in e.message) for e in errors] == [(2, True)]
    assert [values["note"] for _, values in rows] == ["two\nlines"]


def test_json_nested_deeper_than_the_parser_reads_is_refused_as_bad_json_not_a_crash() -> None:
    deep = b"[" * 50_000 + b"]" * 50_000
    with pytest.raises(SchemaError, match="not JSON: nested too deeply"):
        parse(deep)
    [record] = read_jsonl(deep + b"\n", "week.jsonl")
    assert record.key == "week.jsonl:1"  # kept as it is, to be rejected with its reason like any other bad line
    objects = ('{"a":' * 50_000 + "1" + "}" * 50_000).encode()
    with pytest.raises(SchemaError, match="nested too deeply"):
        parse(objects)
