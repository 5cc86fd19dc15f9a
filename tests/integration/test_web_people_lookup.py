"""The person lookup page and the access requests page (ADR 23): an officer finds her office's case and a count in
Gao, asks Gao's Team Leader, who grants it on their page; in French too; nobody else reaches the pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.integration.api_world import World
from tests.integration.people_world import GAO_REFS, M6, add_people
from tests.integration.web_world import browser, template, web_world

WHY = "the same victim may have been abducted twice"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("web-people"))


@pytest.fixture
def world(made: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    for world in web_world(made[0], made[1], tmp_path):
        add_people(world.casework)
        yield world


def test_an_officer_finds_a_case_of_her_office_asks_gao_and_reads_its_cases_once_granted(world: World) -> None:
    awa = browser(world, "awa")
    assert awa.get("/web/people/lookup").status_code == 200 and 'name="names"' in awa.text()
    found = awa.post("/web/people/lookup", {"names": "TRAORE aminata\nAminata Traore", "birth_year": "1990"})
    assert found.status_code == 200
    assert f">{M6}</a>" in awa.text() and "Every word of a name" in awa.text()
    assert "Gao: 2 cases" in awa.text() and "GAO-2026" not in awa.text()
    sent = awa.post("/web/people/access-requests", {"names": "Aminata Traoré", "birth_year": "1990",
                                                    "office": "Gao", "reason": WHY})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/web/people/requests")
    awa.get("/web/people/requests")
    assert "Your request was sent to the Team Leaders of Gao." in awa.text() and "Pending" in awa.text()
    assert awa.get(f"/web/cases/{GAO_REFS[1]}").status_code == 403

    tl = browser(world, "tl_gao")
    tl.get("/web/overview")
    assert 'title="1 request awaits your decision">(1)</span>' in tl.text()  # told on every page, in the menu
    tl.get("/web/people/requests")
    assert WHY in tl.text() and GAO_REFS[1] in tl.text() and GAO_REFS[2] in tl.text()
    action = re.search(r'action="(/web/people/requests/[^"]+/decision)"', tl.text())
    assert action is not None
    end = (world.clock.now() + timedelta(days=14)).strftime("%Y-%m-%d %H:%M UTC")
    assert tl.post(action.group(1), {"decision": "grant", "reason": "to compare the cases", "days": "14"}
                   ).status_code == 303
    tl.get("/web/people/requests")
    assert f"Access granted to awa until {end}." in tl.text() and "No request awaits your decision." in tl.text()
    assert "1 request awaits your decision" not in tl.text()

    assert awa.get(f"/web/cases/{GAO_REFS[1]}").status_code == 200
    awa.get("/web/people/requests")
    assert f"Granted until {end}" in awa.text() and f">{GAO_REFS[2]}</a>" in awa.text()

    revoke = re.search(r'action="(/web/people/requests/[^"]+/revocation)"', tl.text())
    assert revoke is not None and "Access your office has granted" in tl.text()
    tl.post(revoke.group(1), {"reason": ""})
    tl.get("/web/people/requests")
    assert "Say why you revoke this access." in tl.text()
    tl.post(revoke.group(1), {"reason": "the comparison is done"})
    tl.get("/web/people/requests")
    assert "Access of awa revoked." in tl.text() and "No grant of your office is in force." in tl.text()
    assert awa.get(f"/web/cases/{GAO_REFS[1]}").status_code == 403
    awa.get("/web/people/requests")
    assert "Revoked by tl_gao: the comparison is done" in awa.text() and f">{GAO_REFS[2]}</a>" not in awa.text()


def test_a_refusal_needs_a_reason_and_is_shown_to_the_requester(world: World) -> None:
    garba = browser(world, "garba")
    garba.post("/web/people/access-requests", {"names": "Aminata Traoré", "office": "Mopti", "reason": WHY})
    tl = browser(world, "tl_mopti")
    tl.get("/web/people/requests")
    action = re.search(r'action="(/web/people/requests/[^"]+/decision)"', tl.text())
    assert action is not None
    tl.post(action.group(1), {"decision": "refuse"})
    tl.get("/web/people/requests")
    assert "Say why you grant or refuse access." in tl.text() and WHY in tl.text()
    tl.post(action.group(1), {"decision": "refuse", "reason": "another woman"})
    garba.get("/web/people/requests")
    assert "Refused" in garba.text() and "tl_mopti: another woman" in garba.text()


def test_in_french_with_each_problem_named_and_closed_to_auditors(world: World) -> None:
    awa = browser(world, "awa")
    awa.post("/web/language", {"lang": "fr"})
    awa.get("/web/people/lookup")
    assert "Rechercher une personne" in awa.text() and "Année de naissance" in awa.text()
    bad = awa.post("/web/people/lookup", {"names": "A", "birth_year": "12"})
    assert bad.status_code == 400
    assert "Donnez un nom" in awa.text() and "Une année entre 1880 et 2100" in awa.text()
    awa.post("/web/people/lookup", {"names": "Aminata Traoré"})
    assert "Gao : 2 dossiers" in awa.text() or "Gao: 2 dossiers" in awa.text()
    assert "1 dossier que vous pouvez lire" in awa.text()
    for who in ("aud_mopti", "adm_gao"):
        visitor = browser(world, who)
        assert visitor.get("/web/people/lookup").status_code == 403
        assert visitor.get("/web/people/requests").status_code == 403


def test_a_french_team_leader_is_told_of_requests_and_grants_for_the_days_she_chooses(world: World) -> None:
    awa = browser(world, "awa")
    awa.post("/web/people/access-requests", {"names": "Aminata Traoré", "office": "Gao", "reason": WHY})
    tl = browser(world, "tl_gao")
    tl.post("/web/language", {"lang": "fr"})
    tl.get("/web/people/requests")
    assert "1 demande attend votre décision" in tl.text() and "Durée de l'accès (jours)" in tl.text()
    action = re.search(r'action="(/web/people/requests/[^"]+/decision)"', tl.text())
    assert action is not None
    tl.post(action.group(1), {"decision": "grant", "reason": "pour comparer", "days": "400"})
    tl.get("/web/people/requests")
    assert "Un accès dure de 1 à 365 jours." in tl.text() and WHY in tl.text()
    tl.post(action.group(1), {"decision": "grant", "reason": "pour comparer", "days": "30"})
    tl.get("/web/people/requests")
    end = (world.clock.now() + timedelta(days=30)).strftime("%Y-%m-%d %H:%M UTC")
    assert f"Accès accordé à awa jusqu&#39;au {end}." in tl.text() and "Accès accordés par votre bureau" in tl.text()
