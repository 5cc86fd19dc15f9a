"""A Team Leader in the browser: the queue with its filters, a stall alert once the clock has passed, assigning."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e import world
from tests.e2e.conftest import sign_in


def test_a_team_leader_sees_a_stall_alert_after_the_clock_passes_and_acknowledges_it(
        page: Page, served: tuple[str, world.Refs], shots: Path) -> None:
    stalled = served[1].stalled
    sign_in(page, "aissata.tl")
    page.get_by_role("link", name="Alerts").click()
    # A worklist of cases (one alert per case and clock, ADR 0015): the menu counts the cases, one line each.
    menu = page.get_by_role("link", name="Alerts")
    lines = page.locator("section.worklist-case")
    expect(lines.first).to_be_visible()
    expect(menu).to_contain_text(f"({lines.count()})")
    expect(page.locator("section.worklist-case", has_text=stalled)).to_have_count(1)
    alert = page.locator("article.alert", has_text=stalled).filter(has_text="Activity (stall)")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Breach")
    expect(page.locator("article.alert", has_text="Recording").first).to_be_visible()  # recording breaches too
    page.screenshot(path=str(shots / "tl-alerts.png"), full_page=True)
    alert.get_by_label("Note (optional)").fill("calling Awa about it today")
    alert.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".flash.success")).to_contain_text("Alert acknowledged")
    expect(page.locator("article.alert", has_text=stalled).filter(has_text="Activity (stall)")).to_have_count(0)
    page.get_by_role("link", name="All", exact=True).click()
    done = page.locator("article.alert", has_text=stalled).filter(has_text="Activity (stall)")
    expect(done).to_contain_text("Acknowledged by aissata.tl")
    page.goto(f"/web/cases/{stalled}")
    expect(page.locator("table.history")).to_contain_text("Alert acknowledged")


def test_a_team_leader_filters_the_queue_assigns_a_case_and_records_a_review(
        page: Page, served: tuple[str, world.Refs], shots: Path) -> None:
    sign_in(page, "aissata.tl")
    expect(page.get_by_role("heading", name="Team queue")).to_be_visible()
    page.get_by_label("Stage").select_option("reported")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.cases tbody tr")
    expect(rows.first).to_contain_text("Reported")
    expect(page.locator("table.cases")).not_to_contain_text("Preliminary")
    unassigned = rows.filter(has_text="nobody yet").first
    reference = unassigned.get_by_role("link").inner_text()
    page.get_by_label("Stage").select_option("")
    page.get_by_label("SLA state").select_option("overdue")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.cases tbody tr").first).to_contain_text("Overdue")
    page.screenshot(path=str(shots / "tl-queue.png"), full_page=True)

    page.goto(f"/web/cases/{reference}")
    form = page.locator("#form-assign")
    form.get_by_label("Officer").select_option("bakary")
    form.get_by_role("button", name="Assign").click()
    expect(page.locator(".flash.success")).to_contain_text("Case assigned")
    expect(page.locator(".summary")).to_contain_text("bakary")
    expect(page.locator("#form-review")).to_have_count(0)  # a case not yet recorded is not reviewed
    page.goto(f"/web/cases/{served[1].stalled}")
    review = page.locator("#form-review")
    review.get_by_label("Review note").fill("bakary records it today")
    review.get_by_role("button", name="Record the review").click()
    expect(page.locator(".flash.success")).to_contain_text("Review recorded")
    expect(page.locator("table.history")).to_contain_text("Reviewed")


def test_a_team_leader_of_another_office_is_refused_a_mopti_case(page: Page, served: tuple[str, world.Refs]) -> None:
    sign_in(page, "garba")
    response = page.goto(f"/web/cases/{served[1].stalled}")
    assert response is not None and response.status == 403
    expect(page.locator("main")).to_contain_text("outside your office")
