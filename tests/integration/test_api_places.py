"""GET /places: the gazetteer's units found by any spelling, paged, for any signed-in user and nobody else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.casework.api.app import openapi
from tests.integration.api_world import World, build_template, open_world


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("places") / "casework.sqlite"
    return path, build_template(path)


@pytest.fixture
def world(template: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    yield from open_world(*template, tmp_path)


def test_menaka_without_its_accent_finds_the_region_and_its_cercle(world: World) -> None:
    answer = world.call("GET", "/places?q=menaka", "aud_gao")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["total"] == 2 and (body["page"], body["page_size"]) == (1, 20)
    region, cercle = body["items"]
    assert region == {"pcode": "ML10", "name": "Ménaka", "variants": [], "level": 1, "kind": "region",
                      "parent": None, "parent_name": None, "region": "ML10", "region_name": "Ménaka",
                      "latitude": 15.9182, "longitude": 2.4022, "label": "Ménaka — ML10"}
    assert (cercle["pcode"], cercle["kind"], cercle["parent"], cercle["region_name"], cercle["label"]) == (
        "ML1001", "cercle", "ML10", "Ménaka", "Ménaka (Ménaka) — ML1001")


@pytest.mark.parametrize("query", ["tombouctou", "Timbuktu", "TOMBOUCTOU"])
def test_tombouctou_by_any_of_its_names_is_the_same_region(world: World, query: str) -> None:
    items = world.call("GET", f"/places?q={query}", "awa").get_json()["items"]
    assert [(i["pcode"], i["name"], i["region"]) for i in items] == [("ML06", "Tombouctou", "ML06"),
                                                                     ("ML0601", "Tombouctou", "ML06")]


def test_a_cercle_without_seat_coordinates_says_so_rather_than_inventing_them(world: World) -> None:
    konna = world.call("GET", "/places?q=konna", "awa").get_json()["items"][0]
    assert (konna["pcode"], konna["region_name"], konna["latitude"], konna["longitude"]) == (
        "ML0505", "Mopti", None, None)


def test_pages_follow_one_another_and_the_limit_is_enforced(world: World) -> None:
    every = world.call("GET", "/places?q=ko&page_size=200", "tl_mopti").get_json()
    first = world.call("GET", "/places?q=ko&page_size=5", "tl_mopti").get_json()
    second = world.call("GET", "/places?q=ko&page_size=5&page=2", "tl_mopti").get_json()
    assert first["total"] == second["total"] == every["total"] > 10
    assert [i["pcode"] for i in first["items"] + second["items"]] == [i["pcode"] for i in every["items"][:10]]
    assert world.call("GET", "/places?page_size=200", "awa").get_json()["total"] == 180
    too_many = world.call("GET", "/places?q=ko&page_size=201", "awa")
    assert too_many.status_code == 422 and "page_size" in str(too_many.get_json())
    long_query = world.call("GET", "/places?q=" + "k" * 101, "awa")
    assert long_query.status_code == 422 and "q" in str(long_query.get_json())


def test_nobody_without_a_token_reads_the_places(world: World) -> None:
    answer = world.call("GET", "/places?q=menaka", None)
    assert answer.status_code == 401 and "items" not in answer.get_json()


def test_the_operation_is_in_the_openapi_document() -> None:
    operation = openapi()["paths"]["/places"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"q", "page", "page_size"}
    assert {"200", "401"} <= set(operation["responses"])
