"""An admin keeps the perpetrator units on their page, on a desktop and on a phone."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e import world
from tests.e2e.conftest import sign_in


def test_an_admin_adds_a_unit_then_retires_it(page: Page, shots: Path) -> None:
    sign_in(page, "admin.sow")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Units").click()
    expect(page.get_by_role("heading", name="Perpetrator units")).to_be_visible()
    page.get_by_label("Code").fill("fama-33rci")
    page.get_by_label("Name").fill("33e Régiment des commandos parachutistes")
    page.get_by_label("Perpetrator category").select_option(label="State armed forces")
    page.get_by_role("group", name="Non-UN security force receiving UN support").get_by_label("Yes").check()
    page.get_by_role("button", name="Add the unit").click()
    expect(page.get_by_role("status")).to_contain_text("Unit 33e Régiment des commandos parachutistes added.")
    row = page.locator("tr", has_text="fama-33rci")
    expect(row).to_contain_text("State armed forces")
    expect(row.locator("td").nth(3)).to_have_text("Yes")
    page.screenshot(path=str(shots / "units.png"), full_page=True)
    page.get_by_label("Code").fill("fama-33rci")
    page.get_by_label("Name").fill("Again")
    page.get_by_label("Perpetrator category").select_option(label="Armed group")
    page.get_by_role("button", name="Add the unit").click()
    expect(page.locator(".field.invalid")).to_contain_text("is taken by")
    row.get_by_role("button", name="Retire").click()
    expect(page.locator("tr", has_text="fama-33rci")).to_contain_text("Retired")


def test_the_units_page_fits_a_narrow_screen(browser: Browser, served: tuple[str, world.Refs], shots: Path) -> None:
    phone = browser.new_context(base_url=served[0], viewport={"width": 390, "height": 844}, locale="en-GB",
                                is_mobile=True, has_touch=True)
    page = phone.new_page()
    sign_in(page, "admin.sow")
    page.goto("/web/units")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"/web/units scrolls sideways on a narrow screen ({width}px)"
    page.screenshot(path=str(shots / "narrow-units.png"), full_page=True)
    phone.close()
