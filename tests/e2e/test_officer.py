"""A Human Rights Officer in the browser: sign in, see their cases by deadline, submit an incident, record it."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e import world
from tests.e2e.conftest import sign_in


def test_an_officer_sees_their_cases_nearest_deadline_first_with_stage_and_time_left(
        page: Page, served: tuple[str, world.Refs], shots: Path) -> None:
    sign_in(page, "awa")
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    rows = page.locator("table.cases tbody tr")
    expect(rows.first).to_contain_text("overdue by")
    expect(page.locator("table.cases")).to_contain_text(served[1].stalled)
    expect(page.locator("table.cases")).to_contain_text("Preliminary")
    page.screenshot(path=str(shots / "hro-my-cases.png"), full_page=True)


def test_an_officer_submits_an_incident_and_records_its_case(page: Page, shots: Path) -> None:
    sign_in(page, "awa")
    page.get_by_role("link", name="Submit an incident").click()
    page.get_by_label("Location").fill("K")
    page.get_by_role("button", name="Submit the incident").click()
    expect(page.locator("#location-error")).to_be_visible()
    expect(page.locator("#summary-error")).to_contain_text("required")
    expect(page.locator("#violation_types-error")).to_be_visible()
    expect(page.get_by_label("Location")).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=str(shots / "hro-submit-incident-errors.png"), full_page=True)

    sitrep = f"SR-WEB-{int(time.time())}"
    page.get_by_label("Situation report").fill(sitrep)
    page.get_by_label("Number in that report").fill("7")
    page.get_by_label("Occurred at (UTC)").fill("2026-01-10T06:30")
    page.get_by_label("Location").fill("Boni")
    page.get_by_label("Killing").check()
    page.get_by_label("Alleged perpetrators").select_option("armed_group")
    page.locator("#source_type").select_option("direct_witness")
    page.get_by_role("spinbutton", name="Men", exact=True).fill("1")
    page.get_by_label("Summary").fill("A man killed at the market of Boni")
    page.get_by_label("Victims, one per line").fill("Name Kept Secret")
    page.get_by_role("button", name="Submit the incident").click()
    expect(page.locator(".flash.success")).to_contain_text(f"{sitrep}#7")
    expect(page.locator(".flash.success")).to_contain_text("Place: Boni (Douentza) — ML1806, region of Douentza.")

    # The list shows each case's place: the row of this incident, whatever other cases the server holds.
    link = page.locator("table.cases tbody tr").filter(has_text="Reported").filter(has_text="Boni").first
    deadline = time.monotonic() + 20
    while not link.count() and time.monotonic() < deadline:  # intake, then casework: it appears within seconds
        time.sleep(0.3)
        page.reload()
    link.get_by_role("link").click()
    expect(page.locator("main")).to_contain_text("Boni")
    expect(page.locator("main")).to_contain_text("Name Kept Secret")  # the assigned officer sees identities
    page.get_by_role("button", name="Record the case").click()
    expect(page.locator(".flash.success")).to_contain_text("Case recorded")
    expect(page.locator(".summary")).to_contain_text("Preliminary")
    history = page.locator("table.history")
    expect(history).to_contain_text("Recorded")
    expect(history.locator("tr", has_text="Recorded")).to_contain_text("awa")
    expect(page).to_have_url(re.compile(r"/web/cases/MOP-\d{4}-\d{4}$"))
    page.screenshot(path=str(shots / "case-page.png"), full_page=True)

    delay = page.locator("#form-justify-delay")
    delay.get_by_label("Reason").select_option("access_constraints")
    delay.get_by_label("Pause the stall clock until").fill(f"{datetime.now(UTC) + timedelta(days=40):%Y-%m-%d}")
    delay.get_by_role("button", name="Justify the delay").click()  # too far ahead: refused, with the reason
    expect(page.locator("#form-justify-delay .flash.error")).to_contain_text("at most 30 days ahead")
    delay = page.locator("#form-justify-delay")
    delay.get_by_label("Pause the stall clock until").fill(f"{datetime.now(UTC) + timedelta(days=10):%Y-%m-%d}")
    delay.get_by_label("Note (optional)").fill("the road to Boni is closed")
    delay.get_by_role("button", name="Justify the delay").click()
    expect(page.locator(".flash.success")).to_contain_text("Delay justified")
    # The clocks are the SLA monitor's: its new schedule reaches the page within seconds of the command.
    deadline = time.monotonic() + 20
    while "Paused" not in page.locator(".summary").inner_text() and time.monotonic() < deadline:
        time.sleep(0.3)
        page.reload()
    expect(page.locator(".summary")).to_contain_text("Paused")

    closure = page.locator("#form-request-closure")
    closure.get_by_label("Reason for closure").select_option("concluded")
    closure.get_by_label("Explain the closure").fill("nothing more to find")
    closure.get_by_role("button", name="Propose closure").click()  # not concluded yet: only early reasons
    expect(page.locator("#form-request-closure .flash.error")).to_contain_text("Unsubstantiated, Duplicate")
    closure = page.locator("#form-request-closure")
    closure.get_by_label("Reason for closure").select_option("duplicate")
    closure.get_by_label("Explain the closure").fill("the same killing as SR-E2E-01#2")
    closure.get_by_role("button", name="Propose closure").click()
    expect(page.locator(".flash.success")).to_contain_text("Closure proposed")
    expect(page.locator(".summary")).to_contain_text("Closure requested")
    expect(page.locator("table.history")).to_contain_text("Closure proposed")


def test_an_officer_signs_in_and_logs_an_activity_with_the_keyboard_alone(page: Page,
                                                                          served: tuple[str, world.Refs]) -> None:
    page.goto("/web/login")
    expect(page.get_by_label("Username")).to_be_focused()  # the form is ready to type into
    page.keyboard.type("awa")
    page.keyboard.press("Tab")
    page.keyboard.type(world.PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()  # the first stop skips the navigation
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.goto(f"/web/cases/{served[1].active}")
    page.locator("#log-activity-description").focus()
    page.keyboard.type("called the family back")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".flash.success")).to_contain_text("Activity logged")
