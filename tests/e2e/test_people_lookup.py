"""Finding a person across offices in the browser (ADR 23): an officer of Mopti finds the victim in her case and a
count in Gao, asks Gao's Team Leader, who sees the request counted in the menu and grants it for 30 days; she reads
Gao's case without its names; the Team Leader revokes it and the case closes to her again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from services.casework.adapters import repository as repo
from services.casework.adapters import web_store
from services.casework.auth import passwords
from services.casework.domain.roles import User
from services.config import Settings
from services.embedded import EmbeddedRuntime
from tests.e2e import world
from tests.e2e.conftest import serve, sign_in

USERS = (User("mopti.hro", "hro", "Mopti", "Awa Traoré"), User("gao.tl", "team_leader", "Gao", "Ousmane Cissé"))
WHY = "The same victim may have been abducted twice: I must compare"


def build(data: Path) -> dict[str, str]:
    """One abduction in Mopti's report and two in Gao's, each naming the same victim. References by incident key."""
    now = datetime.now(UTC)
    runtime = EmbeddedRuntime(Settings(data_dir=data))
    pw = passwords.hash_password(world.PASSWORD)

    def enrol(conn: object) -> None:
        for user in USERS:
            repo.save_user(conn, user)  # type: ignore[arg-type]
            web_store.set_password(conn, user.username, pw, now - timedelta(days=10))  # type: ignore[arg-type]

    runtime.casework.write(enrol)
    reported = now - timedelta(days=3)
    incidents = [world.record("SR-PPL-MOP", 1, reported, "Mopti", "Konna", "mopti.hro"),
                 world.record("SR-PPL-GAO", 1, reported, "Gao", "Ansongo", None),
                 world.record("SR-PPL-GAO", 2, reported + timedelta(days=1), "Gao", "Bourem", None)]
    runtime.submit(incidents)
    runtime.run_until_idle(reported + timedelta(days=1, hours=1))
    return {o.key: world._reference(runtime, o.key) for o in incidents}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    data = tmp_path_factory.mktemp("e2e-people")
    refs = build(data)
    with serve(data) as url:
        yield url, refs


def browse(browser: Browser, url: str) -> Page:
    made = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900}, locale="en-GB")
    made.set_default_timeout(15_000)
    return made.new_page()


def test_an_officer_finds_a_victim_across_offices_and_reads_gaos_cases_while_granted(
        browser: Browser, site: tuple[str, dict[str, str]], shots: Path) -> None:
    url, refs = site
    mine, gao_cases = refs["SR-PPL-MOP#1"], (refs["SR-PPL-GAO#1"], refs["SR-PPL-GAO#2"])

    hro = browse(browser, url)
    sign_in(hro, "mopti.hro")
    hro.get_by_role("link", name="Find a person").click()
    hro.get_by_label("Names").fill("hidden VICTIM name")
    hro.get_by_role("button", name="Search").click()
    expect(hro.get_by_role("heading", name="1 case you may read")).to_be_visible()
    expect(hro.get_by_role("link", name=mine)).to_be_visible()
    expect(hro.get_by_role("heading", name="Gao: 2 cases")).to_be_visible()
    expect(hro.locator("main")).not_to_contain_text(gao_cases[0])  # a count, not which
    hro.screenshot(path=str(shots / "hro-people-lookup.png"), full_page=True)
    hro.get_by_label("Why you need to read them").fill(WHY)
    hro.get_by_role("button", name="Ask for access").click()
    expect(hro.locator(".flash.success")).to_contain_text("Your request was sent to the Team Leaders of Gao.")
    expect(hro.locator("main table")).to_contain_text("Pending")

    tl = browse(browser, url)
    sign_in(tl, "gao.tl")
    waiting = tl.get_by_role("link", name="Access requests")
    expect(waiting).to_contain_text("(1)")  # told on whatever page they are
    waiting.click()
    request = tl.locator("article.card").filter(has_text=WHY)
    expect(request).to_contain_text(gao_cases[0])
    request.get_by_label("Your reason (shown to the requester)").fill("Compare them, then tell me")
    request.get_by_label("A grant lasts (days)").fill("30")
    request.get_by_role("button", name="Grant").click()
    expect(tl.locator(".flash.success")).to_contain_text("Access granted to mopti.hro until")
    expect(tl.get_by_role("link", name="Access requests")).not_to_contain_text("(1)")

    hro.goto("/web/people/requests")
    expect(hro.locator("main table")).to_contain_text("Granted until")
    hro.get_by_role("link", name=gao_cases[1]).click()
    expect(hro.locator("h1")).to_contain_text(gao_cases[1])
    expect(hro.locator("main")).not_to_contain_text("Hidden Victim Name")  # read, never the names

    granted = tl.locator("article.card").filter(has_text="mopti.hro")
    granted.get_by_label("Why end it now (shown to mopti.hro)").fill("The comparison is done")
    granted.get_by_role("button", name="Revoke").click()
    expect(tl.locator(".flash.success")).to_contain_text("Access of mopti.hro revoked.")
    expect(tl.locator("main")).to_contain_text("No grant of your office is in force.")

    answer = hro.goto(f"/web/cases/{gao_cases[1]}")
    assert answer is not None and answer.status == 403
    hro.goto("/web/people/requests")
    expect(hro.locator("main table")).to_contain_text("Revoked by gao.tl: The comparison is done")
    hro.context.close()
    tl.context.close()
