"""A French-speaking officer in the browser: the pages in French, dates typed as JJ/MM/AAAA HH:MM in one field."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import world


@pytest.fixture
def french_page(browser: Browser, served: tuple[str, world.Refs]) -> Iterator[Page]:
    """A browser whose preferred language is French (the account keeps no choice of its own)."""
    made = browser.new_context(base_url=served[0], viewport={"width": 1280, "height": 900}, locale="fr-FR")
    made.set_default_timeout(15_000)
    yield made.new_page()
    made.close()


def test_a_french_officer_types_a_date_and_time_in_one_field_and_submits(french_page: Page, shots: Path) -> None:
    page = french_page
    page.goto("/web/login")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("main")).not_to_contain_text("hrcase users")
    page.get_by_label("Nom d'utilisateur").fill("bakary")  # not awa: her list of cases is other tests'
    page.get_by_label("Mot de passe").fill(world.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Signaler un incident").click()

    occurred = page.get_by_label("Survenu le (UTC)")
    expect(occurred).to_have_attribute("type", "text")  # one field, not the browser's seven-part widget
    expect(occurred).to_have_attribute("placeholder", "JJ/MM/AAAA HH:MM")
    expect(page.get_by_label("Signalé le (UTC)")).to_have_value(re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d$"))
    occurred.click()
    typed = "2/1/2026 6h30"  # 13 keys, no Tab: day first, 24 h
    page.keyboard.type(typed)
    expect(occurred).to_have_value(typed)

    sitrep = f"SR-FR-{int(time.time())}"
    page.get_by_label("Rapport de situation").fill(sitrep)
    page.get_by_label("Numéro dans ce rapport").fill("4")
    page.locator("#location").fill("Djenné")
    page.get_by_label("Meurtre").check()
    page.get_by_label("Auteurs présumés").select_option("armed_group")
    page.locator("#source_type").select_option("direct_witness")
    page.get_by_role("spinbutton", name="Hommes", exact=True).fill("1")
    page.get_by_role("textbox", name="Résumé").fill("Un homme tué au marché de Djenné")
    page.screenshot(path=str(shots / "hro-submit-incident-fr.png"), full_page=True)
    page.get_by_role("button", name="Signaler l'incident").click()
    expect(page.locator(".flash.success")).to_contain_text(f"Incident {sitrep}#4 envoyé")

    page.goto("/web/incidents/new")
    page.get_by_label("Survenu le (UTC)").fill("01/13/2026 6:30 PM")  # as an American browser would show it
    page.get_by_role("button", name="Signaler l'incident").click()
    expect(page.locator("#occurred_at-error")).to_contain_text(
        "Survenu le (UTC) : écrivez la date et l'heure sous la forme JJ/MM/AAAA HH:MM (24 h)")
