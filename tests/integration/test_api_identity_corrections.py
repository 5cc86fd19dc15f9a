"""Correcting a person's identity through the API: `POST /cases/{ref}/people/{person}/identity` re-seals the case's
identities, the Director of the office sees the corrected names, the history names the fields and never a value."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemas.topics import CASE_EVENTS
from services.casework.adapters import repository as repo
from tests.integration.api_world import KEY, REFS, VICTIM, World, build_template, open_world

P, X = REFS["P"], REFS["X"]  # P: preliminary, assigned to awa, one person p1 (a victim, no names yet); X: closed
NAMES = ["Fatoumata Traoré", "Fatoumata Traore"]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    path = tmp_path / "template.sqlite"
    yield from open_world(path, build_template(path), tmp_path)


def correct(world: World, body: dict[str, Any], caller: str = "awa", ref: str = P, person: str = "p1") -> Any:
    return world.call("POST", f"/cases/{ref}/people/{person}/identity", caller,
                      {"reason": "spelling checked with her brother", **body})


def test_a_correction_reseals_the_identity_and_the_office_director_sees_the_corrected_names(world: World) -> None:
    first = correct(world, {"names": ["Fatoumata Traore"], "date_of_birth": "1990-04-01"})
    assert first.status_code == 200, first.get_json()
    answer = correct(world, {"names": NAMES})
    assert answer.status_code == 200, answer.get_json()
    assert [e["type"] for e in answer.get_json()["events"]] == ["IdentityCorrected"]
    seen = world.call("GET", f"/cases/{P}", "dir_mopti").get_json()
    [p1] = seen["people"]
    assert p1["names"] == NAMES and p1["date_of_birth"] == "1990-04-01" and p1["identity_redacted"] is False
    assert seen["identities"]["victims"][0]["name"] == VICTIM  # the version-1 lists are kept as they were
    blind = world.call("GET", f"/cases/{P}", "aud_mopti").get_json()
    assert blind["people"][0]["names"] is None and "Traor" not in str(blind)
    [row] = [h for h in blind["history"] if h["type"] == "IdentityCorrected"][-1:]
    assert row["payload"]["changed"] == ["names"] and row["payload"]["reason"] == "spelling checked with her brother"
    assert row["actor"] == "awa" and "identity" not in row["payload"]
    stored = world.casework.read(lambda conn: repo.load_identities(conn, repo.get_case(conn, P).case_id))
    assert "Traor" not in stored and KEY.open(stored)["people"]["p1"]["names"] == NAMES
    events = [o["value"] for o in world.outbox() if o["topic"] == CASE_EVENTS and o["value"]["type"] ==
              "IdentityCorrected"]
    assert len(events) == 2 and "Traor" not in str(events) and "1990" not in str(events)
    assert KEY.open(events[-1]["payload"]["identity"])["names"] == NAMES


@pytest.mark.parametrize(("body", "field"), [
    ({"names": []}, "names"),
    ({"names": [""]}, "names"),
    ({"date_of_birth": "1 April 1990"}, "date_of_birth"),
    ({"contact": "x" * 201}, "contact"),
    ({"sex": "female"}, "sex"),
    ({"names": ["A"], "reason": ""}, "reason"),
])
def test_each_bad_field_is_a_422_naming_it_and_changes_nothing(world: World, body: dict, field: str) -> None:
    before = world.snapshot()
    answer = correct(world, body)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["errors"], answer.get_json()
    assert world.snapshot() == before


def test_an_unknown_person_or_a_correction_that_changes_nothing_is_refused(world: World) -> None:
    unknown = correct(world, {"names": ["Someone"]}, person="p9")
    assert unknown.status_code == 400 and "p9" in unknown.get_json()["message"]
    assert "person" in unknown.get_json()["errors"]
    nothing = correct(world, {})
    assert nothing.status_code == 400
    assert "give at least one of names, date_of_birth, contact" in nothing.get_json()["message"]
    assert "names" in nothing.get_json()["errors"]
    no_names = correct(world, {"contact": "+223 1"})
    assert no_names.status_code == 400 and "names" in no_names.get_json()["errors"]
    assert correct(world, {"names": NAMES}).status_code == 200
    again = correct(world, {"names": NAMES})
    assert again.status_code == 409 and "changes nothing" in again.get_json()["message"]


@pytest.mark.parametrize(("caller", "status"), [("bakary", 403), ("aud_mopti", 403), ("garba", 403),
                                                 ("tl_mopti", 200), ("dir_mopti", 200)])
def test_who_may_correct_is_who_may_amend(world: World, caller: str, status: int) -> None:
    assert correct(world, {"names": NAMES}, caller=caller).status_code == status
