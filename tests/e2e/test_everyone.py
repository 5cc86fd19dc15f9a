"""What every role shares: signing in and out, the session cookie, the language, the overview, narrow screens."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e import world
from tests.e2e.conftest import sign_in

LOGIN = re.compile(r"/web/login")


def test_signing_in_sets_a_secure_http_only_same_site_cookie_and_signing_out_ends_the_session(
        page: Page, context: BrowserContext, shots: Path) -> None:
    page.goto("/web/my-cases")
    expect(page).to_have_url(LOGIN)
    page.screenshot(path=str(shots / "sign-in.png"), full_page=True)
    page.get_by_label("Username").fill("awa")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_contain_text("Wrong username or password")

    sign_in(page, "awa")
    cookie = next(c for c in context.cookies() if c["name"] == "__Host-hrcase")
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""  # not readable from scripts
    saved = context.storage_state()
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".flash.success")).to_contain_text("signed out")
    page.goto("/web/my-cases")
    expect(page).to_have_url(LOGIN)
    assert json.dumps(saved)  # the old cookie, replayed, no longer signs anyone in:
    replay = context.browser.new_context(base_url=page.url.split("/web")[0], storage_state=saved)  # type: ignore[union-attr]
    try:
        old = replay.new_page()
        old.goto("/web/my-cases")
        expect(old).to_have_url(LOGIN)
    finally:
        replay.close()


def test_a_form_without_its_csrf_token_is_refused(page: Page) -> None:
    sign_in(page, "awa")
    status = page.evaluate("""async () => {
        const r = await fetch("/web/settings/alerts", {method: "POST", body: new URLSearchParams({mode: "digest"})});
        return r.status;
    }""")
    assert status == 400


def test_each_user_chooses_their_language_and_keeps_it(browser: Browser, served: tuple[str, world.Refs],
                                                         shots: Path) -> None:
    first = browser.new_context(base_url=served[0], locale="en-GB")
    page = first.new_page()
    sign_in(page, "bakary")
    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", name="Mes dossiers")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.goto(f"/web/cases/{served[1].stalled}")
    expect(page.locator("main")).to_contain_text("Historique")
    page.screenshot(path=str(shots / "case-page-fr.png"), full_page=True)
    first.close()
    again = browser.new_context(base_url=served[0], locale="en-GB")  # a new browser, an English one
    page = again.new_page()
    page.goto("/web/login")
    page.get_by_label("Username").fill("bakary")
    page.get_by_label("Password").fill(world.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Mes dossiers")).to_be_visible()  # the user's choice, not the browser's
    page.goto("/web/overview")
    expect(page.get_by_role("heading", name="Vue d'ensemble")).to_be_visible()
    again.close()


def test_an_officer_imports_a_situation_report_after_a_preview(page: Page, tmp_path: Path, shots: Path) -> None:
    reported = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    good = {"sitrep_id": "SR-E2E-IMPORT", "reported_at": reported.isoformat(),
            "occurred_at": (reported - timedelta(days=2)).isoformat(), "office": "Mopti", "location": "Ténenkou",
            "violation_types": ["injury"], "perpetrator_category": "unidentified", "victims": {"male_child": 1},
            "source_type": "media", "summary": "a boy wounded by a stray bullet"}
    lines = [dict(good, incident_number=1), dict(good, incident_number=2, location="Youwarou"),
             dict(good, incident_number=3, violation_types=["not-a-violation"]),
             dict(good, incident_number=4, office="Gao")]
    sitrep = tmp_path / "sitrep-e2e.jsonl"
    sitrep.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    sign_in(page, "awa")
    page.get_by_role("link", name="Import a sitrep").click()
    page.get_by_label("Situation report file").set_input_files(str(sitrep))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("[role=status]")).to_contain_text("2 records will be accepted, 1 rejected, "
                                                          "0 already received, 1 outside your office")
    expect(page.locator("tr", has_text="SR-E2E-IMPORT#3")).to_contain_text("Violations: Choose one of the options.")
    expect(page.locator("tr", has_text="SR-E2E-IMPORT#4")).to_contain_text("Not imported")
    page.screenshot(path=str(shots / "hro-import-preview.png"), full_page=True)
    page.get_by_role("button", name="Import 2 records").click()  # the accepted ones; the rejected are not imported
    expect(page.locator(".flash.success")).to_contain_text("3 records of sitrep-e2e.jsonl sent to intake")


def test_the_api_docs_run_under_their_strict_policy_with_nothing_blocked(page: Page) -> None:
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text
            else None)
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("hrcase casework API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert blocked == []
    icon = page.request.get("/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/x-icon"


def test_the_overview_shows_the_audits_numbers_per_office_with_charts(page: Page, shots: Path) -> None:
    sign_in(page, "auditor")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.locator("svg#chart-recorded")).to_be_visible()
    expect(page.locator("svg#chart-stages title").first).to_contain_text("Cases per stage")
    table = page.locator("section", has=page.get_by_role("heading", name="Incidents reported and recorded"))
    expect(table.locator("tr", has_text="Mopti")).to_be_visible()
    expect(table.locator("tr", has_text="Gao")).to_be_visible()
    expect(page.locator(".figures")).to_contain_text("stalled cases")
    regions = page.locator("section", has=page.get_by_role("heading", name="Incidents by region"))
    expect(regions.locator("svg#map-regions g.marker").first).to_be_visible()
    expect(regions.locator("#table-regions tbody tr").first).to_be_visible()
    page.screenshot(path=str(shots / "overview.png"), full_page=True)


def test_the_main_pages_fit_a_narrow_screen(browser: Browser, served: tuple[str, world.Refs], shots: Path) -> None:
    phone = browser.new_context(base_url=served[0], viewport={"width": 390, "height": 844}, locale="en-GB",
                                is_mobile=True, has_touch=True)
    page = phone.new_page()
    sign_in(page, "aissata.tl")
    for name, path in (("queue", "/web/cases"), ("case-page", f"/web/cases/{served[1].stalled}"),
                       ("alerts", "/web/alerts?state=all"), ("overview", "/web/overview"),
                       ("incident-form", "/web/incidents/new")):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a narrow screen ({width}px)"
        page.screenshot(path=str(shots / f"narrow-{name}.png"), full_page=True)
    phone.close()
