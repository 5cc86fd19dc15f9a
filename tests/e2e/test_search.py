"""Searching cases in the browser (ADR 0021): words typed without accents, a facet narrowing them, the CSV link."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e import world
from tests.e2e.conftest import sign_in


def test_a_team_leader_searches_words_then_narrows_them_by_a_facet(
        page: Page, served: tuple[str, world.Refs], shots: Path) -> None:
    refs = served[1]
    sign_in(page, "aissata.tl")
    page.get_by_label("Search cases").fill("sevare")
    page.get_by_role("button", name="Search", exact=True).click()
    rows = page.locator("table.results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(refs.to_approve)
    expect(rows.first.locator("mark")).to_have_text(["Sévaré"])  # the word as written, marked

    # Activity notes: "interviewed two witnesses", in two of the world's cases. Both words, since the other
    # browser tests sharing this server add cases whose texts hold a "witness" too.
    page.get_by_label("Words").fill("interviewed witness")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(rows).to_have_count(2)
    expect(page.locator("#s-violation")).to_contain_text("Killing (1)")  # the facet counts this search
    page.get_by_label("Violation").select_option("killing")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(refs.to_approve)
    marks = rows.first.locator("mark")  # the note's words marked (and any later note's, another test's reopening)
    expect(marks.nth(0)).to_have_text("interviewed")
    expect(marks.nth(1)).to_have_text("witnesses")
    link = page.get_by_role("link", name="Download these cases (CSV, without identities)")
    assert "violation=killing" in (link.get_attribute("href") or "")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_label("Words")).to_be_visible()
    expect(rows.first).to_contain_text(refs.to_approve)
    page.screenshot(path=str(shots / "search.png"), full_page=True)

    page.get_by_label("Words").fill("Hidden Victim")  # a name kept with the case's identities: never searched
    page.get_by_label("Violation").select_option("")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("main")).to_contain_text("No case matches this search.")
