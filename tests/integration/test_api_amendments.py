"""POST /cases/{ref}/amendments and a dated activity through the API: what changes, what is refused and how."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.integration.api_world import NOW, REFS, T0, World, build_template, open_world

P = REFS["P"]  # preliminary, assigned to awa, recorded at T0 + 2 h; Konna, one abduction


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    path = tmp_path / "template.sqlite"
    yield from open_world(path, build_template(path), tmp_path)


def amend(world: World, changes: dict, caller: str = "awa", reason: str = "the sitrep misspelt the town") -> dict:
    response = world.call("POST", f"/cases/{P}/amendments", caller, {"reason": reason, "changes": changes})
    return {"status": response.status_code, **response.get_json()}


def test_an_amendment_changes_the_case_details_and_the_history_says_who_when_why_and_each_old_and_new(
        world: World) -> None:
    answer = amend(world, {"location": {"old": "Konna", "new": "Sevare"},
                           "violation_types": {"old": ["abduction"], "new": ["abduction", "torture"]}})
    assert answer["status"] == 200 and [e["type"] for e in answer["events"]] == ["IncidentAmended"]
    case = world.call("GET", f"/cases/{P}", "tl_mopti").get_json()
    assert (case["details"]["location"], case["details"]["violation_types"]) == ("Sevare", ["abduction", "torture"])
    last = case["history"][-1]
    assert (last["type"], last["actor"], last["occurred_at"]) == ("IncidentAmended", "awa", NOW.isoformat())
    assert last["payload"]["reason"] == "the sitrep misspelt the town"
    assert last["payload"]["changes"]["location"] == {"old": "Konna", "new": "Sevare"}
    assert [o["value"]["type"] for o in world.outbox()] == ["IncidentAmended"]


def test_an_old_value_that_no_longer_holds_is_a_409_naming_what_the_case_holds_and_changes_nothing(
        world: World) -> None:
    amend(world, {"location": {"old": "Konna", "new": "Sevare"}})
    before = world.snapshot()
    answer = amend(world, {"location": {"old": "Konna", "new": "Mopti"}}, caller="tl_mopti")
    assert (answer["status"], answer["code"]) == (409, "conflict")
    assert answer["message"].startswith("location is no longer 'Konna' but 'Sevare': someone changed it since")
    assert world.snapshot() == before


def test_an_amendment_that_changes_nothing_is_a_409(world: World) -> None:
    answer = amend(world, {"location": {"old": "Konna", "new": "Konna"}})
    assert (answer["status"], answer["code"]) == (409, "conflict") and "changes nothing" in answer["message"]


def test_the_report_time_is_no_field_an_amendment_may_name(world: World) -> None:
    # The published schema lists the fields an amendment may change; reported_at, which anchors the recording
    # clock, is not among them (the command line's refusal says why: tests/integration/test_cli_amend.py).
    before = world.snapshot()
    answer = amend(world, {"reported_at": {"old": T0.isoformat(), "new": (T0 - timedelta(days=5)).isoformat()}})
    assert (answer["status"], answer["code"]) == (422, "invalid_request")
    assert "reported_at" in json.dumps(answer["errors"])
    assert world.snapshot() == before


@pytest.mark.parametrize(("changes", "field"), [
    ({"victims": {"old": None, "new": {"female_adult": "many"}}}, "victims"),
    ({"perpetrator_category": {"old": "unidentified", "new": "aliens"}}, "perpetrator_category"),
])
def test_a_new_value_the_published_schema_refuses_is_a_422_naming_the_field(world: World, changes: dict,
                                                                           field: str) -> None:
    answer = amend(world, changes)
    assert (answer["status"], answer["code"]) == (422, "invalid_request") and field in json.dumps(answer["errors"])


def test_a_new_value_breaking_a_rule_across_fields_is_a_400_naming_the_field(world: World) -> None:
    answer = amend(world, {"occurred_at": {"old": None, "new": (NOW + timedelta(days=1)).isoformat()}})
    assert (answer["status"], list(answer["errors"])) == (400, ["occurred_at"])


def test_a_closed_case_is_amended_only_once_reopened(world: World) -> None:
    response = world.call("POST", f"/cases/{REFS['X']}/amendments", "dir_mopti",
                          {"reason": "late correction", "changes": {"location": {"old": "Konna", "new": "Gao"}}})
    assert response.status_code == 409 and "at stage 'closed'" in response.get_json()["message"]


def test_an_activity_dated_yesterday_restarts_from_then_and_one_before_the_recording_is_a_400(world: World) -> None:
    yesterday = NOW - timedelta(days=1)
    response = world.call("POST", f"/cases/{P}/activities", "awa",
                          {"description": "met the family", "at": yesterday.isoformat()})
    assert response.status_code == 200
    assert response.get_json()["events"][0]["occurred_at"] == yesterday.isoformat()
    assert response.get_json()["case"]["last_activity_at"] == yesterday.isoformat()
    too_early = world.call("POST", f"/cases/{P}/activities", "awa",
                           {"description": "earlier still", "at": (yesterday - timedelta(hours=1)).isoformat()})
    assert too_early.status_code == 400
    assert "not before the case's last change" in too_early.get_json()["errors"]["at"][0]
