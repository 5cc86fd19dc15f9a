"""A Director in the browser: the closure queue, approving someone else's proposal, never their own."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e import world
from tests.e2e.conftest import sign_in


def test_a_director_approves_a_closure_and_cannot_approve_their_own_proposal(
        page: Page, served: tuple[str, world.Refs], shots: Path) -> None:
    refs = served[1]
    sign_in(page, "director.keita")
    expect(page.get_by_role("heading", name="Closure approvals")).to_be_visible()
    own = page.locator("article", has_text=refs.own_proposal)
    expect(own).to_contain_text("You proposed this closure")
    expect(own.get_by_role("button", name="Approve closure")).to_have_count(0)
    page.screenshot(path=str(shots / "director-closures.png"), full_page=True)

    # The server refuses it too: a hand-made request with a valid CSRF token changes nothing.
    token = page.locator("input[name=csrf_token]").first.input_value()
    status = page.evaluate("""async ([ref, token]) => {
        const body = new URLSearchParams({csrf_token: token, note: "forced"});
        const r = await fetch(`/web/cases/${ref}/approve-closure`, {method: "POST", body});
        return [r.status, await r.text()];
    }""", [refs.own_proposal, token])
    assert status[0] == 403
    assert "four eyes" in status[1]
    page.goto(f"/web/cases/{refs.own_proposal}")
    expect(page.locator(".summary")).to_contain_text("Closure requested")
    expect(page.locator("main")).to_contain_text("four eyes")

    # A Mopti case decided at headquarters: the names are redacted until the Director says why they need them.
    page.goto(f"/web/cases/{refs.to_approve}")
    expect(page.locator("main")).not_to_contain_text("Hidden Victim Name")
    page.get_by_label("Why you need them for this decision").fill("to weigh the witnesses before closing")
    page.get_by_role("button", name="Open identities for this decision").click()
    expect(page.locator("main")).to_contain_text("Hidden Victim Name")
    expect(page.locator("main")).to_contain_text("recorded in the access log with your reason")
    page.screenshot(path=str(shots / "director-identities-for-decision.png"), full_page=True)

    page.goto("/web/closures")
    page.once("dialog", lambda dialog: dialog.accept())
    other = page.locator("article", has_text=refs.to_approve)
    other.get_by_label("Note (optional)").fill("findings reviewed")
    other.get_by_role("button", name="Approve closure").click()
    expect(page.locator(".flash.success")).to_contain_text("Closure approved")
    expect(page.locator("article", has_text=refs.to_approve)).to_have_count(0)
    page.goto(f"/web/cases/{refs.to_approve}")
    expect(page.locator(".summary")).to_contain_text("Closed")
    expect(page.locator("table.history").locator("tr", has_text="Closure approved")).to_contain_text("director.keita")
    expect(page.locator("main")).not_to_contain_text("Hidden Victim Name")  # the opening was for the decision

    page.context.clear_cookies()  # Mopti's Team Leader sees who opened the names, and why
    sign_in(page, "aissata.tl")
    page.goto(f"/web/cases/{refs.to_approve}")
    openings = page.locator("#openings")
    expect(openings).to_contain_text("director.keita")
    expect(openings).to_contain_text("to weigh the witnesses before closing")


def test_a_director_sees_escalations_and_reopens_a_closed_case(page: Page, served: tuple[str, world.Refs],
                                                                shots: Path) -> None:
    sign_in(page, "deputy.diallo")
    page.get_by_role("link", name="Escalations").click()
    expect(page.get_by_role("heading", name="Escalations and alerts")).to_be_visible()
    expect(page.locator("article.alert").first).to_contain_text("Escalation")
    page.screenshot(path=str(shots / "director-escalations.png"), full_page=True)
    page.goto("/web/cases?stage=closed")
    closed = page.locator("table.cases tbody tr").first
    if closed.count() == 0:  # run alone: close one first, as another Director than its proposer
        page.goto(f"/web/cases/{served[1].own_proposal}")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Approve closure").click()
        page.goto("/web/cases?stage=closed")
    page.locator("table.cases tbody tr").first.get_by_role("link").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_label("Reason for reopening").fill("new witness came forward")
    page.get_by_role("button", name="Reopen").click()
    expect(page.locator(".flash.success")).to_contain_text("reopened")
    expect(page.locator(".summary")).to_contain_text("Investigation")
