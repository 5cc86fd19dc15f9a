"""Alerts and cases show the state of their clock from the monitor's schedule: a warning whose goal has come reads
overdue, never "Due soon", and an incident that arrives already overdue shows its breach at once, never a warning."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from schemas.topics import SLA_EVENTS
from services.casework.adapters import repository as repo
from services.messaging.ports import Message
from services.messaging.processing import emit
from sitreps.key import incident_key
from tests.integration.api_world import REFS, T0, World
from tests.integration.test_unrecorded_figures import world_on
from tests.integration.unrecorded_world import OVERDUE_MOPTI, build
from tests.integration.web_world import browser, template, web_world

ARTICLE = re.compile(r"<article.*?</article>", re.S)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("alert-states"))


@pytest.fixture
def world(made: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    yield from web_world(made[0], made[1], tmp_path)


def warning_on_r(world: World) -> None:
    """The monitor's recording warning on case R (reported at T0: warned at 3 days, due at 4), as casework gets it."""
    payload = {"case_id": world.case_id("R"), "reference": REFS["R"], "office": "Mopti", "stage": "reported",
               "clock": "recording", "level": "warning", "period": 0, "started_at": T0,
               "due_at": T0 + timedelta(days=3), "recipient_role": "team_leader", "assignee": "awa",
               "policy_version": "2024.1"}
    # The world's own breach of R (a fixture: no real episode breaches before it warns) is cleared first: with one
    # alert per case and clock, the warning would otherwise be folded into that breach's alert.
    clear = emit(SLA_EVENTS, "SlaCleared", occurred_at=T0 + timedelta(days=2), key=payload["case_id"],
                 producer="sla_monitor", payload={**payload, "level": "cleared", "reason": "fixture"},
                 event_id="cleared-R")
    out = emit(SLA_EVENTS, "SlaWarning", occurred_at=T0 + timedelta(days=3), key=payload["case_id"],
               producer="sla_monitor", payload=payload, event_id="warning-R")
    world.casework.processor.process([Message(SLA_EVENTS, 0, 2, payload["case_id"], clear.value,
                                              {"event_id": "cleared-R"}),
                                      Message(SLA_EVENTS, 0, 3, payload["case_id"], out.value,
                                              {"event_id": "warning-R"})], T0 + timedelta(days=3))


def articles(page: str) -> list[str]:
    return [" ".join(re.sub(r"<[^>]+>", " ", re.sub(r"<form.*?</form>", "", a, flags=re.S)).split())
            for a in ARTICLE.findall(page)]


def warning_article(world: World) -> str:
    page = browser(world, "tl_mopti").get("/web/alerts").get_data(as_text=True)
    return next(a for a in articles(page) if a.startswith("Warning"))


def test_a_warning_reads_due_soon_until_its_goal_comes_and_overdue_from_that_instant(world: World) -> None:
    warning_on_r(world)
    world.clock.set(T0 + timedelta(days=3, hours=12))
    assert "Due soon" in warning_article(world)
    assert "due 2026-03-06 08:00" in warning_article(world)  # the goal's instant, not the warning's (03-05)
    world.clock.set(T0 + timedelta(days=4))  # the due instant: the monitor's breach fires now
    article = warning_article(world)
    assert "Overdue" in article and "Due soon" not in article
    case = browser(world, "tl_mopti").get(f"/web/cases/{REFS['R']}").get_data(as_text=True)
    assert "Overdue" in case and "Due soon" not in case


@pytest.fixture(scope="module")
def late_arrival(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, str]:
    runtime = build(tmp_path_factory.mktemp("late-arrival") / "data")
    key = incident_key("SR-MOP-2026", 4 + 1 + OVERDUE_MOPTI.index(max(OVERDUE_MOPTI)))
    case = next(k for k in runtime.casework.read(lambda conn: repo.list_cases(conn, limit=100))
                if k.incident_key == key)
    return world_on(runtime.casework), case.reference


def test_an_incident_that_arrives_overdue_shows_its_breach_at_once_and_no_warning(
        late_arrival: tuple[World, str]) -> None:
    world, reference = late_arrival
    leader = browser(world, "tl_mopti")
    open_now = [a for a in articles(leader.get("/web/alerts").get_data(as_text=True)) if reference in a]
    # Its clock has since escalated too: the Team Leader's one alert for it is at escalation (ADR 0015), never a
    # warning; the breach it reached them with is one of its reminders.
    assert len(open_now) == 1 and open_now[0].startswith("Escalation Overdue Recording")
    # One alert per case and clock: the warning that came with the breach is one of its reminders, not a card of its
    # own (it used to be a second, resolved card).
    every = [a for a in articles(leader.get("/web/alerts?state=all").get_data(as_text=True)) if reference in a]
    assert [a.split()[0] for a in every] == ["Escalation"]
    assert "3 reminders" in every[0]
    assert "Overdue" in leader.get(f"/web/cases/{reference}").get_data(as_text=True)


def test_the_menu_says_more_than_its_bound_rather_than_counting_every_case(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    tl = browser(world, "tl_mopti")
    tl.get("/web/cases")
    shown = re.search(r'<span class="count" title="([^"]+)">\(([^)]+)\)</span>', tl.text())
    assert shown is not None and shown.group(2).isdigit() and int(shown.group(2)) >= 1
    from services.casework.web import blueprint
    monkeypatch.setattr(blueprint, "MENU_BOUND", int(shown.group(2)) - 1)
    tl.get("/web/cases")
    bounded = re.search(r'<span class="count" title="([^"]+)">\(([^)]+)\)</span>', tl.text())
    assert bounded is not None and bounded.groups() == (
        f"More than {int(shown.group(2)) - 1} cases with an open alert", f"{int(shown.group(2)) - 1}+")


def test_the_alert_page_and_its_menu_give_the_same_count_of_cases_needing_action(world: World) -> None:
    tl = browser(world, "tl_mopti")
    tl.get("/web/cases")
    elsewhere = re.search(r'<span class="count" title="[^"]+">\((\d+)\)</span>', tl.text())
    tl.get("/web/alerts")
    menu = re.search(r'<span class="count" title="[^"]+">\((\d+)\)</span>', tl.text())
    stated = re.search(r"(\d+) cases? needs? action", tl.text())
    assert elsewhere is not None and menu is not None and stated is not None
    assert menu.group(1) == stated.group(1) == elsewhere.group(1)
    assert len(re.findall(r'<section class="worklist-case', tl.text())) == int(stated.group(1))
