"""The incident key: a sitrep id and an incident number, read from valid and not yet valid records, and back."""

from __future__ import annotations

from datetime import UTC, datetime

from services.config import DEFAULT_OFFICES
from sitreps.key import incident_key, key_of, raw_incident_key, sitrep_prefix, split_key
from sitreps.validation import validate

RECORD = {
    "sitrep_id": "SR-GAO-2026-W45", "incident_number": "2", "reported_at": "2026-11-06T16:00:00+00:00",
    "occurred_at": "2026-11-03T06:00:00+00:00", "office": "Gao", "location": "Ansongo",
    "violation_types": ["killing"], "perpetrator_category": "armed_group", "victims": {"male_adult": 1},
    "source_type": "indirect_witness", "summary": "A man was killed during an attack on a market.",
}


def test_the_incident_key_is_the_sitrep_id_and_the_incident_number():
    assert incident_key("SR-GAO-2026-W45", 2) == "SR-GAO-2026-W45#2"
    assert key_of(validate(RECORD, datetime(2026, 11, 22, tzinfo=UTC), DEFAULT_OFFICES)) == "SR-GAO-2026-W45#2"


def test_a_raw_key_is_read_from_an_invalid_record_when_both_parts_are_readable():
    assert raw_incident_key({"sitrep_id": "SR-X", "incident_number": "07", "office": 3}) == "SR-X#7"
    assert raw_incident_key({"sitrep_id": " SR-X ", "incident_number": 7}) == "SR-X#7"
    assert raw_incident_key({"sitrep_id": "SR-X", "incident_number": "seven"}) is None
    assert raw_incident_key({"sitrep_id": "SR-X", "incident_number": True}) is None
    assert raw_incident_key({"sitrep_id": " ", "incident_number": 7}) is None
    assert raw_incident_key(["SR-X", 7]) is None


def test_a_key_splits_back_into_its_sitrep_id_and_number():
    assert split_key(incident_key("SR-MOP-2026-W46", 12)) == ("SR-MOP-2026-W46", 12)
    assert split_key("SR#2026#3") == ("SR#2026", 3)  # the number is after the last separator


def test_what_is_not_a_key_does_not_split():
    assert split_key("SR-MOP-2026-W46") is None
    assert split_key("SR-MOP-2026-W46#") is None
    assert split_key("w46.jsonl:3") is None  # a record's place in its file, the key of an unreadable record


def test_every_key_of_a_sitrep_begins_with_its_prefix():
    assert incident_key("WEB-20261122", 4).startswith(sitrep_prefix("WEB-20261122"))
    assert not incident_key("WEB-202611220", 4).startswith(sitrep_prefix("WEB-20261122"))
