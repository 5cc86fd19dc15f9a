"""Reading sitrep files: JSONL lines kept byte for byte, CSV rows nested into the JSONL shape, nothing validated."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.topics import SITREP_INCIDENTS
from services.config import DEFAULT_OFFICES
from sitreps.files import CSV_COLUMNS, SitrepFileError, read_csv, read_jsonl, read_sitrep, scan_sitrep
from sitreps.validation import validate

NOW = datetime(2026, 11, 22, tzinfo=UTC)

RECORD: dict[str, Any] = {
    "sitrep_id": "SR-GAO-2026-W46",
    "incident_number": 3,
    "reported_at": "2026-11-13T16:00:00+00:00",
    "occurred_at": "2026-11-09T04:00:00+00:00",
    "office": "Gao",
    "location": "Gao, Château quarter",
    "violation_types": ["killing", "attack_on_civilians"],
    "perpetrator_category": "armed_group",
    "victims": {"male_adult": 1, "unknown": 2},
    "source_type": "indirect_witness",
    "summary": "A man was killed; two others, not yet identified, were hurt.",
    "assignee": "ibrahim.hro",
    "identities": {"victims": [{"name": "Invented Victim-One"}],
                   "witnesses": [{"name": "Invented Witness-One"}, {"name": "Invented Witness-Two"}]},
}
CELLS = {
    "sitrep_id": "SR-GAO-2026-W46", "incident_number": "3", "reported_at": "2026-11-13T16:00:00+00:00",
    "occurred_at": "2026-11-09T04:00:00+00:00", "office": "Gao", "location": "Gao, Château quarter",
    "violation_types": "killing; attack_on_civilians", "perpetrator_category": "armed_group",
    "victims_male_adult": "1", "victims_unknown": "2", "source_type": "indirect_witness",
    "summary": "A man was killed; two others, not yet identified, were hurt.", "assignee": "ibrahim.hro",
    "victim_names": "Invented Victim-One", "witness_names": "Invented Witness-One;Invented Witness-Two",
}


def csv_bytes(*rows: dict[str, str], columns: tuple[str, ...] = CSV_COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_each_jsonl_line_becomes_one_record_with_its_original_bytes_key_and_position():
    line = json.dumps(RECORD, ensure_ascii=False).encode()
    [record] = read_jsonl(line + b"\n", "2026-W46-gao.jsonl")
    assert record.topic == SITREP_INCIDENTS
    assert record.value == line
    assert record.key == "SR-GAO-2026-W46#3"
    assert record.headers == {"file": "2026-W46-gao.jsonl", "line": "1", "format": "jsonl"}


def test_a_line_that_is_not_json_is_kept_as_it_is_and_keyed_by_its_position():
    data = b'{"sitrep_id": "SR-1", "incident_number": 1}\n{"sitrep_id": "SR-1", incident_number: 2\n'
    first, second = read_jsonl(data, "w.jsonl")
    assert first.key == "SR-1#1"
    assert second.value == b'{"sitrep_id": "SR-1", incident_number: 2'
    assert second.key == "w.jsonl:2"


def test_blank_lines_are_skipped_and_line_numbers_still_count_them():
    records = read_jsonl(b'\n{"a": 1}\r\n   \n[1, 2]\n', "w.jsonl")
    assert [(r.value, r.headers["line"]) for r in records] == [(b'{"a": 1}', "2"), (b"[1, 2]", "4")]
    assert [r.key for r in records] == ["w.jsonl:2", "w.jsonl:4"]


def test_a_line_that_is_not_utf8_is_kept_as_it_is():
    [record] = read_jsonl(b"\xff\xfe{}\n", "w.jsonl")
    assert record.value == b"\xff\xfe{}"


def test_a_csv_row_becomes_the_same_nested_record_as_its_jsonl_line():
    [from_csv] = read_csv(csv_bytes(CELLS), "2026-W46-gao.csv")
    [from_jsonl] = read_jsonl(json.dumps(RECORD).encode(), "2026-W46-gao.jsonl")
    assert validate(json.loads(from_csv.value), NOW, DEFAULT_OFFICES) == validate(
        json.loads(from_jsonl.value), NOW, DEFAULT_OFFICES)
    assert from_csv.key == "SR-GAO-2026-W46#3"
    assert from_csv.headers == {"file": "2026-W46-gao.csv", "line": "2", "format": "csv"}


def test_empty_csv_cells_are_absent_and_blank_victim_counts_become_an_empty_group():
    sparse = {"sitrep_id": "SR-1", "incident_number": "1", "assignee": "", "victim_names": ""}
    [record] = read_csv(csv_bytes(sparse), "w.csv")
    assert json.loads(record.value) == {"sitrep_id": "SR-1", "incident_number": "1", "victims": {}}


def test_unknown_csv_columns_and_extra_cells_pass_through_for_intake_to_reject():
    data = b"sitrep_id,incident_number,notes\nSR-1,1,call back,surplus\n"
    [record] = read_csv(data, "w.csv")
    assert json.loads(record.value) == {"sitrep_id": "SR-1", "incident_number": "1", "notes": "call back",
                                        "extra_cells": ["surplus"]}


def test_csv_line_numbers_count_the_header_blank_lines_and_multi_line_cells():
    data = b'sitrep_id,incident_number,summary\nSR-1,1,"two\nlines"\n\nSR-1,2,one\n'
    assert [r.headers["line"] for r in read_csv(data, "w.csv")] == ["2", "5"]


def test_a_csv_row_without_a_readable_key_is_keyed_by_its_position():
    [record] = read_csv(csv_bytes({"sitrep_id": "SR-1", "incident_number": "first"}), "w.csv")
    assert record.key == "w.csv:2"


def test_blank_lines_before_the_csv_header_are_skipped():
    [record] = read_csv(b"\n \n" + csv_bytes(CELLS), "w.csv")
    assert record.headers["line"] == "4"


def test_a_csv_file_written_by_a_spreadsheet_with_a_byte_order_mark_is_read():
    [record] = read_csv(b"\xef\xbb\xbf" + csv_bytes(CELLS), "w.csv")
    assert json.loads(record.value)["sitrep_id"] == "SR-GAO-2026-W46"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "no CSV header row"),
        (b"\n\n", "no CSV header row"),
        (b"sitrep_id,,office\n", "empty column name at position 2"),
        (b"sitrep_id,office,office\n", "repeats column(s) office"),
        (b"\xff\xfesitrep_id\n", "w.csv: not UTF-8 at line 1, character 1 (byte b'\\xff': invalid start byte)"),
        (b"\xef\xbb\xbfsitrep_id,o\xf1\n", "not UTF-8 at line 1, character 12 (byte b'\\xf1'"),
    ],
)
def test_an_unreadable_csv_header_raises_a_clear_error(data: bytes, message: str):
    with pytest.raises(SitrepFileError, match=re.escape(message)):
        read_csv(data, "w.csv")


def test_a_csv_row_the_csv_module_cannot_read_raises_a_clear_error_naming_the_line():
    data = b"sitrep_id,summary\nSR-1," + b"x" * (csv.field_size_limit() + 1) + b"\n"
    with pytest.raises(SitrepFileError, match=r"w\.csv: unreadable CSV at line 2"):
        read_csv(data, "w.csv")


def test_a_file_of_an_unknown_format_raises_a_clear_error():
    with pytest.raises(SitrepFileError, match=r"report\.xlsx: unknown sitrep file format '\.xlsx'"):
        read_sitrep("report.xlsx")


@pytest.mark.parametrize(("name", "data"), [
    ("w.jsonl", b'\n{"a": 1}\r\n   \n[1, 2]\nnot json\n' + json.dumps(RECORD).encode()),
    ("w.csv", b"\xef\xbb\xbf\n" + csv_bytes(CELLS, {**CELLS, "incident_number": "4", "summary": "two\nlines"}, {})),
])
def test_a_file_scanned_record_by_record_gives_what_reading_it_whole_gives(tmp_path: Path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    assert list(scan_sitrep(path)) == read_sitrep(path)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("report.xlsx", b"", "report.xlsx: unknown sitrep file format '.xlsx'"),
        ("w.csv", b"sitrep_id,office,office\n", "w.csv: CSV header repeats column(s) office"),
        # Past the reader's first chunk: the line in the file, not the decoder's position in its chunk.
        ("w.csv", b"sitrep_id,summary\nSR-1,x\n" * 3000 + b"SR-1,\xff\n",
         "w.csv: not UTF-8 at line 6001, character 6 (byte b'\\xff': invalid start byte); save the file as UTF-8"),
        # Latin-1 after UTF-8 on the same line: characters are counted, not bytes.
        ("w.csv", b"sitrep_id,summary\nSR-1,\xc3\xa9t\xc3\xa9 \xe9t\xe9\n",
         "w.csv: not UTF-8 at line 2, character 10 (byte b'\\xe9': invalid continuation byte)"),
    ],
)
def test_a_file_that_cannot_be_scanned_raises_a_clear_error(tmp_path: Path, name: str, data: bytes, message: str):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SitrepFileError, match=re.escape(message)):
        list(scan_sitrep(path))
