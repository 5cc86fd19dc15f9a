"""People, acts and places of an incident (version 2): each rule's refusal names its field; the violation list and
victim counts follow from the acts; the CSV cells people write by hand read into the same record."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.errors import SchemaError
from schemas.upcast import latest
from services.config import DEFAULT_OFFICES
from sitreps.acts import derive
from sitreps.files import SitrepFileError, read_csv, read_sitrep
from sitreps.validation import located, validate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sitreps"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def tessit() -> dict[str, Any]:
    """The example killing near Tessit: two people (a victim, a source with consent), one act, a P-code."""
    return dict(json.loads(read_sitrep(EXAMPLES / "2026-W46-gao.jsonl")[0].value))


def refusal(record: dict[str, Any]) -> str:
    with pytest.raises(SchemaError) as caught:
        validate(record, NOW, DEFAULT_OFFICES)
    return caught.value.reason


def test_an_act_naming_someone_who_is_no_victim_is_refused_naming_the_act() -> None:
    base = tessit()
    assert refusal({**base, "acts": [{**base["acts"][0], "victims": ["p9"]}]}) == \
        "acts.0.victims: p9 is no victim of this incident"
    assert refusal({**base, "acts": [{**base["acts"][0], "victims": ["p2"]}]}) == \
        "acts.0.victims: p2 is no victim of this incident (a source)"


@pytest.mark.parametrize(("change", "reason"), [
    (lambda r: {"people": [r["people"][0], {**r["people"][1], "ref": "p1"}],
                "identities": {"people": {}}}, "people.1.ref: p1 used twice"),
    (lambda r: {"people": [{**r["people"][0], "occupation": "pilot"}, r["people"][1]]},
     "people.0.occupation: Must be one of: human_rights_defender, journalist, trade_unionist, other."),
    (lambda r: {"people": [{**r["people"][0], "age": 130}, r["people"][1]]},
     "people.0.age: Must be greater than or equal to 0 and less than or equal to 120."),
    (lambda r: {"people": [{**r["people"][0], "age_group": "child"}, r["people"][1]]},
     "people.0.age_group: child does not fit age 34 (a child is under 18)"),
    (lambda r: {"place_pcode": "ML9999"},
     "place_pcode: unknown P-code 'ML9999'; expected one of the gazetteer's (docs/reference-data.md)"),
    (lambda r: {"latitude": 14.5}, "latitude: give both latitude and longitude, or neither"),
    (lambda r: {"latitude": 48.85, "longitude": 2.35}, "latitude: 48.85, 2.35 is outside Mali"),
    (lambda r: {"identities": {"people": {"p7": {"names": ["Someone"]}}}},
     "identities.people.p7: no person p7 in people"),
    (lambda r: {"identities": {"people": {"p1": {"names": []}}}}, "identities.people.p1.value.names: Length"),
    (lambda r: {"violation_types": ["injury"]},
     "violation_types: injury disagrees with the acts' killing; leave it out to take the acts'"),
    (lambda r: {"victims": {"female_adult": 1}},
     "victims: female_adult 1 disagrees with the acts' victims (male_adult 1); leave it out to take the acts'"),
    (lambda r: {"acts": [{**r["acts"][0], "occurred_at": "2026-11-20T00:00:00+00:00"}]},
     "acts.0.occurred_at: occurred after it was reported"),
    (lambda r: {"people": [{**r["people"][1], "consent": {"recorded": "perhaps"}}]}, "people.0.consent.recorded"),
])
def test_every_new_field_is_validated_with_a_message_naming_it(change: Any, reason: str) -> None:
    assert refusal({**tessit(), **change(tessit())}).startswith(reason)


def test_the_violation_list_and_victim_counts_follow_from_the_acts() -> None:
    people = [{"ref": "p1", "role": "victim", "sex": "female", "age": 9}, {"ref": "p2", "role": "victim",
              "sex": "male", "age_group": "adult"}, {"ref": "p3", "role": "victim", "sex": "other"},
              {"ref": "p4", "role": "witness", "sex": "male"}]
    acts = [{"violation_type": "abduction", "victims": ["p1", "p2"]}, {"violation_type": "torture", "victims": ["p2"]},
            {"violation_type": "abduction", "victims": ["p3"]}]
    derived = derive({"people": people, "acts": acts})
    assert derived["violation_types"] == ["abduction", "torture"]
    assert derived["victims"] == {"female_adult": 0, "female_child": 1, "male_adult": 1, "male_child": 0,
                                  "unknown_": 1}
    assert derive({"violation_types": ["killing"]}) == {"violation_types": ["killing"]}  # no acts: as written


def test_a_record_without_acts_still_needs_its_violation_list() -> None:
    record = {k: v for k, v in tessit().items() if k not in ("acts", "violation_types")}
    assert refusal(record) == "violation_types: Missing data for required field."


def test_intake_places_an_incident_in_the_gazetteer_or_flags_free_text() -> None:
    base = {k: v for k, v in tessit().items() if k != "place_pcode"}
    assert located(validate(base, NOW, DEFAULT_OFFICES))["place_pcode"] == "ML0710"
    flagged = located(validate({**base, "location": "a well north of the village"}, NOW, DEFAULT_OFFICES))
    assert (flagged["place_pcode"], flagged["place_free_text"]) == (None, True)


def test_a_version_1_incident_reads_as_version_2_with_nothing_added() -> None:
    version, payload = latest("IncidentAccepted", 1, {"incident_key": "SR#1", "location": "Konna"})
    assert version == 2
    assert payload == {"incident_key": "SR#1", "location": "Konna", "people": [], "acts": [], "place_pcode": None,
                       "place_free_text": None, "latitude": None, "longitude": None}
    assert latest("CaseRecorded", 1, {"note": "n"}) == (1, {"note": "n"})


def test_a_hand_written_csv_row_reads_as_the_jsonl_record_would() -> None:
    [_, kati, _] = read_sitrep(EXAMPLES / "2026-W46-bamako.csv")
    record = validate(json.loads(kati.value), NOW, DEFAULT_OFFICES)
    assert record["people"][0] | {"consent": None} == {
        "ref": "p1", "role": "victim", "sex": "female", "age_group": "adult", "age": None,
        "occupation": "journalist", "protection_risk": "medium", "consent": None}
    assert record["people"][0]["consent"]["share_with"] == ["CPJ", "RSF"]
    assert record["people"][1]["age"] == 41
    assert record["acts"][0] | {"occurred_at": None} == {
        "violation_type": "threats_and_intimidation", "victims": ["p1", "p2"], "perpetrator_category": "unidentified",
        "perpetrator_unit": None, "occurred_at": None, "place_pcode": None}
    assert record["identities"]["people"]["p1"]["names"] == ["Assitan Coulibaly-Fomba", "Assitan Coulibaly"]
    assert (record["place_pcode"], record["latitude"], record["longitude"]) == ("ML0204", 12.74409, -8.07257)


@pytest.mark.parametrize(("column", "cell", "problem"), [
    ("people", "p1", "column people: 'p1' is not ref:role"),
    ("acts", "killing>p1", "column acts: 'killing>p1' is not violation type>victims>perpetrator category"),
    ("consent", "p1=maybe", "column consent: p1: 'maybe' is none of recorded, contact, referral"),
    ("names", "Awa Traoré", "column names: 'Awa Traoré' is not ref=value"),
])
def test_a_cell_off_its_syntax_is_refused_naming_the_line_and_the_column(column: str, cell: str,
                                                                         problem: str) -> None:
    text = f"sitrep_id,incident_number,{column}\nSR-1,1,\nSR-1,2,\"{cell}\"\n"
    with pytest.raises(SitrepFileError) as caught:
        read_csv(text.encode(), "week.csv")
    assert str(caught.value).startswith(f"week.csv: line 3, {problem}")
    assert caught.value.code == "bad_cell" and caught.value.params["line"] == "3"


def test_with_acts_the_perpetrator_may_be_left_out_and_follows_the_first_act() -> None:
    base = {k: v for k, v in tessit().items() if k != "perpetrator_category"}
    second = {**base["acts"][0], "perpetrator_category": "state_armed_forces"}
    loaded = validate({**base, "acts": [*base["acts"], second]}, NOW, DEFAULT_OFFICES)
    assert loaded["perpetrator_category"] == base["acts"][0]["perpetrator_category"]
    chosen = validate({**base, "acts": [*base["acts"], second], "perpetrator_category": "state_armed_forces"}, NOW,
                      DEFAULT_OFFICES)
    assert chosen["perpetrator_category"] == "state_armed_forces"  # one an act names: the officer's main one


def test_a_perpetrator_no_act_names_is_refused_and_without_acts_it_is_required() -> None:
    base = tessit()
    assert refusal({**base, "perpetrator_category": "community_militia"}) == (
        f"perpetrator_category: community_militia is none of the acts' perpetrators "
        f"({base['acts'][0]['perpetrator_category']}); leave it out to take the first act's")
    record = {k: v for k, v in base.items() if k not in ("acts", "perpetrator_category")}
    record = {**record, "violation_types": ["killing"], "victims": {"male_adult": 1}}
    assert refusal(record) == "perpetrator_category: Missing data for required field."
