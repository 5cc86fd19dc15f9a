"""The region of an incident, written once: from its P-code, else from its location by any spelling, else none; and
the units a place field offers, found without accents or case."""

from __future__ import annotations

import pytest

from reference.places import describe, picked, region_of_incident, search, unit_of_place


@pytest.mark.parametrize(("pcode", "location", "region"), [
    ("ML0502", "somewhere near the river", "ML05"),  # the P-code decides, whatever the text says
    ("ml1003", None, "ML10"),  # a cercle's P-code in any case: its region
    ("ML19", "Mopti", "ML19"),  # a region's own P-code
    (None, "menaka", "ML10"),  # no accent, no capital: Ménaka
    (None, "MÉNAKA", "ML10"),
    (None, "Tombouctou", "ML06"),
    (None, "timbuktu", "ML06"),  # the English exonym: the same region
    (None, "Cercle de Djenné", "ML05"),
    (None, "Koro", "ML19"),  # Bandiagara region since the 2023 reform, not Mopti
    ("ML9999", "Ansongo", "ML07"),  # a P-code no gazetteer knows: the place as written still says where
])
def test_the_region_comes_from_the_pcode_else_from_the_place_as_written(pcode: str | None, location: str | None,
                                                                        region: str) -> None:
    found = region_of_incident(pcode, location)
    assert found is not None and found.pcode == region and found.level == 1


@pytest.mark.parametrize(("pcode", "location"), [(None, "Village 12"), (None, "Bamako Commune IV"), (None, ""),
                                                 (None, None), ("ML9999", "nowhere known")])
def test_a_place_that_names_no_unit_has_no_region(pcode: str | None, location: str | None) -> None:
    assert region_of_incident(pcode, location) is None
    assert unit_of_place(pcode, location) is None


def test_a_unit_is_offered_with_its_parents_and_its_pcode_and_read_back_when_picked() -> None:
    djenne = unit_of_place(None, "Djenné")
    assert djenne is not None and describe(djenne) == "Djenné (Mopti) — ML0502"
    assert picked("Djenné (Mopti) — ML0502") == djenne
    region = region_of_incident("ML05", None)
    assert region is not None and describe(region) == "Mopti — ML05"
    assert picked("Djenné") is None and picked("Village — ML9999") is None and picked("— ML0502") is None


def test_search_finds_a_name_without_its_accents_and_the_exonym_finds_the_french_name() -> None:
    assert [u.pcode for u in search("menaka").units] == ["ML10", "ML1001"]
    assert [u.pcode for u in search("tombouctou").units] == ["ML06", "ML0601"]
    assert [u.pcode for u in search("timbuktu").units] == ["ML06", "ML0601"]
    assert [u.pcode for u in search("ML0502").units][:1] == ["ML0502"]
    assert search("zzz").total == 0


def test_search_pages_through_the_matches_closest_first() -> None:
    every = search("ko", limit=500)
    assert every.total == len(every.units) > 10
    first, second = search("ko", limit=5), search("ko", limit=5, skip=5)
    assert [u.pcode for u in first.units + second.units] == [u.pcode for u in every.units[:10]]
    assert first.total == every.total
    names = [u.name for u in every.units]
    starting = [n for n in names if n.lower().startswith("ko")]
    assert names[:len(starting)] == starting  # the names that begin with it come before those that contain it
    assert search("", limit=1000).total == 180  # 20 regions and 160 cercles
