"""Perpetrator units on the API (any signed-in role reads them) and on the admin's page (only an admin keeps them),
in English and French."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.casework.adapters import units as store
from services.casework.adapters import web_store
from tests.integration.api_world import NOW, World
from tests.integration.web_world import browser, template, web_world


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("web-units"))


@pytest.fixture
def world(made: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    yield from web_world(made[0], made[1], tmp_path)


def test_the_api_lists_every_unit_with_its_category_and_un_support_retired_ones_marked(world: World) -> None:
    world.casework.write(lambda conn: store.add_unit(conn, "fama-33rci", "33e RCP", "state_armed_forces", True, NOW))
    world.casework.write(lambda conn: store.add_unit(conn, "katiba-macina", "Katiba Macina", "armed_group", False,
                                                     NOW))
    world.casework.write(lambda conn: store.retire_unit(conn, "katiba-macina"))
    answer = world.call("GET", "/units", "aud_gao")
    assert answer.status_code == 200
    assert answer.get_json() == {"units": [
        {"code": "katiba-macina", "name": "Katiba Macina", "perpetrator_category": "armed_group",
         "un_supported_security_force": False, "added_at": NOW.isoformat(), "retired": True},
        {"code": "fama-33rci", "name": "33e RCP", "perpetrator_category": "state_armed_forces",
         "un_supported_security_force": True, "added_at": NOW.isoformat(), "retired": False}]}
    assert world.call("GET", "/units", None).status_code == 401


def test_an_admin_adds_and_retires_a_unit_on_the_page_and_others_may_not(world: World) -> None:
    admin = browser(world, "adm_mopti")
    page = admin.get("/web/units").get_data(as_text=True)
    assert "No unit yet." in page and 'href="/web/units" aria-current="page"' in page
    added = admin.post("/web/units", {"code": "fama-33rci", "name": "33e RCP", "perpetrator_category":
                                      "state_armed_forces", "un_supported": "yes"})
    assert added.status_code == 303
    page = admin.get("/web/units").get_data(as_text=True)
    assert "Unit 33e RCP added." in page
    assert "<td>fama-33rci</td><td>33e RCP</td><td>State armed forces</td>" in page
    refused = admin.post("/web/units", {"code": "fama-33rci", "name": "Again", "perpetrator_category":
                                        "armed_group", "un_supported": "no"})
    assert refused.status_code == 400
    assert "not used before: &#39;fama-33rci&#39; is taken by &#39;33e RCP&#39;" in refused.get_data(as_text=True)
    bad = admin.post("/web/units", {"code": "x", "name": "X", "perpetrator_category": "", "un_supported": "no"})
    assert bad.status_code == 400 and "Choose a perpetrator category." in bad.get_data(as_text=True)
    assert admin.post("/web/units/fama-33rci/retire").status_code == 303
    assert "Unit 33e RCP retired: acts that name it keep it." in admin.get("/web/units").get_data(as_text=True)
    assert world.casework.read(store.list_units)[0].retired
    for username in ("awa", "tl_mopti", "dir_mopti", "aud_mopti"):
        other = browser(world, username)
        assert other.get("/web/units").status_code == 403
        assert other.post("/web/units/fama-33rci/retire").status_code == 403
        assert 'href="/web/units"' not in other.get("/web/overview").get_data(as_text=True)


def test_the_units_page_speaks_french_and_labels_categories_from_the_vocabulary(world: World) -> None:
    world.casework.write(lambda conn: web_store.set_locale(conn, "adm_mopti", "fr"))
    admin = browser(world, "adm_mopti")
    admin.post("/web/units", {"code": "gign", "name": "GIGN", "perpetrator_category": "state_security_forces",
                              "un_supported": "no"})
    page = admin.get("/web/units").get_data(as_text=True)
    assert "Unité GIGN ajoutée." in page
    assert "<td>Forces de sécurité de l&#39;État</td>" in page
    assert "Force de sécurité non onusienne recevant un appui de l'ONU" in page
    assert "Perpetrator" not in page and "Add the unit" not in page
