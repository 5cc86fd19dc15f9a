"""The case page's "Amend people and acts": rows as the case holds them, sent as one amendment of `people` and
`acts`; consent carried over untouched, identities never in the form, problems next to their row's field."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.api_world import T0, World
from tests.integration.test_api_case_record import record_message, reference
from tests.integration.web_world import browser, template, web_world


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("people-amend"))


@pytest.fixture
def world(made: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    for world in web_world(made[0], made[1], tmp_path):
        world.casework.processor.process([record_message()], T0 + timedelta(hours=3))
        yield world


def the_form(page: str) -> str:
    found = re.search(r'<form[^>]*id="form-amend-people".*?</form>', page, re.S)
    assert found is not None
    return found.group(0)


def as_shown(form: str) -> dict[str, Any]:
    """What the browser would send untouched: hidden fields, chosen options, typed values, ticked boxes."""
    sent: dict[str, Any] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value=\'?"?([^\'"]*)', form):
        sent[name] = html.unescape(value)
    for name, value in re.findall(r'<input id="[^"]+" name="([^"]+)" type="(?:text|number)" value="([^"]*)"', form):
        if value:
            sent[name] = html.unescape(value)
    for name, body in re.findall(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        if chosen:
            sent[name] = chosen.group(1)
    for name, value in re.findall(r'<input type="checkbox" name="([^"]+)" value="([^"]+)" checked>', form):
        sent.setdefault(name, []).append(value)
    return sent


def test_the_officer_amends_a_role_and_adds_an_act_and_the_counts_follow(world: World) -> None:
    awa, ref = browser(world, "awa"), reference(world)
    form = the_form(awa.get(f"/web/cases/{ref}").get_data(as_text=True))
    assert "Rokia" not in form and "+223" not in form and "date_of_birth" not in form  # identities sealed apart
    sent = as_shown(form)
    assert (sent["people.0.ref"], sent["people.1.ref"], sent["people.2.ref"]) == ("p1", "w1", "p2")
    assert sent["acts.0.victims"] == ["p1"] and sent["people.1.age"] == "52"
    sent |= {"people.1.role": "victim", "acts.1.violation_type": "injury", "acts.1.victims": ["w1"],
             "acts.1.perpetrator_category": "armed_group", "acts.1.place": "Djenné (Mopti) — ML0502",
             "reason": "the witness was beaten too, his statement says"}
    response = awa.post(f"/web/cases/{ref}/amend-people", data=sent)
    assert response.status_code == 303, re.findall(r'class="(?:flash )?error"[^>]*>([^<]*)', response.get_data(
        as_text=True))
    case = world.call("GET", f"/cases/{ref}", "awa").get_json()
    assert [(p["ref"], p["role"]) for p in case["people"]] == [("p1", "victim"), ("w1", "victim")]
    assert case["people"][0]["consent"]["share_with"] == ["ICRC"]  # carried over, never re-typed
    assert case["people"][0]["consent"]["obtained_at"] is not None
    assert case["people"][0]["names"] == ["Rokia Invented-Dembélé", "Rokia Dembele"]  # the sealed names stay
    assert [a["violation_type"] for a in case["acts"]] == ["arbitrary_detention", "injury"]
    assert case["acts"][1]["place_pcode"] == "ML0502"
    assert case["details"]["violation_types"] == ["arbitrary_detention", "injury"]
    assert (case["details"]["victims"]["female_adult"], case["details"]["victims"]["male_adult"]) == (1, 1)
    assert case["history"][-1]["payload"]["reason"] == "the witness was beaten too, his statement says"


def test_an_act_naming_someone_who_is_no_victim_is_refused_next_to_its_victims(world: World) -> None:
    awa, ref = browser(world, "awa"), reference(world)
    sent = as_shown(the_form(awa.get(f"/web/cases/{ref}").get_data(as_text=True)))
    sent |= {"acts.0.victims": ["w1"], "reason": "the act was against the witness"}
    response = awa.post(f"/web/cases/{ref}/amend-people", data=sent)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="acts.0.victims-error">w1 is no victim of this incident \(a witness\)', page)
    assert '<details class="amend" id="amend-people" open>' in page


def test_someone_who_may_not_amend_sees_no_form(world: World) -> None:
    page = browser(world, "aud_mopti").get(f"/web/cases/{reference(world)}").get_data(as_text=True)
    assert 'id="form-amend-people"' not in page and 'id="people"' in page
