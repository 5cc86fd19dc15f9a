"""Duplicate review in the browser (ADR 0022): the Team Leaders of two offices walk the pairs; one finds a pair to be
distinct incidents, the other merges a pair, and the merged case says where it went."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from services.casework.adapters import repository as repo
from services.casework.adapters import web_store
from services.casework.auth import passwords
from services.casework.domain.roles import User
from services.config import Settings
from services.embedded import EmbeddedRuntime
from tests.e2e import world
from tests.e2e.conftest import serve, sign_in

USERS = (User("mopti.tl", "team_leader", "Mopti", "Aïssata Maïga"),
         User("gao.tl", "team_leader", "Gao", "Ousmane Cissé"), User("kidal.tl", "team_leader", "Kidal", "Kidal TL"))


def build(data: Path) -> dict[str, str]:
    """A killing at Douentza, twice in Mopti's report and once in Gao's: three likely pairs. Returns the references
    by incident key."""
    now = datetime.now(UTC)
    runtime = EmbeddedRuntime(Settings(data_dir=data))
    pw = passwords.hash_password(world.PASSWORD)

    def enrol(conn: object) -> None:
        for user in USERS:
            repo.save_user(conn, user)  # type: ignore[arg-type]
            web_store.set_password(conn, user.username, pw, now - timedelta(days=10))  # type: ignore[arg-type]

    runtime.casework.write(enrol)
    reported = now - timedelta(days=2)
    incidents = [world.record("SR-DUP-MOP", 1, reported, "Mopti", "Douentza", None, ("killing",)),
                 world.record("SR-DUP-MOP", 2, reported, "Mopti", "Douentza", None, ("killing",)),
                 world.record("SR-DUP-GAO", 1, reported, "Gao", "Douentza", None, ("killing",))]
    runtime.submit(incidents)
    runtime.run_until_idle(reported + timedelta(hours=1))
    return {o.key: world._reference(runtime, o.key) for o in incidents}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    data = tmp_path_factory.mktemp("e2e-duplicates")
    refs = build(data)
    with serve(data) as url:
        yield url, refs


def browse(browser: Browser, url: str) -> Page:
    made = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900}, locale="en-GB")
    made.set_default_timeout(15_000)
    return made.new_page()


def pair(page: Page, one: str, other: str, not_: str) -> Locator:
    return page.locator("section.duplicate-pair").filter(has_text=one).filter(has_text=other).filter(
        has_not_text=not_)


def test_team_leaders_of_two_offices_review_the_pairs_one_distinct_one_merged(
        browser: Browser, site: tuple[str, dict[str, str]], shots: Path) -> None:
    url, refs = site
    m1, m2, g1 = refs["SR-DUP-MOP#1"], refs["SR-DUP-MOP#2"], refs["SR-DUP-GAO#1"]

    gao = browse(browser, url)
    sign_in(gao, "gao.tl")
    gao.get_by_role("link", name="Duplicates", exact=True).click()
    expect(gao.locator("section.duplicate-pair")).to_have_count(2)  # the two pairs with Gao's case
    across = pair(gao, m1, g1, m2)
    expect(across).to_contain_text("same place")
    expect(across).not_to_contain_text("Hidden Victim Name")  # side by side, identifying nobody
    gao.screenshot(path=str(shots / "tl-duplicates.png"), full_page=True)
    across.get_by_label("Why they are distinct").fill("Gao's report is of another attack, the next day")
    across.get_by_role("button", name="Distinct incidents").click()
    expect(gao.locator(".flash.success")).to_contain_text("Marked as distinct incidents.")
    expect(gao.locator("section.duplicate-pair")).to_have_count(1)
    gao.context.close()

    mopti = browse(browser, url)
    sign_in(mopti, "mopti.tl")
    mopti.get_by_role("link", name="Duplicates", exact=True).click()
    within = pair(mopti, m1, m2, g1)
    expect(within).to_contain_text("same report")
    within.get_by_label("Same incident: keep").select_option(m1)
    within.get_by_role("button", name="Merge the other into it").click()
    expect(mopti.locator(".flash.success")).to_contain_text(f"{m2} is merged into {m1} and closed.")
    expect(mopti.locator("section.duplicate-pair")).to_have_count(0)  # its other pair is left by the merge
    mopti.goto(f"/web/cases/{m2}")
    expect(mopti.locator("p.merged")).to_contain_text(f"Merged into {m1}")
    expect(mopti.locator("table.history")).to_contain_text("Merged into another case")
    mopti.locator("p.merged").get_by_role("link", name=m1).click()
    expect(mopti.locator("p.merged")).to_contain_text(f"Merged from {m2}")
    mopti.context.close()

    kidal = browse(browser, url)
    sign_in(kidal, "kidal.tl")
    kidal.goto("/web/duplicates?status=merged")
    expect(kidal.locator("section.duplicate-pair")).to_have_count(0)  # a third office sees no pair of others'
    kidal.context.close()
