"""What the API does with bad input and what it says of itself: control characters, pathological JSON, missing
bodies, 405 with Allow, the published cross-field rules, and the security headers on every answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.casework.api.app import openapi
from tests.integration.api_world import REFS, World, build_template, open_world
from tests.integration.test_api_authorisation_matrix import INCIDENT


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path = tmp_path_factory.mktemp("template") / "casework.sqlite"
    yield from open_world(path, build_template(path), tmp_path_factory.mktemp("world"))


def test_an_incident_with_a_nul_in_a_place_or_a_name_is_refused_naming_the_field(world: World) -> None:
    before = len(world.outbox())
    place = world.call("POST", "/incidents", "awa", {**INCIDENT, "location": "Sev\u0000are"})
    assert place.status_code == 422 and list(place.get_json()["errors"]) == ["location"]
    assert "control character (U+0000" in place.get_json()["errors"]["location"][0]
    name = world.call("POST", "/incidents", "awa",
                      {**INCIDENT, "identities": {"victims": [{"name": "Awa\u001b Traoré"}]}})
    assert name.status_code == 422 and "U+001B" in str(name.get_json()["errors"]["identities"])
    assert len(world.outbox()) == before


def test_a_note_with_a_control_character_is_refused_and_one_with_windows_line_breaks_is_taken(world: World) -> None:
    refused = world.call("POST", f"/cases/{REFS['P']}/activities", "awa", {"description": "went\u0007 there"})
    assert refused.status_code == 422 and list(refused.get_json()["errors"]) == ["description"]
    taken = world.call("POST", f"/cases/{REFS['P']}/activities", "awa", {"description": "line one\r\nline two"})
    assert taken.status_code == 200
    history = world.call("GET", f"/cases/{REFS['P']}", "awa").get_json()["history"]
    assert history[-1]["payload"]["description"] == "line one\nline two"


@pytest.mark.parametrize("body", ["[" * 50_000 + "]" * 50_000, '{"a":' * 50_000 + "1" + "}" * 50_000])
def test_fifty_thousand_nested_brackets_are_a_400_saying_so_not_a_server_error(world: World, body: str) -> None:
    for path in ("/incidents", f"/cases/{REFS['P']}/activities"):
        response = world.call("POST", path, "awa", data=body, content_type="application/json")
        assert response.status_code == 400, path
        assert response.get_json()["message"].startswith("the body is not valid JSON: nested too deeply")


def test_a_body_over_one_mebibyte_is_a_413_with_a_message(world: World) -> None:
    response = world.call("POST", "/incidents", "awa", data=b"{" + b" " * (1 << 20) + b"}",
                          content_type="application/json")
    assert response.status_code == 413 and response.get_json()["code"] == "too_large"


def test_an_operation_whose_schema_requires_a_body_refuses_none_and_a_body_that_is_not_json(world: World) -> None:
    before = world.snapshot()
    missing = world.call("POST", "/alerts/alert-R/acknowledge", "tl_mopti")
    assert missing.status_code == 400 and "needs a JSON body" in missing.get_json()["message"]
    text = world.call("POST", "/alerts/alert-R/acknowledge", "tl_mopti", data="note=seen", content_type="text/plain")
    assert text.status_code == 415 and text.get_json()["code"] == "unsupported_media_type"
    assert world.snapshot() == before
    spec = openapi()["paths"]["/alerts/{alert_id}/acknowledge"]["post"]
    assert spec["requestBody"]["required"] is True
    assert world.call("POST", "/alerts/alert-R/acknowledge", "tl_mopti", {}).status_code == 200


def test_a_method_an_address_does_not_take_is_a_405_naming_those_it_takes(world: World) -> None:
    response = world.call("DELETE", f"/cases/{REFS['P']}", "awa")
    assert response.status_code == 405 and response.get_json()["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    put = world.call("PUT", "/incidents", "tl_mopti", {})
    assert put.status_code == 405 and "POST" in put.headers["Allow"]


def test_the_published_schema_states_the_rules_across_fields_and_on_text() -> None:
    incident = openapi()["components"]["schemas"]["IncidentAsWritten"]
    assert "not after `reported_at`" in incident["properties"]["occurred_at"]["description"]
    assert "occurred after it was reported" in incident["properties"]["occurred_at"]["description"]
    assert "No control characters" in incident["properties"]["location"]["description"]
    assert "No control characters" in openapi()["components"]["schemas"]["ActivityBody"]["properties"][
        "description"]["description"]


@pytest.mark.parametrize(("method", "path", "caller"), [
    ("GET", f"/cases/{REFS['P']}", "awa"), ("GET", "/cases", "tl_mopti"), ("GET", "/me", "awa"),
    ("GET", "/cases/nowhere", "awa"), ("GET", "/cases", None), ("GET", "/openapi.json", None),
    ("GET", "/health", None), ("POST", "/incidents", "awa")])
def test_every_api_answer_is_never_cached_never_sniffed_and_never_framed(world: World, method: str, path: str,
                                                                          caller: str | None) -> None:
    response = world.call(method, path, caller, {} if method == "POST" else None)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_the_interactive_docs_have_a_strict_policy_and_run_no_inline_script(world: World) -> None:
    page = world.call("GET", "/docs", None)
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy and "unsafe" not in policy
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "<script>" not in html and html.count("<script src=") == 2
    start = world.call("GET", "/docs/start.js", None)
    assert start.status_code == 200 and "SwaggerUIBundle" in start.get_data(as_text=True)
    asset = world.call("GET", "/docs/assets/swagger-ui-bundle.js", None)
    assert asset.headers["X-Content-Type-Options"] == "nosniff" and "no-store" not in asset.headers["Cache-Control"]


def test_the_favicon_is_served_to_anyone_without_signing_in(world: World) -> None:
    response = world.call("GET", "/favicon.ico", None)
    assert response.status_code == 200 and response.mimetype == "image/x-icon"
    assert response.get_data()[:4] == b"\x00\x00\x01\x00"  # an ICO file
