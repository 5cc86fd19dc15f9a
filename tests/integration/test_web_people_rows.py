"""The incident form's people and acts: repeating rows read into `people`, `acts` and the sealed identities' `people`
as a JSON Lines line carries them; more rows keep what was typed; each problem shown next to its row's field."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemas.topics import SITREP_INCIDENTS
from tests.integration.api_world import World
from tests.integration.test_web_pages import incident_form
from tests.integration.web_world import browser, template, web_world


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("web-people-rows"))


@pytest.fixture
def world(made: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    yield from web_world(made[0], made[1], tmp_path)


def with_people(**changes: Any) -> dict[str, Any]:
    form = incident_form(violation_types=[], victims_male_adult="", victims_names="")
    form |= {"people.0.role": "victim", "people.0.sex": "female", "people.0.age": "34",
             "people.0.occupation": "journalist", "people.0.protection_risk": "high",
             "people.0.consent": ["recorded", "contact"], "people.0.share_with": "ICRC\nUNICEF",
             "people.0.obtained_by": "awa", "people.0.names": "Mariam Invented-Traoré\nMariam Traore",
             "people.0.date_of_birth": "1991-04-05", "people.0.contact": "+223 70 00 00 00",
             "people.1.role": "witness", "people.1.sex": "male", "people.1.age_group": "adult",
             "people.1.names": "Oumar Invented",
             "acts.0.violation_type": "arbitrary_detention", "acts.0.victims": ["p1"],
             "acts.0.perpetrator_category": "armed_group", "acts.0.place": "Djenné (Mopti) — ML0502"}
    return form | changes


def queued(world: World) -> dict[str, Any]:
    return [o for o in world.outbox() if o["topic"] == SITREP_INCIDENTS][-1]["value"]


def test_people_and_acts_go_to_intake_as_a_jsonl_line_carries_them_names_sealed(world: World) -> None:
    awa = browser(world, "awa")
    response = awa.post("/web/incidents/new", with_people())
    assert response.status_code == 303, response.get_data(as_text=True)[-3000:]
    record = queued(world)
    assert record["people"] == [
        {"ref": "p1", "role": "victim", "sex": "female", "age": "34", "occupation": "journalist",
         "protection_risk": "high", "consent": {"recorded": True, "contact": True, "referral": False,
                                                "share_with": ["ICRC", "UNICEF"], "obtained_by": "awa"}},
        {"ref": "p2", "role": "witness", "sex": "male", "age_group": "adult"}]
    assert record["acts"] == [{"violation_type": "arbitrary_detention", "victims": ["p1"],
                               "perpetrator_category": "armed_group", "place_pcode": "ML0502"}]
    assert "violation_types" not in record and "victims" not in record  # the acts' own, derived by intake
    assert "Mariam" not in json.dumps(record)  # ADR 10: names travel sealed
    assert world.casework.vault.open(record["identities"])["people"] == {
        "p1": {"names": ["Mariam Invented-Traoré", "Mariam Traore"], "date_of_birth": "1991-04-05",
               "contact": "+223 70 00 00 00"},
        "p2": {"names": ["Oumar Invented"]}}


def test_more_rows_keep_what_was_typed_and_send_nothing(world: World) -> None:
    awa = browser(world, "awa")
    before = len(world.outbox())
    page = awa.post("/web/incidents/new", with_people(more_rows="1")).get_data(as_text=True)
    assert len(world.outbox()) == before
    assert len(re.findall(r'id="person-\d+"', page)) == 5 and len(re.findall(r'id="act-\d+"', page)) == 5
    assert 'name="people_rows" value="5"' in page and "Mariam Invented-Traoré\nMariam Traore</textarea>" in page
    assert re.search(r'name="acts.0.victims" value="p1" checked', page)
    assert "Person 1 (Mariam Invented-Traoré)" in page
    assert re.search(r'id="people.4.role" name="people.4.role"', page)


def test_each_problem_is_shown_next_to_its_rows_field(world: World) -> None:
    awa = browser(world, "awa")
    response = awa.post("/web/incidents/new", with_people(**{
        "people.1.age": "two hundred", "people.0.date_of_birth": "05/04/1991"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="people.1.age-error">Enter a whole number.', page)
    assert re.search(r'id="people.0.date_of_birth-error">Date of birth: write the date as YYYY-MM-DD', page)
    assert 'aria-invalid="true"' in page.split('id="people.1.age"')[1].split(">")[0]
    # The rules across rows are checked once every row reads as the contract asks.
    page = awa.post("/web/incidents/new", with_people(**{
        "acts.0.victims": ["p2"], "acts.1.violation_type": "killing", "acts.1.perpetrator_category": "armed_group",
        })).get_data(as_text=True)
    assert re.search(r'id="acts.0.victims-error">Person 2 is no victim of this incident: give them the role', page)
    assert re.search(r'id="acts.1.victims-error">Tick at least one victim of this act.', page)


def test_a_row_with_a_name_but_no_role_is_refused_at_its_role(world: World) -> None:
    awa = browser(world, "awa")
    page = awa.post("/web/incidents/new", with_people(**{"people.2.names": "Nobody Known"})).get_data(as_text=True)
    assert re.search(r'id="people.2.role-error">Choose one of the options.', page)
