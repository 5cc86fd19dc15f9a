"""The case record: people (open attributes and consent for every reader, names only beside identities), acts and
the place in the gazetteer, in `GET /cases/{ref}` and on the case page (in English and French)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from schemas.topics import INCIDENTS
from services.casework.adapters import repository as repo
from services.messaging.ports import Message
from services.messaging.processing import emit
from sitreps.key import incident_key
from tests.integration.api_world import KEY, T0, World
from tests.integration.web_world import browser, template, web_world

NAMES = ["Rokia Invented-Dembélé", "Rokia Dembele"]
CONTACT = "+223 7000 1122"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("case-record"))


@pytest.fixture
def world(made: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    for world in web_world(made[0], made[1], tmp_path):
        world.casework.processor.process([record_message()], T0 + timedelta(hours=3))
        yield world


def record_message() -> Message:
    """An accepted incident with two people and one act, placed in the gazetteer (as intake hands it on)."""
    key = incident_key("SR-2", 1)
    payload: dict[str, Any] = {
        "incident_key": key, "sitrep_id": "SR-2", "incident_number": 1, "reported_at": T0,
        "occurred_at": T0 - timedelta(days=1), "office": "Mopti", "location": "Djenné", "place_pcode": "ML0502",
        "place_free_text": False, "latitude": 13.90608, "longitude": -4.55332,
        "violation_types": ["arbitrary_detention"], "perpetrator_category": "state_security_forces",
        "victims": {"female_adult": 1}, "source_type": "ngo", "summary": "a journalist held without charge",
        "assignee": "awa",
        "people": [{"ref": "p1", "role": "victim", "sex": "female", "age_group": "adult", "occupation": "journalist",
                    "protection_risk": "high", "consent": {"recorded": True, "contact": True,
                                                           "share_with": ["ICRC"], "obtained_by": "awa",
                                                           "obtained_at": T0 - timedelta(hours=5)}},
                   {"ref": "w1", "role": "witness", "sex": "male", "age": 52}],
        "acts": [{"violation_type": "arbitrary_detention", "victims": ["p1"],
                  "perpetrator_category": "state_security_forces", "perpetrator_unit": "GN-DJE"}],
        "identities": KEY.seal({"people": {"p1": {"names": NAMES, "contact": CONTACT, "date_of_birth": "1990-02-03"},
                                           "w1": {"names": ["Witness Invented-Name"]}}}),
    }
    out = emit(INCIDENTS, "IncidentAccepted", occurred_at=T0, key=key, producer="intake", payload=payload,
               event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"test:{key}")))
    return Message(INCIDENTS, 0, 100, key, out.value, {"event_id": out.headers["event_id"]})


def reference(world: World) -> str:
    case = next(c for c in world.casework.read(lambda conn: repo.list_cases(conn, limit=100))
                if c.incident_key == incident_key("SR-2", 1))
    return case.reference


def test_the_assigned_officer_sees_people_with_their_names_acts_and_the_place(world: World) -> None:
    case = world.call("GET", f"/cases/{reference(world)}", "awa").get_json()
    victim, witness = case["people"]
    assert victim == {"ref": "p1", "role": "victim", "sex": "female", "age_group": "adult", "age": None,
                      "occupation": "journalist", "protection_risk": "high", "names": NAMES, "contact": CONTACT,
                      "date_of_birth": "1990-02-03", "identity_redacted": False, "consent": {
                          "recorded": True, "contact": True, "share_with": ["ICRC"], "referral": False,
                          "obtained_by": "awa", "obtained_at": (T0 - timedelta(hours=5)).isoformat(),
                          "withdrawn_at": None}}
    assert (witness["age"], witness["names"]) == (52, ["Witness Invented-Name"])
    assert case["acts"] == [{"violation_type": "arbitrary_detention", "victims": ["p1"],
                             "perpetrator_category": "state_security_forces", "perpetrator_unit": "GN-DJE",
                             "occurred_at": None, "place_pcode": None}]
    assert {k: case[k] for k in ("place_pcode", "region", "latitude", "longitude", "place_free_text")} == {
        "place_pcode": "ML0502", "region": "Mopti", "latitude": 13.90608, "longitude": -4.55332,
        "place_free_text": False}


@pytest.mark.parametrize("caller", ["bakary", "aud_mopti", "dir_gao"])
def test_everyone_else_sees_the_open_attributes_and_consent_but_no_name(world: World, caller: str) -> None:
    response = world.call("GET", f"/cases/{reference(world)}", caller)
    case = response.get_json()
    assert [p["identity_redacted"] for p in case["people"]] == [True, True]
    assert [p["occupation"] for p in case["people"]] == ["journalist", None]
    assert case["people"][0]["consent"]["share_with"] == ["ICRC"]
    text = response.get_data(as_text=True)
    assert not [s for s in (*NAMES, CONTACT, "1990-02-03", "Witness Invented-Name") if s in text]


def test_the_case_page_shows_who_did_what_to_whom_in_french_and_names_only_to_the_officer(world: World) -> None:
    ref = reference(world)
    officer = browser(world, "awa")
    page = officer.get(f"/web/cases/{ref}").get_data(as_text=True)
    acts = re.search(r'<ul class="record-list" id="acts">(.*?)</ul>', page, re.S)
    assert acts and "Arbitrary detention" in acts.group(1) and "State security forces" in acts.group(1)
    people = re.search(r'<ul class="record-list" id="people">(.*?)</ul>', page, re.S)
    assert people and "Journalist" in people.group(1) and "Rokia Invented-Dembélé / Rokia Dembele" in people.group(1)
    assert "may be shared with ICRC" in people.group(1) and "ML0502, region Mopti" in page
    auditor = browser(world, "aud_mopti")
    redacted = auditor.get(f"/web/cases/{ref}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Qui a fait quoi à qui" in redacted and "Journaliste" in redacted
    assert "peut être partagé avec ICRC" in redacted
    assert not [s for s in (*NAMES, CONTACT) if s in redacted]
