"""Corrections in the browser: an officer amends a case's location and sees the history line, then logs an
activity done yesterday, after a date before the case's last change is refused at its field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e import world
from tests.e2e.conftest import sign_in


def test_an_officer_amends_the_location_then_logs_an_activity_dated_yesterday(
        page: Page, served: tuple[str, world.Refs], shots: Path) -> None:
    sign_in(page, "awa")
    page.goto(f"/web/cases/{served[1].active}")
    page.get_by_text("Amend details").click()
    form = page.locator("#form-amend-incident")
    expect(form.get_by_label("Location")).to_have_value("Ténenkou")
    form.get_by_label("Location").fill("Ténenkou, Diafarabé road")
    form.get_by_label("Why these details change").fill("the partner NGO gave the exact place")
    page.screenshot(path=str(shots / "case-amend-details.png"), full_page=True)
    form.get_by_role("button", name="Amend the details").click()
    expect(page.locator(".flash.success")).to_contain_text("Incident details amended")
    expect(page.locator("#details-h + dl")).to_contain_text("Ténenkou, Diafarabé road")
    line = page.locator("table.history tr", has_text="Incident amended")
    expect(line).to_contain_text("awa")
    expect(line).to_contain_text("the partner NGO gave the exact place")
    expect(line).to_contain_text("Location: Ténenkou → Ténenkou, Diafarabé road")

    log = page.locator("#form-log-activity")
    log.get_by_label("What was done").fill("met the family in Diafarabé")
    log.get_by_label("When it was done (UTC)").fill(f"{datetime.now(UTC) - timedelta(days=10):%Y-%m-%d %H:%M}")
    log.get_by_role("button", name="Log the activity").click()  # before the case was recorded: refused, named
    expect(page.locator("#log-activity-at-error")).to_contain_text("When it was done: not before the case's last")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    log = page.locator("#form-log-activity")
    log.get_by_label("When it was done (UTC)").fill(f"{yesterday:%Y-%m-%d %H:%M}")
    log.get_by_role("button", name="Log the activity").click()
    expect(page.locator(".flash.success")).to_contain_text("Activity logged")
    activity = page.locator("table.history tr", has_text="met the family in Diafarabé")
    expect(activity).to_contain_text(f"{yesterday:%Y-%m-%d %H:%M}")
    expect(page.locator(".summary")).to_contain_text(f"{yesterday:%Y-%m-%d %H:%M}")  # last activity: yesterday
    page.screenshot(path=str(shots / "case-dated-activity.png"), full_page=True)
