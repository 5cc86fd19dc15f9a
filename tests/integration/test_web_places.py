"""The incident form's place: picked from the gazetteer (its P-code sent beside the location, when the contract takes
it), or free text kept and flagged; coordinates checked next to their fields."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from schemas.topics import SITREP_INCIDENTS
from services.casework.web import place_fields
from tests.integration.api_world import World
from tests.integration.test_web_pages import LINE, incident_form, sitrep
from tests.integration.web_world import browser, template, web_world

DJENNE = "Djenné (Mopti) — ML0502"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("web-places"))


@pytest.fixture
def world(made: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    yield from web_world(made[0], made[1], tmp_path)


def queued(world: World) -> dict[str, Any]:
    return [o for o in world.outbox() if o["topic"] == SITREP_INCIDENTS][-1]["value"]


def flashed(user: Any, response: Any) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = user.get(response.headers["Location"]).get_data(as_text=True)
    found = re.search(r'class="flash success"[^>]*>(.*?)</', page, re.S)
    assert found is not None
    return " ".join(found.group(1).split())


def test_the_place_field_offers_every_unit_with_its_parents_and_pcode(world: World) -> None:
    page = browser(world, "awa").get("/web/incidents/new").get_data(as_text=True)
    assert re.search(r'<input id="location" name="location"[^>]*list="places"', page)
    options = re.findall(r'<option value="([^"]+)" label="[^"]+"></option>', page)
    assert len(options) == 180 and DJENNE in options and "Ménaka — ML10" in options
    assert "<script" not in page.split('<datalist id="places">')[1].split("</datalist>")[0]


def test_picking_a_unit_sends_its_name_and_its_pcode_and_the_officer_reads_its_region(world: World) -> None:
    awa = browser(world, "awa")
    said = flashed(awa, awa.post("/web/incidents/new", incident_form(location=DJENNE)))
    record = queued(world)
    assert record["location"] == "Djenné"  # the unit's name: intake and the reports find the unit by it
    if "place_pcode" in place_fields.CONTRACT_FIELDS:  # the incident's version 2 (issue 20, helper "record")
        assert record["place_pcode"] == "ML0502"
    else:
        assert "place_pcode" not in record  # version 1 refuses unknown keys: nothing is sent that intake rejects
    assert "Place: Djenné (Mopti) — ML0502, region of Mopti." in said


def test_the_form_sends_the_pcode_wherever_the_incident_contract_takes_it() -> None:
    version_2 = {"location", "place_pcode", "latitude", "longitude"}
    form = MultiDict({"location": DJENNE, "latitude": "13.9", "longitude": "-4.55"})
    assert place_fields.place_of_form(form, version_2) == {"location": "Djenné", "place_pcode": "ML0502",
                                                           "latitude": 13.9, "longitude": -4.55}
    assert place_fields.place_of_form(form, {"location"}) == {"location": "Djenné"}
    typed = MultiDict({"location": "  Village 12 ", "latitude": "", "longitude": ""})
    assert place_fields.place_of_form(typed, version_2) == {"location": "Village 12"}


def test_a_place_that_names_no_unit_is_kept_as_written_and_flagged(world: World) -> None:
    awa = browser(world, "awa")
    said = flashed(awa, awa.post("/web/incidents/new", incident_form(location="Village 12 near the well")))
    assert queued(world)["location"] == "Village 12 near the well"
    assert "place_pcode" not in queued(world)
    assert ("Place: free text, flagged: “Village 12 near the well” names no administrative unit of the gazetteer "
            "(or several); counted under “unknown region”.") in said


@pytest.mark.parametrize(("lat", "lon", "field", "words"), [
    ("north", "-4.5", "latitude", "Latitude: enter a number of decimal degrees between -90 and 90."),
    ("14.2", "200", "longitude", "Longitude: enter a number of decimal degrees between -180 and 180."),
    ("14.2", "", "longitude", "Longitude: give both latitude and longitude, or neither."),
    ("48.85", "2.35", "latitude", "outside Mali"),
])
def test_wrong_coordinates_are_named_by_their_field(world: World, lat: str, lon: str, field: str,
                                                    words: str) -> None:
    form = MultiDict({"latitude": lat, "longitude": lon})
    with world.client.application.test_request_context("/web/incidents/new"):
        problems = place_fields.place_problems(form)
    assert list(problems) == [field] and words in problems[field][0]
    if "latitude" in place_fields.CONTRACT_FIELDS:  # the form shows the fields once the contract takes them
        awa = browser(world, "awa")
        before = len(world.outbox())
        response = awa.post("/web/incidents/new", incident_form(latitude=lat, longitude=lon))
        error = re.search(rf'id="{field}-error"[^>]*>(.*?)</', response.get_data(as_text=True), re.S)
        assert response.status_code == 422 and len(world.outbox()) == before
        assert error is not None and words in error.group(1)


def test_the_case_page_says_which_unit_and_region_the_place_as_written_names(world: World) -> None:
    page = browser(world, "tl_mopti").get("/web/cases/MOP-2026-0001").get_data(as_text=True)
    assert "<dt>Location</dt><dd>Konna</dd>" in page  # as the sitrep wrote it, without a P-code
    assert '<dd id="place">Konna (Mopti) — ML0505, region of Mopti</dd>' in page


def test_the_import_preview_names_each_records_unit_and_region_or_flags_its_free_text(world: World) -> None:
    awa = browser(world, "awa")
    data = sitrep({**LINE, "incident_number": 1, "location": "Cercle de Djenné"},
                  {**LINE, "incident_number": 2, "location": "Mopti town"})
    page = awa.post("/web/import", {"file": (io.BytesIO(data), "week-12.jsonl")},
                    content_type="multipart/form-data").get_data(as_text=True)
    places = re.findall(r'<td data-label="Location">([^<]+)<br><span class="(muted|late)">([^<]+)</span></td>', page)
    assert places == [
        ("Cercle de Djenné", "muted", "Djenné (Mopti) — ML0502, region of Mopti"),
        ("Mopti town", "late", "free text, flagged: “Mopti town” names no administrative unit of the gazetteer (or "
                               "several); counted under “unknown region”")]
