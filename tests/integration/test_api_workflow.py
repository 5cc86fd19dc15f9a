"""Acting on cases through the API: refusals by stage (409), invalid bodies (422), lists by urgency, incidents."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from schemas.topics import CASE_EVENTS, SITREP_INCIDENTS
from tests.integration.api_world import NOW, REFS, VICTIM, World, build_template, open_world
from tests.integration.test_api_authorisation_matrix import INCIDENT


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    path = tmp_path / "template.sqlite"
    yield from open_world(path, build_template(path), tmp_path)


def test_a_command_returns_the_case_after_it_and_its_event_goes_to_case_events(world: World) -> None:
    response = world.call("POST", f"/cases/{REFS['R']}/record", "awa", {"note": "from SR-1"})
    body = response.get_json()
    assert (response.status_code, body["case"]["stage"], [e["type"] for e in body["events"]]) == (
        200, "preliminary", ["CaseRecorded"])
    [record] = world.outbox()
    assert (record["topic"], record["value"]["event_id"]) == (CASE_EVENTS, body["events"][0]["event_id"])


def test_a_command_the_stage_does_not_allow_is_a_409_with_the_reason_and_changes_nothing(world: World) -> None:
    before = world.snapshot()
    response = world.call("POST", f"/cases/{REFS['R']}/advance", "awa", {"stage": "investigation"})
    assert response.status_code == 409
    assert response.get_json() == {"code": "conflict", "status": 409, "message":
                                   f"cannot advance case {REFS['R']} at stage 'reported' (allowed at: "
                                   "preliminary, investigation)"}
    assert world.snapshot() == before


def test_a_director_cannot_approve_the_closure_they_proposed(world: World) -> None:
    response = world.call("POST", f"/cases/{REFS['Q']}/closure/approve", "dir_gao", {})
    assert (response.status_code, response.get_json()["code"]) == (403, "forbidden")
    assert "four eyes" in response.get_json()["message"]
    assert world.call("POST", f"/cases/{REFS['Q']}/closure/approve", "dir_mopti", {}).status_code == 200


@pytest.mark.parametrize(("path", "body", "field"), [
    (f"/cases/{REFS['P']}/activities", {"description": ""}, "description"),
    (f"/cases/{REFS['P']}/activities", {"description": "x" * 4001}, "description"),
    (f"/cases/{REFS['P']}/delays", {"reason": "boredom", "until": NOW.isoformat()}, "reason"),
    (f"/cases/{REFS['P']}/closure/request", {"reason": "concluded"}, "note"),
    (f"/cases/{REFS['P']}/reviews", {"note": "ok", "extra": 1}, "extra"),
])
def test_an_invalid_body_is_a_422_naming_the_field(world: World, path: str, body: dict, field: str) -> None:
    response = world.call("POST", path, "tl_mopti", body)
    error = response.get_json()
    assert (response.status_code, error["code"]) == (422, "invalid_request") and field in error["errors"]


def test_errors_are_json_with_a_stable_code_and_never_a_stack_trace(world: World) -> None:
    not_json = world.client.post(f"/cases/{REFS['P']}/reviews", data="{", content_type="application/json",
                                 headers={"Authorization": f"Bearer {world.tokens['tl_mopti']}"})
    wrong_method = world.call("DELETE", f"/cases/{REFS['P']}", "tl_mopti")
    nowhere = world.call("GET", "/nowhere", "tl_mopti")
    for response, code in ((not_json, "bad_request"), (wrong_method, "method_not_allowed"),
                           (nowhere, "not_found")):
        assert response.is_json and response.get_json()["code"] == code, response.get_data(as_text=True)
        assert "Traceback" not in response.get_data(as_text=True)


def test_an_unexpected_failure_is_a_500_with_a_code_and_no_trace(world: World, monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    from services.casework.adapters import repository

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError(f"a message quoting data: {VICTIM}")

    monkeypatch.setattr(repository, "history", broken)
    response = world.call("GET", f"/cases/{REFS['P']}", "tl_mopti")
    assert response.status_code == 500
    assert response.get_json() == {"code": "internal_error", "status": 500,
                                   "message": "an unexpected error occurred; it has been logged"}
    assert "RuntimeError" in caplog.text and VICTIM not in caplog.text


def test_case_lists_are_scoped_filtered_paginated_and_sorted_by_urgency(world: World) -> None:
    world.clock.set(NOW + timedelta(days=3))  # R (reported at T0) is now past its 4-day recording goal
    items = world.call("GET", "/cases?page_size=2", "tl_mopti").get_json()
    assert (items["total"], items["page"], len(items["items"])) == (5, 1, 2)
    first = items["items"][0]
    assert (first["reference"], first["sla_state"], first["next_deadline"]["clock"]) == (REFS["R"], "overdue",
                                                                                          "recording")
    assert first["next_deadline"]["seconds_left"] < 0
    everything = world.call("GET", "/cases?page_size=200", "tl_mopti").get_json()["items"]
    due = [i["next_deadline"]["due_at"] for i in everything if i["next_deadline"]]
    assert due == sorted(due) and everything[-1]["stage"] == "closed"
    assert [i["reference"] for i in world.call("GET", "/cases?sla_state=overdue", "tl_mopti").get_json()["items"]] \
        == [REFS["R"]]
    assert world.call("GET", "/cases?stage=closed", "awa").get_json()["items"][0]["reference"] == REFS["X"]
    assert world.call("GET", "/cases", "tl_gao").get_json()["total"] == 0  # Gao's Team Leader: no Mopti cases
    assert world.call("GET", "/cases?office=Mopti", "tl_gao").status_code == 403
    assert world.call("GET", "/cases?page=3&page_size=2", "dir_gao").get_json()["items"][0]["stage"] == "closed"


def test_the_closure_queue_tells_a_director_which_closures_they_may_decide(world: World) -> None:
    queue = world.call("GET", "/closures/pending", "dir_gao").get_json()
    assert [(i["reference"], i["you_may_decide"], i["closure"]["proposer"]) for i in queue["items"]] == [
        (REFS["Q"], False, "dir_gao")]
    assert world.call("GET", "/closures/pending", "dir_mopti").get_json()["items"][0]["you_may_decide"] is True


def test_my_alerts_and_acknowledging_one(world: World) -> None:
    mine = world.call("GET", "/alerts/mine", "tl_mopti").get_json()
    assert [(a["alert_id"], a["state"], a["reference"]) for a in mine["items"]] == [("alert-R", "open", REFS["R"])]
    assert world.call("GET", "/alerts/mine", "tl_gao").get_json()["total"] == 0
    acknowledged = world.call("POST", "/alerts/alert-R/acknowledge", "tl_mopti", {"note": "calling awa"}).get_json()
    assert (acknowledged["alert"]["state"], acknowledged["alert"]["acknowledged_by"]) == ("acknowledged", "tl_mopti")
    again = world.call("POST", "/alerts/alert-R/acknowledge", "tl_mopti", {})
    assert (again.status_code, again.get_json()["message"]) == (409, f"alert for {REFS['R']} is already acknowledged")
    assert world.call("GET", "/alerts/mine", "tl_mopti").get_json()["total"] == 0
    assert world.call("GET", "/alerts/mine?state=all", "tl_mopti").get_json()["total"] == 1
    assert world.call("POST", "/alerts/nope/acknowledge", "tl_mopti", {}).status_code == 404


def test_a_submitted_incident_goes_to_sitrep_incidents_as_a_raw_record_for_intake(world: World) -> None:
    response = world.call("POST", "/incidents", "awa", {**INCIDENT, "identities": {"victims": [{"name": "X Y"}]}})
    assert response.status_code == 202
    assert response.get_json() == {"incident_key": "API-1#1", "status": "queued", "topic": SITREP_INCIDENTS}
    [record] = world.outbox()
    assert (record["topic"], record["key"]) == (SITREP_INCIDENTS, "API-1#1")
    assert record["value"]["assignee"] == "awa"  # an HRO who names nobody records it themselves
    assert "type" not in record["value"] and record["value"]["summary"] == INCIDENT["summary"]
    assert "X Y" not in json.dumps(record)  # sealed before the outbox, opened only by the vault (ADR 10)
    assert world.casework.vault.open(record["value"]["identities"]) == {"victims": [{"name": "X Y"}]}
    invalid = world.call("POST", "/incidents", "awa", {**INCIDENT, "violation_types": ["gossip"]})
    assert invalid.status_code == 422 and len(world.outbox()) == 1
    spec = world.call("GET", "/openapi.json", None).get_json()  # dead letters keep original bytes: never served
    assert not [p for p in spec["paths"] if "dead" in p or "rejected" in p]
    assert "DeadLetter" not in json.dumps(spec["components"]) and "IncidentRejected" not in json.dumps(spec)


def test_the_interactive_docs_and_their_assets_are_served_from_here_not_fetched_from_the_internet(
        world: World) -> None:
    import re

    page = world.call("GET", "/docs", None)
    assert page.status_code == 200 and "swagger-ui" in page.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.get_data(as_text=True))
    assert sources and all(s.startswith(("/docs/", "/favicon.ico")) for s in sources), sources
    assert "https://" not in page.get_data(as_text=True) and "http://" not in page.get_data(as_text=True)
    for source in sources:
        assert world.call("GET", source, None).status_code == 200, source
