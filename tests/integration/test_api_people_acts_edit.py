"""People and acts through the API: `POST /incidents` takes them (a bad one named by its field), and
`POST /cases/{ref}/amendments` changes them under the incident's rules, its violations and victim counts following
the acts; identities are not amendable (sealed, ADR 10)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemas.topics import SITREP_INCIDENTS
from tests.integration.api_world import REFS, World, build_template, open_world
from tests.integration.test_api_authorisation_matrix import INCIDENT

P = REFS["P"]  # preliminary, assigned to awa; one abduction, one victim p1 and no acts yet
VICTIM = {"ref": "p1", "role": "victim", "sex": "male", "age": 12}
WITNESS = {"ref": "p2", "role": "witness", "sex": "female", "age_group": "adult",
           "consent": {"recorded": True, "share_with": ["ICRC"]}}
ACT = {"violation_type": "abduction", "victims": ["p1"], "perpetrator_category": "armed_group"}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    path = tmp_path / "template.sqlite"
    yield from open_world(path, build_template(path), tmp_path)


def incident(**changes: Any) -> dict[str, Any]:
    body = {k: v for k, v in INCIDENT.items() if k not in ("violation_types", "victims")}
    return {**body, "incident_number": 41, "people": [VICTIM, WITNESS], "acts": [ACT],
            "identities": {"people": {"p1": {"names": ["Boy Invented", "Boy Invente"]}}}, **changes}


def amend(world: World, changes: dict, caller: str = "awa") -> Any:
    return world.call("POST", f"/cases/{P}/amendments", caller, {"reason": "the officer met the family",
                                                                 "changes": changes})


def test_an_incident_with_people_and_acts_is_queued_as_a_jsonl_line_carries_them(world: World) -> None:
    response = world.call("POST", "/incidents", "awa", incident())
    assert response.status_code == 202, response.get_json()
    queued = [o for o in world.outbox() if o["topic"] == SITREP_INCIDENTS][-1]["value"]
    assert queued["people"][0] == VICTIM and queued["acts"] == [ACT]
    assert "Boy Invented" not in str(queued) and queued["identities"].startswith("fernet:")


@pytest.mark.parametrize(("changes", "errors"), [
    ({"people": [{**VICTIM, "age": "twelve"}]}, {"people": {"0": {"age": ["Not a valid integer."]}}}),
    ({"acts": [{**ACT, "violation_type": "shouting"}]}, {"acts": {"0": {"violation_type": ["Must be one of: "]}}}),
    ({"people": [{**VICTIM, "consent": {"share_with": [""]}}]},
     {"people": {"0": {"consent": {"share_with": {"0": ["Length must be between 1 and 120."]}}}}}),
])
def test_a_bad_person_or_act_is_a_422_naming_its_field(world: World, changes: dict, errors: dict) -> None:
    answer = world.call("POST", "/incidents", "awa", incident(**changes)).get_json()
    assert answer["code"] == "invalid_request"
    found, wanted = answer["errors"], errors
    while isinstance(wanted, dict):  # the same path, down to the message
        (key, wanted), = wanted.items()
        found = found[key]
    assert found[0].startswith(wanted[0])


def test_amending_people_and_acts_changes_them_and_the_violations_and_counts_follow(world: World) -> None:
    # The `old` is what the case holds now: its people's open attributes as the API shows them, names aside.
    shown = world.call("GET", f"/cases/{P}", "awa").get_json()
    held = [{k: v for k, v in p.items() if k not in ("names", "date_of_birth", "contact", "identity_redacted")}
            for p in shown["people"]]
    response = amend(world, {"people": {"old": held, "new": [VICTIM, WITNESS]}, "acts": {"old": shown["acts"],
                                                                                          "new": [ACT]}})
    assert response.status_code == 200, response.get_json()
    case = world.call("GET", f"/cases/{P}", "awa").get_json()
    assert [(p["ref"], p["role"], p["age"]) for p in case["people"]] == [("p1", "victim", 12), ("p2", "witness", None)]
    assert case["acts"][0]["victims"] == ["p1"]
    assert case["details"]["victims"]["male_child"] == 1 and sum(case["details"]["victims"].values()) == 1
    changes = case["history"][-1]["payload"]["changes"]
    assert changes["victims"]["new"]["male_child"] == 1  # the derived counts are a change of their own, on record
    assert changes["people"]["new"][1]["consent"]["share_with"] == ["ICRC"]


@pytest.mark.parametrize(("changes", "field", "said"), [
    ({"acts": {"old": [], "new": [{**ACT, "victims": ["p9"]}]}}, "acts", "acts.0.victims: p9 is no victim"),
    ({"acts": {"old": [], "new": [ACT]}, "victims": {"old": None, "new": {"male_adult": 3}}}, "victims",
     "victims derives from the incident's acts"),
])
def test_an_amendment_breaking_the_incidents_rules_is_a_400_naming_the_field(world: World, changes: dict,
                                                                               field: str, said: str) -> None:
    before = world.snapshot()
    answer = amend(world, changes).get_json()
    assert answer["code"] == "bad_request" and said in answer["errors"][field][0], answer
    assert world.snapshot() == before


@pytest.mark.parametrize(("changes", "field"), [
    ({"people": {"old": [], "new": [{**VICTIM, "age": 300}]}}, "age"),
    ({"identities": {"old": None, "new": {"people": {"p1": {"names": ["X"]}}}}}, "identities"),  # sealed: no field
])
def test_an_amendment_the_published_schema_refuses_is_a_422_naming_the_field(world: World, changes: dict,
                                                                            field: str) -> None:
    before = world.snapshot()
    answer = amend(world, changes).get_json()
    assert answer["code"] == "invalid_request" and field in json.dumps(answer["errors"]), answer
    assert world.snapshot() == before


def test_only_those_who_update_the_case_amend_its_people(world: World) -> None:
    answer = amend(world, {"people": {"old": [], "new": [VICTIM]}}, caller="aud_mopti")
    assert answer.status_code == 403
