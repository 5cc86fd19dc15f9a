"""The sitrep contract's validation: the schema, then the rules that need `now` and the configured offices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas.errors import SchemaError
from services.config import DEFAULT_OFFICES
from sitreps.validation import validate

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def reported(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "sitrep_id": "SR-MOP-2026-W46",
        "incident_number": 4,
        "reported_at": "2026-11-13T16:00:00+00:00",
        "occurred_at": "2026-11-10T08:00:00+00:00",
        "office": "Mopti",
        "location": "Bandiagara",
        "violation_types": ["arbitrary_detention"],
        "perpetrator_category": "state_security_forces",
        "victims": {"male_adult": 2},
        "source_type": "direct_witness",
        "summary": "Two men held at a checkpoint without charge.",
        "identities": {"victims": [{"name": "Invented Person-One"}]},
    }
    record.update(changes)
    return {k: v for k, v in record.items() if v is not ...}


def errors_of(record: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(SchemaError) as caught:
        validate(record, NOW, DEFAULT_OFFICES)
    return caught.value.fields


def test_a_valid_record_is_loaded_with_typed_values_and_defaults():
    loaded = validate(reported(), NOW, DEFAULT_OFFICES)
    assert loaded["reported_at"] == datetime(2026, 11, 13, 16, tzinfo=UTC)
    # The schema keeps "unknown" under the attribute "unknown_" (see schemas.incident.VictimCountsSchema).
    assert loaded["victims"] == {"male_adult": 2, "female_adult": 0, "female_child": 0, "male_child": 0,
                                 "unknown_": 0}
    assert loaded["assignee"] is None


def test_times_written_in_another_offset_are_stored_in_utc():
    loaded = validate(reported(reported_at="2026-11-13T17:00:00+01:00"), NOW, DEFAULT_OFFICES)
    assert loaded["reported_at"] == datetime(2026, 11, 13, 16, tzinfo=UTC)
    assert loaded["reported_at"].utcoffset() == timedelta(0)


def test_an_unknown_field_is_rejected_naming_it():
    assert errors_of(reported(notes="call back")) == {"notes": ["Unknown field."]}


def test_a_value_of_the_wrong_type_is_rejected_naming_its_dotted_path():
    errors = errors_of(reported(victims={"male_adult": "several"}))
    assert list(errors) == ["victims.male_adult"]


def test_a_missing_required_field_is_rejected_naming_it():
    assert "location" in errors_of(reported(location=...))


def test_an_incident_that_occurred_after_it_was_reported_is_rejected_with_both_times():
    errors = errors_of(reported(occurred_at="2026-11-16T08:00:00+00:00"))
    assert errors == {"occurred_at": [
        "occurred after it was reported (2026-11-16T08:00:00+00:00 > reported_at 2026-11-13T16:00:00+00:00)"
    ]}


def test_a_report_from_the_future_is_rejected_saying_by_how_much():
    with pytest.raises(SchemaError) as caught:
        validate(reported(reported_at="2027-01-01T00:00:00+00:00"), NOW, DEFAULT_OFFICES)
    assert caught.value.reason == (
        "reported_at: is in the future (2027-01-01T00:00:00+00:00 > now 2026-11-22T09:00:00+00:00)"
    )


def test_a_report_a_few_minutes_ahead_of_our_clock_is_accepted():
    ahead = (NOW + timedelta(minutes=4)).isoformat()
    assert validate(reported(reported_at=ahead, occurred_at=ahead), NOW, DEFAULT_OFFICES)["reported_at"] > NOW


def test_an_occurrence_in_the_future_is_rejected():
    later = (NOW + timedelta(days=2)).isoformat()
    errors = errors_of(reported(reported_at=later, occurred_at=later))
    assert set(errors) == {"reported_at", "occurred_at"}
    assert errors["occurred_at"][0].startswith("is in the future")


def test_an_unknown_office_is_rejected_listing_the_known_ones():
    errors = errors_of(reported(office="Segou"))
    assert errors == {"office": ["unknown office 'Segou'; expected one of " + ", ".join(DEFAULT_OFFICES)]}


def test_a_configured_office_is_accepted():
    assert validate(reported(office="Segou"), NOW, offices=(*DEFAULT_OFFICES, "Segou"))["office"] == "Segou"


def test_an_office_is_matched_regardless_of_case_and_takes_the_configured_spelling():
    assert validate(reported(office=" mopti "), NOW, DEFAULT_OFFICES)["office"] == "Mopti"


def test_an_empty_list_of_violation_types_is_rejected():
    assert "violation_types" in errors_of(reported(violation_types=[]))


def test_a_violation_type_outside_the_vocabulary_is_rejected():
    assert "violation_types.0" in errors_of(reported(violation_types=["looting"]))


def test_now_without_a_time_zone_is_a_programming_error():
    with pytest.raises(ValueError, match="timezone-aware"):
        validate(reported(), datetime(2026, 11, 22), DEFAULT_OFFICES)
