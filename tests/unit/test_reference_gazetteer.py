"""The shipped gazetteer of Mali: P-codes, names as officers write them, the hierarchy and coordinates."""

from __future__ import annotations

import pytest

from reference.gazetteer import AdminUnit, CoordinateError, Gazetteer, gazetteer, source, validate_coordinates


def test_timbuktu_and_tombouctou_are_the_same_region() -> None:
    places = gazetteer()
    assert places.find("tombouctou", level=1) == places.find("Timbuktu", level=1)
    assert [unit.pcode for unit in places.find("TOMBOUCTOU", level=1)] == ["ML06"]
    assert places.region_of(places.match("Timbuktu").pcode).name == "Tombouctou"  # type: ignore[union-attr]


def test_names_match_without_accents_and_show_with_them() -> None:
    places = gazetteer()
    assert places.match("menaka").name == "Ménaka"  # type: ignore[union-attr]
    assert places.match("  SEGOU ").name == "Ségou"  # type: ignore[union-attr]
    assert places.match("Djenne").pcode == "ML0502"  # type: ignore[union-attr]


def test_a_cercle_knows_its_region() -> None:
    places = gazetteer()
    inekar = places.match("Inekar")
    assert inekar is not None and inekar.kind == "cercle"
    assert places.region_of(inekar.pcode).name == "Ménaka"
    assert inekar in places.children("ML10")


def test_a_name_shared_by_a_region_and_its_cercle_matches_the_cercle() -> None:
    mopti = gazetteer().match("Cercle de Mopti")
    assert mopti is not None and (mopti.pcode, mopti.parent) == ("ML0501", "ML05")


def test_free_text_that_names_no_unit_matches_nothing() -> None:
    places = gazetteer()
    assert places.match("Village 12") is None
    assert places.match("") is None
    assert places.match(None) is None


def test_a_p_code_typed_as_text_matches_its_unit() -> None:
    assert gazetteer().match("ml1003").name == "Inékar"  # type: ignore[union-attr]


def test_two_unrelated_units_of_one_name_are_ambiguous() -> None:
    places = Gazetteer([AdminUnit("ML01", 1, "Kayes", None), AdminUnit("ML02", 1, "Gao", None),
                        AdminUnit("ML0101", 2, "Bamba", "ML01"), AdminUnit("ML0201", 2, "Bamba", "ML02")])
    assert places.match("Bamba") is None
    assert len(places.find("bamba")) == 2


def test_every_p_code_is_unique_and_starts_with_its_parents() -> None:
    units = list(gazetteer())
    assert len({unit.pcode for unit in units}) == len(units)
    for unit in units:
        assert unit.pcode.startswith("ML")
        if unit.parent is not None:
            assert unit.pcode.startswith(unit.parent) and len(unit.pcode) == len(unit.parent) + 2
        else:
            assert unit.level == 1 and len(unit.pcode) == 4


def test_a_gazetteer_refuses_a_repeated_p_code_or_a_parent_of_another_branch() -> None:
    with pytest.raises(ValueError, match="ML01 appears twice"):
        Gazetteer([AdminUnit("ML01", 1, "Kayes", None), AdminUnit("ML01", 1, "Kayes", None)])
    with pytest.raises(ValueError, match="ML0201 names ML01"):
        Gazetteer([AdminUnit("ML01", 1, "Kayes", None), AdminUnit("ML0201", 2, "Kati", "ML01")])


def test_counts_are_those_of_the_source() -> None:
    places, counts = gazetteer(), source()["source_counts"]
    assert (places.count(1), places.count(2), places.count(3)) == (counts["1"], counts["2"], counts["3"])
    assert places.count(1) == 20  # COD-AB v03: the 19 regions of the 2023 reform and the District of Bamako
    assert {"Ménaka", "Taoudénit", "Bandiagara", "Douentza"} <= {unit.name for unit in places.regions()}


def test_the_source_is_named_with_version_and_licence() -> None:
    packages = {s["package"]: s for s in source()["sources"]}
    assert packages["hdx-python-country"]["version"] == "4.2.5"
    assert all(s["licence"] and len(s["sha256"]) == 64 for s in packages.values())


def test_shipped_coordinates_are_inside_mali() -> None:
    located = [unit for unit in gazetteer() if unit.lat is not None]
    assert all(unit.kind == "region" or unit.lat is not None for unit in gazetteer().regions())
    for unit in located:
        assert validate_coordinates(unit.lat, unit.lon) == (unit.lat, unit.lon)


def test_coordinates_are_optional_but_come_in_pairs() -> None:
    assert validate_coordinates(None, "") is None
    assert validate_coordinates("14.49", "-4.19", field="place") == (14.49, -4.19)
    with pytest.raises(CoordinateError, match="place: give both latitude and longitude") as error:
        validate_coordinates(14.49, None, field="place")
    assert error.value.field == "place"


@pytest.mark.parametrize(("lat", "lon", "message"), [
    ("north", 1.0, "place.latitude: 'north' is not a number"),
    (91, 1.0, "place.latitude: 91 is not between -90 and 90"),
    (14.0, float("nan"), "place.longitude: nan is not between -180 and 180"),
    (True, 1.0, "place.latitude: True is not between -90 and 90"),
    (48.85, 2.35, "place: 48.85, 2.35 is outside Mali"),
    (-4.19, 14.49, "place: -4.19, 14.49 is outside Mali .*latitude first"),
])
def test_bad_coordinates_are_refused_with_the_field_named(lat: object, lon: object, message: str) -> None:
    with pytest.raises(CoordinateError, match=message):
        validate_coordinates(lat, lon, field="place")
