"""The case page's "Amend details" form and its dated "Log an activity": what an officer sees and what is refused."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from services.casework.adapters import repository as repo
from services.casework.adapters import web_store
from tests.integration.api_world import NOW, REFS, World
from tests.integration.web_world import Browser, browser, template, web_world

P = REFS["P"]  # preliminary, assigned to awa, recorded at T0 + 2 h; Konna, one abduction, one woman


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("web-amend"))


@pytest.fixture
def world(made: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    yield from web_world(made[0], made[1], tmp_path)


def amendment_form(page: str) -> dict[str, object]:
    """The amendment form as the page fills it (its hidden old values and every field's current value)."""
    form = page.split('id="form-amend-incident"', 1)[1].split("</form>", 1)[0]
    data: dict[str, object] = {m[1]: html.unescape(m[2]) for m in re.finditer(r'name="([^"]+)"[^>]*value=\'([^\']*)\'',
                                                                              form)}
    data = {f"old-{k[4:]}" if k.startswith("old-") else k: v for k, v in data.items()}
    for name, value in re.findall(r'<input id="amend-[^"]*" name="([^"]+)" type="(?:text|number)" value="([^"]*)"',
                                  form):
        data[name] = html.unescape(value)
    data["violation_types"] = re.findall(r'name="violation_types" value="(\w+)" checked', form)
    for name in ("perpetrator_category", "source_type"):
        data[name] = re.search(rf'name="{name}".*?<option value="(\w+)" selected', form, re.S)[1]  # type: ignore[index]
    data["summary"] = html.unescape(re.search(r'name="summary"[^>]*>([^<]*)</textarea>', form)[1])  # type: ignore[index]
    return data


def opened(world: World, who: str = "awa") -> tuple[Browser, dict[str, object]]:
    officer = browser(world, who)
    page = officer.get(f"/web/cases/{P}").get_data(as_text=True)
    assert "Amend details" in page
    return officer, amendment_form(page)


def test_an_officer_amends_the_location_and_the_history_shows_who_why_and_old_to_new(world: World) -> None:
    awa, form = opened(world)
    assert (form["location"], form["violation_types"], form["victims_female_adult"]) == ("Konna", ["abduction"], "1")
    response = awa.post(f"/web/cases/{P}/amend-incident", form | {"location": "Sevare", "reason": "misspelt town",
                                                                  "victims_female_child": "2"})
    assert response.status_code == 303
    page = awa.get(f"/web/cases/{P}").get_data(as_text=True)
    assert "Incident details amended: the history shows each change." in page
    history = page.split('id="history-h"', 1)[1]
    assert "Incident amended" in history and "misspelt town" in history
    assert "<li>Location: Konna → Sevare</li>" in history
    assert "<li>Victims: Women: 1 → Women: 1, Girls: 2</li>" in history
    case = world.casework.read(lambda conn: repo.get_case(conn, P))
    assert case is not None and case.details["location"] == "Sevare"


def test_a_form_opened_before_someone_else_amended_the_case_is_refused_and_changes_nothing(world: World) -> None:
    awa, form = opened(world)
    tl, same = opened(world, "tl_mopti")
    assert tl.post(f"/web/cases/{P}/amend-incident", same | {"location": "Sevare", "reason": "first"}
                   ).status_code == 303
    response = awa.post(f"/web/cases/{P}/amend-incident", form | {"location": "Mopti", "reason": "second"})
    assert response.status_code == 409
    assert "Location is no longer &#39;Konna&#39; but &#39;Sevare&#39;" in response.get_data(as_text=True)
    case = world.casework.read(lambda conn: repo.get_case(conn, P))
    assert case is not None and case.details["location"] == "Sevare"


def test_an_unreadable_occurred_date_and_a_missing_reason_are_named_at_their_fields(world: World) -> None:
    awa, form = opened(world)
    page = awa.post(f"/web/cases/{P}/amend-incident", form | {"occurred_at": "yesterday", "reason": "x"})
    assert page.status_code == 422
    assert "Occurred at (UTC): write the date and time as YYYY-MM-DD HH:MM" in page.get_data(as_text=True)
    page = awa.post(f"/web/cases/{P}/amend-incident", form | {"location": "Sevare", "reason": ""})
    assert page.status_code == 422 and 'id="amend-reason-error"' in page.get_data(as_text=True)
    nothing = awa.post(f"/web/cases/{P}/amend-incident", form | {"reason": "no change"})
    assert nothing.status_code == 409 and "changes nothing" in nothing.get_data(as_text=True)


def test_an_auditor_is_offered_no_amendment_form(world: World) -> None:
    page = browser(world, "aud_mopti").get(f"/web/cases/{P}").get_data(as_text=True)
    assert "form-amend-incident" not in page


def test_an_activity_dated_yesterday_in_the_readers_format_restarts_from_then(world: World) -> None:
    awa = browser(world, "awa")
    yesterday = NOW - timedelta(days=1)
    response = awa.post(f"/web/cases/{P}/log-activity", {"description": "met the family",
                                                         "at": f"{yesterday:%Y-%m-%d %H:%M}"})
    assert response.status_code == 303
    case = world.casework.read(lambda conn: repo.get_case(conn, P))
    assert case is not None and case.last_activity_at == yesterday


@pytest.mark.parametrize(("typed", "problem"), [
    ("tomorrow", "When it was done (UTC): write the date and time as YYYY-MM-DD HH:MM"),
    (f"{NOW + timedelta(days=1):%Y-%m-%d %H:%M}", "When it was done: 2026-03-05 08:00 UTC is in the future"),
    (f"{NOW - timedelta(days=30):%Y-%m-%d %H:%M}",
     "When it was done: not before the case&#39;s last change, 2026-03-02 10:00 UTC"),
])
def test_an_activity_date_out_of_bounds_is_refused_at_its_field(world: World, typed: str, problem: str) -> None:
    page = browser(world, "awa").post(f"/web/cases/{P}/log-activity", {"description": "went", "at": typed})
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and 'id="log-activity-at-error"' in text and problem in text, text[-3000:]


def test_an_invalid_amended_value_is_worded_as_the_incident_form_words_it_next_to_its_field(world: World) -> None:
    awa, form = opened(world)
    page = awa.post(f"/web/cases/{P}/amend-incident", form | {"location": "K", "reason": "shorter"})
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert re.search(r'id="amend-location-error">Between 2 and 200 characters\.</p>', text), text


def test_in_french_an_activity_is_dated_jj_mm_aaaa_and_a_stale_amendment_is_refused_in_french(world: World) -> None:
    world.casework.write(lambda conn: web_store.set_locale(conn, "awa", "fr"))
    awa, form = opened_in_french(world)
    assert form["occurred_at"] == "01/03/2026 08:00"  # as the reader types it
    yesterday = NOW - timedelta(days=1)
    early = awa.post(f"/web/cases/{P}/log-activity", {"description": "vu la famille", "at": "01/03/2026 08:00"})
    assert early.status_code == 422
    assert ("Quand cela a été fait : pas avant la dernière modification du dossier, 2026-03-02 10:00 UTC"
            in html.unescape(early.get_data(as_text=True)))
    done = awa.post(f"/web/cases/{P}/log-activity",
                    {"description": "vu la famille", "at": f"{yesterday:%d/%m/%Y %H:%M}"})
    assert done.status_code == 303
    case = world.casework.read(lambda conn: repo.get_case(conn, P))
    assert case is not None and case.last_activity_at == yesterday
    stale = awa.post(f"/web/cases/{P}/amend-incident", form | {"old-location": '"Mopti"', "location": "Sevare",
                                                               "reason": "lieu exact"})
    assert stale.status_code == 409
    assert ("Lieu n'est plus 'Mopti' mais 'Konna' : quelqu'un l'a modifié entre-temps"
            in html.unescape(stale.get_data(as_text=True)))


def opened_in_french(world: World) -> tuple[Browser, dict[str, object]]:
    officer = browser(world, "awa")
    page = officer.get(f"/web/cases/{P}").get_data(as_text=True)
    assert "Corriger les détails" in page
    return officer, amendment_form(page)
