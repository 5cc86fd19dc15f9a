"""Places of incidents: the region an incident happened in (one function for every page, report and map), and the
units of the gazetteer a place field offers, found by any spelling."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from reference.gazetteer import _AFFIXES, AdminUnit, fold, gazetteer

UNKNOWN_REGION = "unknown region"  # the row of incidents whose place names no unit (free text)


@lru_cache(maxsize=8192)  # the gazetteer is shipped data, and many incidents share a place: each found once
def region_of_incident(place_pcode: str | None, location: str | None) -> AdminUnit | None:
    """The region of an incident: that of its P-code when it has a known one, else that of the unit its location
    names unambiguously, else None (free text: counted under "unknown region")."""
    places = gazetteer()
    unit = places.get(place_pcode) if place_pcode else None
    if unit is None:  # no P-code, or one a later gazetteer dropped: the place as written still says where
        unit = places.match(location)
    return places.region_of(unit.pcode) if unit is not None else None


def unit_of_place(place_pcode: str | None, location: str | None) -> AdminUnit | None:
    """The unit an incident's place stands for (its P-code's, else its location's), or None for free text."""
    places = gazetteer()
    unit = places.get(place_pcode) if place_pcode else None
    return unit if unit is not None else places.match(location)


def describe(unit: AdminUnit) -> str:
    """A unit as a picker offers it: "Djenné (Mopti) — ML0503", its parents named from the nearest up."""
    places = gazetteer()
    parents, parent = [], unit.parent
    while parent is not None:
        above = places.get(parent)
        if above is None:
            break
        parents.append(above.name)
        parent = above.parent
    return f"{unit.name} ({', '.join(parents)}) — {unit.pcode}" if parents else f"{unit.name} — {unit.pcode}"


def picked(text: str) -> AdminUnit | None:
    """The unit a place field holds when it was picked from the list ("Djenné (Mopti) — ML0503"), else None."""
    head, sep, code = text.rpartition("—")
    if not sep or not head.strip():
        return None
    return gazetteer().get(code.strip()) if code.strip() else None


@dataclass(frozen=True)
class Found:
    units: tuple[AdminUnit, ...]  # the page asked for
    total: int  # every unit that matched


def search(query: str, limit: int = 20, skip: int = 0) -> Found:
    """Units whose name or a variant matches `query` (accents, case and hyphens aside; "cercle de" dropped), the
    closest first: a whole name, then names that begin with it, then names that contain it; broadest first."""
    key = _AFFIXES.sub("", fold(query)).strip()
    places = gazetteer()
    by_code = places.get(query) if query.strip() else None
    ranked: list[tuple[int, int, str, AdminUnit]] = []
    for unit in places:
        names = {fold(n) for n in unit.names}
        if by_code is not None and unit.pcode == by_code.pcode:
            rank = 0
        elif not key:
            rank = 3
        elif key in names:
            rank = 1
        elif any(n.startswith(key) or f" {key}" in f" {n}" for n in names):
            rank = 2
        elif any(key in n for n in names):
            rank = 3
        else:
            continue
        ranked.append((rank, unit.level, unit.pcode, unit))
    ranked.sort(key=lambda r: r[:3])
    return Found(tuple(r[3] for r in ranked[skip:skip + limit]), len(ranked))
