"""Mali's administrative units (regions, cercles, communes) with OCHA P-codes: look-up, matching, coordinates."""

from __future__ import annotations

import csv
import functools
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

LEVELS = {1: "region", 2: "cercle", 3: "commune"}
# Mali's extent (about 10.16 to 25.0 N, 12.24 W to 4.27 E), padded a little for seats on the border.
BOUNDS = {"south": 10.0, "north": 25.1, "west": -12.3, "east": 4.3}
# Words that people put around a name in a sitrep ("Cercle de Mopti", "Région de Gao") and that name no unit.
_AFFIXES = re.compile(r"^(?:(?:region|cercle|commune|district|ville)\s+(?:de\s+|du\s+|d\s+)?)|(?:\s+mali)$")


_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """The form names are compared in: no accents, no case, words split on anything but letters and digits."""
    # ASCII has no accent to strip and NFKD leaves it as it is: most places skip the per-character walk (every
    # registration folds its place, twice; tests/unit/test_short_paths_agree.py holds the two paths equal).
    bare = text.lower() if text.isascii() else _bare(text)
    return " ".join(_NOT_ALPHANUMERIC.sub(" ", bare).split())


def _bare(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class AdminUnit:
    pcode: str
    level: int
    name: str
    parent: str | None
    variants: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None

    @property
    def kind(self) -> str:
        return LEVELS[self.level]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.variants)


class CoordinateError(ValueError):
    """A coordinate that is missing its pair, not a number, out of range or outside the country."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class Gazetteer:
    """The units, indexed by P-code and by folded name; built once, never changed."""

    def __init__(self, units: Iterable[AdminUnit]) -> None:
        self._units: dict[str, AdminUnit] = {}
        self._children: dict[str | None, list[AdminUnit]] = {}
        self._by_name: dict[str, list[AdminUnit]] = {}
        for unit in units:
            if unit.pcode in self._units:
                raise ValueError(f"P-code {unit.pcode} appears twice")
            self._units[unit.pcode] = unit
        for unit in self._units.values():
            parent = self._units.get(unit.parent or "")
            if unit.parent is not None and (parent is None or not unit.pcode.startswith(parent.pcode)
                                            or parent.level != unit.level - 1):
                raise ValueError(f"{unit.pcode} names {unit.parent} as parent, which is not the unit above it")
            self._children.setdefault(unit.parent, []).append(unit)
            for name in {fold(n) for n in unit.names}:
                self._by_name.setdefault(name, []).append(unit)

    def __len__(self) -> int:
        return len(self._units)

    def __iter__(self) -> Iterator[AdminUnit]:
        return iter(self._units.values())

    def get(self, pcode: str) -> AdminUnit | None:
        return self._units.get(pcode.strip().upper())

    def regions(self) -> list[AdminUnit]:
        return list(self._children.get(None, []))

    def children(self, pcode: str) -> list[AdminUnit]:
        return list(self._children.get(self._known(pcode).pcode, []))

    def region_of(self, pcode: str) -> AdminUnit:
        unit = self._known(pcode)
        while unit.parent is not None:
            unit = self._units[unit.parent]
        return unit

    def count(self, level: int) -> int:
        return sum(1 for unit in self._units.values() if unit.level == level)

    def find(self, name: str, level: int | None = None) -> list[AdminUnit]:
        """Every unit called `name` (accents, case, hyphens and spelling variants aside), broadest first."""
        found = self._by_name.get(fold(name), [])
        return sorted((u for u in found if level is None or u.level == level), key=lambda u: (u.level, u.pcode))

    def match(self, free_text: str | None) -> AdminUnit | None:
        """The unit a place as written means, or None when it names none or several unrelated ones.

        "Mopti" names both a region and its cercle: the cercle, inside the region, is the more precise answer.
        Two units of one name in different regions are ambiguous and match nothing (the caller flags free text).
        """
        if not free_text or not free_text.strip():
            return None
        by_code = self.get(free_text)
        if by_code is not None:
            return by_code
        key = _AFFIXES.sub("", fold(free_text)).strip()
        found = self.find(key)
        if not found:
            return None
        finest = found[-1]
        if all(self._within(finest, other) for other in found):
            return finest
        return None

    def _within(self, unit: AdminUnit, other: AdminUnit) -> bool:
        return unit.pcode.startswith(other.pcode)

    def _known(self, pcode: str) -> AdminUnit:
        unit = self.get(pcode)
        if unit is None:
            raise KeyError(f"no administrative unit has the P-code {pcode!r}")
        return unit


def validate_coordinates(lat: Any, lon: Any, field: str = "coordinates") -> tuple[float, float] | None:
    """Both or neither; numbers in range and inside Mali. Returns (lat, lon), or None when both are empty."""
    empty = [value is None or (isinstance(value, str) and not value.strip()) for value in (lat, lon)]
    if all(empty):
        return None
    if any(empty):
        raise CoordinateError(field, "give both latitude and longitude, or neither")
    values = []
    for name, value, limit in (("latitude", lat, 90), ("longitude", lon, 180)):
        try:
            number = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError):
            raise CoordinateError(f"{field}.{name}", f"{value!r} is not a number in decimal degrees") from None
        if not math.isfinite(number) or not -limit <= number <= limit:
            raise CoordinateError(f"{field}.{name}", f"{value!r} is not between -{limit} and {limit}")
        values.append(number)
    latitude, longitude = values
    if not (BOUNDS["south"] <= latitude <= BOUNDS["north"] and BOUNDS["west"] <= longitude <= BOUNDS["east"]):
        raise CoordinateError(field, f"{latitude}, {longitude} is outside Mali (latitude {BOUNDS['south']} to "
                                     f"{BOUNDS['north']}, longitude {BOUNDS['west']} to {BOUNDS['east']}); "
                                     "check the order (latitude first) and the signs (west is negative)")
    return latitude, longitude


def _rows() -> list[dict[str, str]]:
    text = resources.files("reference").joinpath("data/mali_admin.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@functools.cache
def gazetteer() -> Gazetteer:
    """The shipped gazetteer, read on first use."""
    return Gazetteer(
        AdminUnit(pcode=row["pcode"], level=int(row["level"]), name=row["name"], parent=row["parent"] or None,
                  variants=tuple(v for v in row["variants"].split("|") if v),
                  lat=float(row["lat"]) if row["lat"] else None, lon=float(row["lon"]) if row["lon"] else None)
        for row in _rows())


@functools.cache
def source() -> dict[str, Any]:
    """Where the shipped data comes from: packages, versions, licences, checksums, and the counts in the source."""
    return dict(json.loads(resources.files("reference").joinpath("data/mali_admin.meta.json").read_text("utf-8")))
