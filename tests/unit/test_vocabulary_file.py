"""The installation's vocabulary file: one source of terms for the wire, the forms and the pages; an admin's addition
is accepted as soon as it is written, a renumbering never."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from reference.vocabularies import add_term, dump, parse, retire_term, shipped
from schemas import vocabulary
from schemas.incident import IncidentAsWrittenSchema as IncidentSchema
from services import vocabulary_file
from services.vocabulary_file import VocabularyFileError, Watched

INCIDENT = {"sitrep_id": "SR-1", "incident_number": 1, "reported_at": "2026-03-03T08:00:00+00:00",
            "occurred_at": "2026-03-02T08:00:00+00:00", "office": "Mopti", "location": "Sévaré",
            "violation_types": ["denial_of_humanitarian_access"], "perpetrator_category": "other",
            "victims": {"unknown": 1}, "source_type": "media", "summary": "a convoy turned back"}


@pytest.fixture(autouse=True)
def shipped_again() -> Iterator[None]:
    yield
    vocabulary.use(shipped)


def added() -> object:
    return add_term(shipped(), "violation_types", "denial_of_humanitarian_access",
                    {"en": "Denial of humanitarian access", "fr": "Refus d'accès humanitaire"})


def write(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")
    stamp = path.stat().st_mtime_ns + 1_000_000_000  # a later change in the same clock tick still shows
    os.utime(path, ns=(stamp, stamp))


def test_without_a_file_the_wire_takes_exactly_the_shipped_codes() -> None:
    vocabulary_file.install(None)
    assert tuple(vocabulary.VIOLATION_TYPES) == shipped()["violation_types"].codes(include_retired=True)
    assert "killing" in vocabulary.VIOLATION_TYPES and "denial_of_humanitarian_access" not in vocabulary.VIOLATION_TYPES
    assert IncidentSchema().validate(INCIDENT) == {"violation_types": {0: [
        "Must be one of: " + ", ".join(shipped()["violation_types"].codes()) + "."]}}


def test_a_term_added_to_the_file_is_accepted_on_the_wire_and_offered_without_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "vocabularies.json"
    vocabulary_file.install(path)  # named but not made yet: the shipped terms
    assert "denial_of_humanitarian_access" not in vocabulary.offered("violation_types")
    vocabulary_file.save(path, shipped(), added())  # type: ignore[arg-type]
    assert "denial_of_humanitarian_access" in vocabulary.offered("violation_types")
    assert IncidentSchema().validate(INCIDENT) == {}
    assert vocabulary.term_label("violation_types", "denial_of_humanitarian_access", "fr") == \
        "Refus d'accès humanitaire"
    assert vocabulary.current().version == 2


def test_a_retired_term_is_no_longer_offered_but_old_records_naming_it_stay_valid(tmp_path: Path) -> None:
    path = tmp_path / "vocabularies.json"
    vocabulary_file.save(path, shipped(), retire_term(shipped(), "violation_types", "attack_on_civilians"))
    vocabulary_file.install(path)
    assert "attack_on_civilians" not in vocabulary.offered("violation_types")
    assert "attack_on_civilians" in vocabulary.VIOLATION_TYPES
    assert IncidentSchema().validate({**INCIDENT, "violation_types": ["attack_on_civilians"]}) == {}


def test_a_service_refuses_to_start_on_a_file_that_renumbers_a_shipped_term_naming_it(tmp_path: Path) -> None:
    data = dump(shipped())
    data["version"] = 2
    torture = next(t for t in data["vocabularies"]["violation_types"]["terms"] if t["code"] == "torture")
    torture["huridocs"]["code"] = "020000000000"
    path = tmp_path / "vocabularies.json"
    write(path, data)
    with pytest.raises(VocabularyFileError, match=r"vocabularies.json: violation_types.torture: its HURIDOCS code"):
        vocabulary_file.install(path)
    write(path, {"version": 2, "vocabularies": {}})
    with pytest.raises(VocabularyFileError, match="violation_types: a vocabulary cannot be removed"):
        vocabulary_file.install(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(VocabularyFileError, match="not valid JSON"):
        vocabulary_file.install(path)


def test_a_running_service_keeps_its_last_good_terms_when_the_file_is_changed_by_hand_to_renumber(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "vocabularies.json"
    vocabulary_file.save(path, shipped(), added())  # type: ignore[arg-type]
    watched = Watched(path, look_every=0)
    data = dump(watched())
    data["version"] = 3
    data["vocabularies"]["violation_types"]["terms"] = [
        t for t in data["vocabularies"]["violation_types"]["terms"] if t["code"] != "denial_of_humanitarian_access"]
    write(path, data)
    with caplog.at_level(logging.ERROR):
        assert "denial_of_humanitarian_access" in watched()["violation_types"].codes()
    assert "denial_of_humanitarian_access: a code cannot be removed; retire it" in caplog.text


def test_saving_refuses_a_version_that_is_not_the_next_and_keeps_the_file(tmp_path: Path) -> None:
    path = tmp_path / "vocabularies.json"
    second = added()
    vocabulary_file.save(path, shipped(), second)  # type: ignore[arg-type]
    before = path.read_text(encoding="utf-8")
    with pytest.raises(VocabularyFileError, match="a code cannot be removed"):
        vocabulary_file.save(path, second, parse({**dump(shipped()), "version": 3}))  # type: ignore[arg-type]
    assert path.read_text(encoding="utf-8") == before
    assert vocabulary_file.load(path) == second


def test_the_sdg_mapping_is_in_the_data_and_checked() -> None:
    mapped = {t.code: t.sdg_16_10_1_violation for t in shipped()["violation_types"].terms if t.sdg_16_10_1_violation}
    assert mapped == {"killing": "killing", "abduction": "kidnapping", "enforced_disappearance":
                      "enforced_disappearance", "arbitrary_detention": "arbitrary_detention", "torture": "torture"}
    data = dump(shipped())
    data["vocabularies"]["violation_types"]["terms"][1]["sdg_16_10_1_violation"] = "injury"
    with pytest.raises(ValueError, match=r"violation_types.injury.sdg_16_10_1_violation: 'injury' is not one of"):
        parse(data)
    assert parse(dump(shipped())) == shipped()


def test_a_file_several_versions_past_the_shipped_one_loads_but_a_term_claiming_a_shipped_version_does_not(
        tmp_path: Path) -> None:
    third = retire_term(added(), "violation_types", "other")  # type: ignore[arg-type]
    path = tmp_path / "vocabularies.json"
    write(path, dump(third))
    assert vocabulary_file.load(path) == third
    data = dump(third)
    data["vocabularies"]["violation_types"]["terms"][-1]["added_in"] = 1
    write(path, data)
    with pytest.raises(VocabularyFileError, match="denial_of_humanitarian_access: a new term is added in a version "
                                                  r"after 1 \(up to 3\), not 1"):
        vocabulary_file.load(path)
