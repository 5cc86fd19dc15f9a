"""People and acts in the browser, on a 390 px phone: an officer enters two people (one consenting to share with a
named partner) and an act naming one victim, in English and in French; the case page shows them; an auditor, who
may not see identities, sees the people without their names."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import world
from tests.e2e.conftest import sign_in

PHONE = {"width": 390, "height": 844}
FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def phone(browser: Browser, url: str, locale: str) -> Iterator[Page]:
    made = browser.new_context(base_url=url, viewport=PHONE, locale=locale, is_mobile=True)
    made.set_default_timeout(15_000)
    yield made.new_page()
    made.close()


@pytest.fixture
def english_phone(browser: Browser, served: tuple[str, world.Refs]) -> Iterator[Page]:
    yield from phone(browser, served[0], "en-GB")


@pytest.fixture
def french_phone(browser: Browser, served: tuple[str, world.Refs]) -> Iterator[Page]:
    yield from phone(browser, served[0], "fr-FR")


def my_references(page: Page) -> set[str]:
    page.goto("/web/my-cases")
    return set(page.locator("table.cases tbody th a").all_inner_texts())


def new_case(page: Page, before: set[str]) -> str:
    """The reference of the case intake and casework made of the incident just submitted (within seconds)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        made = my_references(page) - before
        if made:
            return made.pop()
        time.sleep(0.3)
    pytest.fail("the submitted incident became no case")


def fill_people_and_act(page: Page, labels: dict[str, str]) -> None:
    """Two people and one act naming the first as its victim, by the rows' fields."""
    page.locator('[name="people.0.role"]').select_option("victim")
    page.locator('[name="people.0.sex"]').select_option("female")
    page.locator('[name="people.0.age"]').fill("34")
    page.locator('[name="people.0.occupation"]').select_option("journalist")
    page.locator('[name="people.0.protection_risk"]').select_option("high")
    person = page.locator("#person-1")
    person.get_by_label(labels["recorded"]).check()
    person.get_by_label(labels["contact"]).check()
    page.locator('[name="people.0.share_with"]').fill("ICRC")
    page.locator('[name="people.0.names"]').fill("Mariam Invented-Traoré\nMariam Traore")
    page.locator('[name="people.0.contact"]').fill("+223 70 00 00 00")
    page.locator('[name="people.1.role"]').select_option("witness")
    page.locator('[name="people.1.sex"]').select_option("male")
    page.locator('[name="people.1.age_group"]').select_option("adult")
    page.locator('[name="people.1.names"]').fill("Oumar Invented")
    page.locator('[name="acts.0.violation_type"]').select_option("arbitrary_detention")
    page.locator('[name="acts.0.perpetrator_category"]').select_option("armed_group")
    page.locator("#act-1").get_by_label(labels["person"], exact=True).check()


def test_an_officer_enters_people_and_an_act_on_a_phone_and_the_auditor_sees_no_name(
        english_phone: Page, browser: Browser, served: tuple[str, world.Refs], shots: Path) -> None:
    page = english_phone
    sign_in(page, "awa")
    before = my_references(page)
    page.goto("/web/incidents/new")
    assert page.evaluate(FITS), "the incident form is wider than a 390 px screen"
    sitrep = f"SR-PPL-{int(time.time())}"
    page.get_by_label("Situation report").fill(sitrep)
    page.get_by_label("Number in that report").fill("1")
    page.get_by_label("Occurred at (UTC)").fill("2026-01-12T07:00")
    page.get_by_label("Location").fill("Djenné")
    page.locator("#perpetrator_category").select_option("armed_group")
    page.locator("#source_type").select_option("direct_witness")
    page.get_by_label("Summary").fill("A journalist detained at the market; a witness saw it")
    fill_people_and_act(page, {"recorded": "to be recorded", "contact": "to be contacted", "person": "Person 1"})
    page.get_by_role("button", name="Add more rows").click()  # more rows, what was typed kept
    expect(page.locator("#person-5")).to_be_visible()
    expect(page.locator('[name="people.0.names"]')).to_have_value("Mariam Invented-Traoré\nMariam Traore")
    expect(page.locator("#act-1").get_by_label("Person 1 (Mariam Invented-Traoré)")).to_be_checked()
    page.screenshot(path=str(shots / "hro-incident-people-phone.png"), full_page=True)
    page.get_by_role("button", name="Submit the incident").click()
    expect(page.locator(".flash.success")).to_contain_text(f"{sitrep}#1")

    reference = new_case(page, before)
    page.goto(f"/web/cases/{reference}")
    people, acts = page.locator("#people"), page.locator("#acts")
    expect(acts).to_contain_text("Arbitrary detention")
    expect(acts).to_contain_text("p1")
    expect(people).to_contain_text("Mariam Invented-Traoré / Mariam Traore")  # the assigned officer sees names
    expect(people).to_contain_text("Journalist")
    expect(people).to_contain_text("may be shared with ICRC")
    expect(people).to_contain_text("Oumar Invented")
    expect(page.locator(".summary")).to_be_visible()
    assert page.evaluate(FITS), "the case page is wider than a 390 px screen"
    page.screenshot(path=str(shots / "case-people-acts-phone.png"), full_page=True)

    page.get_by_text("Amend people and acts").first.click()  # the officer adds an act: the violations follow
    amend = page.locator("#form-amend-people")
    expect(amend).not_to_contain_text("Mariam")  # names are sealed apart: never in this form
    amend.locator('[name="acts.1.violation_type"]').select_option("injury")
    amend.locator('[name="acts.1.perpetrator_category"]').select_option("armed_group")
    amend.locator("#amend-act-2").get_by_label("p1", exact=True).check()
    amend.get_by_label("Why these details change").fill("she was also beaten, her statement says")
    assert page.evaluate(FITS), "the amendment form is wider than a 390 px screen"
    amend.get_by_role("button", name="Amend people and acts").click()
    expect(page.locator(".flash.success")).to_contain_text("People and acts amended")
    expect(page.locator("#acts")).to_contain_text("Injury")
    expect(page.locator("#details-h + dl")).to_contain_text("Injury")

    page.get_by_text("Correct the identity of p1").click()  # a spelling fixed: sealed, the history names the field
    correct = page.locator("#form-correct-identity-p1")
    expect(correct.locator('[name="names"]')).to_have_value("Mariam Invented-Traoré\nMariam Traore")
    correct.locator('[name="names"]').fill("Mariam Invented-Traoré\nMariam Traoré")
    correct.get_by_label("Reason for the correction").fill("her press card spells it so")
    assert page.evaluate(FITS), "the identity form is wider than a 390 px screen"
    correct.get_by_role("button", name="Correct the identity").click()
    expect(page.locator(".flash.success")).to_contain_text("Identity corrected")
    expect(page.locator("#people")).to_contain_text("Mariam Invented-Traoré / Mariam Traoré")
    history = page.locator("section[aria-labelledby=history-h]")
    expect(history).to_contain_text("identity of person p1 corrected (fields: names)")
    expect(history).to_contain_text("her press card spells it so")
    expect(history).not_to_contain_text("Mariam")

    auditor = browser.new_context(base_url=served[0], viewport=PHONE, locale="en-GB", is_mobile=True)
    try:
        seen = auditor.new_page()
        sign_in(seen, "auditor")
        seen.goto(f"/web/cases/{reference}")
        expect(seen.locator("#people")).to_contain_text("Journalist")
        expect(seen.locator("#people")).to_contain_text("may be shared with ICRC")
        expect(seen.locator("main")).not_to_contain_text("Mariam")
        expect(seen.locator("main")).not_to_contain_text("Oumar")
        expect(seen.locator("main")).not_to_contain_text("+223")
        expect(seen.locator("#form-correct-identity-p1")).to_have_count(0)  # no identities seen, none corrected
    finally:
        auditor.close()


def test_a_french_officer_enters_people_and_an_act_on_a_phone(french_phone: Page, shots: Path) -> None:
    page = french_phone
    page.goto("/web/login")
    page.get_by_label("Nom d'utilisateur").fill("bakary")
    page.get_by_label("Mot de passe").fill(world.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/web/**")
    before = my_references(page)
    page.goto("/web/incidents/new")
    expect(page.locator("#people legend").first).to_have_text("Personnes")
    sitrep = f"SR-PPL-FR-{int(time.time())}"
    page.get_by_label("Rapport de situation").fill(sitrep)
    page.get_by_label("Numéro dans ce rapport").fill("1")
    page.get_by_label("Survenu le (UTC)").fill("12/01/2026 07:00")
    page.locator("#location").fill("Djenné")
    page.locator("#perpetrator_category").select_option("armed_group")
    page.locator("#source_type").select_option("direct_witness")
    page.get_by_role("textbox", name="Résumé").fill("Une journaliste détenue au marché ; un témoin l'a vu")
    fill_people_and_act(page, {"recorded": "à être enregistré(e)", "contact": "à être contacté(e)",
                               "person": "Personne 1"})
    page.locator('[name="people.0.date_of_birth"]').fill("5/4/1991")  # day first, as French dates are written
    page.locator('[name="acts.1.violation_type"]').select_option("killing")  # an act with no victim: refused
    page.locator('[name="acts.1.perpetrator_category"]').select_option("armed_group")
    page.get_by_role("button", name="Signaler l'incident").click()
    expect(page.locator('[id="acts.1.victims-error"]')).to_have_text("Cochez au moins une victime de cet acte.")
    assert page.evaluate(FITS), "the form with its errors is wider than a 390 px screen"
    page.locator('[name="acts.1.violation_type"]').select_option("")
    page.locator('[name="acts.1.perpetrator_category"]').select_option("")
    page.get_by_role("button", name="Signaler l'incident").click()
    expect(page.locator(".flash.success")).to_contain_text(f"Incident {sitrep}#1 envoyé")

    reference = new_case(page, before)
    page.goto(f"/web/cases/{reference}")
    expect(page.locator("#acts")).to_contain_text("Détention arbitraire")
    expect(page.locator("#people")).to_contain_text("Journaliste")
    expect(page.locator("#people")).to_contain_text("ICRC")
    expect(page.locator("#people")).to_contain_text("1991-04-05")
    page.get_by_text("Corriger l'identité de p1").click()  # a date of birth corrected, typed the French way
    correct = page.locator("#form-correct-identity-p1")
    correct.locator('[name="date_of_birth"]').fill("6/4/1991")
    correct.get_by_label("Motif de la correction").fill("sa carte d'identité")
    correct.get_by_role("button", name="Corriger l'identité").click()
    expect(page.locator(".flash.success")).to_contain_text("Identité corrigée")
    expect(page.locator("#people")).to_contain_text("1991-04-06")
    expect(page.locator("section[aria-labelledby=history-h]")).to_contain_text(
        "identité de la personne p1 corrigée (champs : date de naissance)")
    assert page.evaluate(FITS), "la page du dossier dépasse un écran de 390 px"
    page.screenshot(path=str(shots / "case-people-acts-phone-fr.png"), full_page=True)
