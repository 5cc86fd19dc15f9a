"""The place of an incident on the web forms: a unit picked from the gazetteer (its P-code sent beside the location),
or free text, kept and flagged; and its coordinates, optional and checked."""

from __future__ import annotations

import functools
from collections.abc import Collection
from typing import Any

from flask_babel import gettext as _

from reference.gazetteer import BOUNDS, CoordinateError, gazetteer, validate_coordinates
from reference.places import describe, picked, region_of_incident, unit_of_place
from schemas.incident import IncidentAsWrittenSchema

# The keys the incident contract takes: the P-code and coordinates are sent only once it has them (issue 20, the
# incident's version 2), so that a form never sends a key intake would refuse.
CONTRACT_FIELDS = frozenset(IncidentAsWrittenSchema().fields)
COORDINATES = ("latitude", "longitude")


@functools.cache
def options() -> tuple[tuple[str, str], ...]:
    """Every unit as the place field's list offers it: (value, what it is), regions first, then by P-code."""
    units = sorted(gazetteer(), key=lambda u: (u.level, u.pcode))
    return tuple((describe(u), u.kind) for u in units)


def kinds() -> dict[str, str]:
    return {"region": _("region"), "cercle": _("cercle"), "commune": _("commune")}


def place_of_form(form: Any, accepted: Collection[str] = CONTRACT_FIELDS) -> dict[str, Any]:
    """The place keys of the record a form stands for: `location` as written (a picked unit's name), its P-code when
    a unit was picked from the list, and the coordinates when given; only the keys the contract accepts."""
    text = form.get("location", "").strip()
    unit = picked(text)
    out: dict[str, Any] = {"location": unit.name if unit is not None else text}
    if unit is not None:
        out["place_pcode"] = unit.pcode
    try:
        pair = validate_coordinates(form.get("latitude"), form.get("longitude"))
    except CoordinateError:
        pair = None  # place_problems names the field
    if pair is not None:
        out["latitude"], out["longitude"] = pair
    return {k: v for k, v in out.items() if k in accepted and v != ""}


def place_problems(form: Any) -> dict[str, list[str]]:
    """The coordinates that are given but wrong, each next to its field and naming it."""
    try:
        validate_coordinates(form.get("latitude"), form.get("longitude"))
    except CoordinateError as exc:
        field = exc.field.rsplit(".", 1)[-1]
        names = {"latitude": _("Latitude"), "longitude": _("Longitude")}
        if field in names:
            return {field: [_("%(field)s: enter a number of decimal degrees between %(low)s and %(high)s.",
                              field=names[field], low=-90 if field == "latitude" else -180,
                              high=90 if field == "latitude" else 180)]}
        given = [f for f in COORDINATES if not str(form.get(f) or "").strip()]
        if given:
            return {given[0]: [_("%(field)s: give both latitude and longitude, or neither.",
                                 field=names[given[0]])]}
        return {"latitude": [_("Latitude and longitude: this point is outside Mali (latitude %(south)s to %(north)s, "
                               "longitude %(west)s to %(east)s); check the order (latitude first) and the signs "
                               "(west is negative).", **BOUNDS)]}
    return {}


def place_note(place_pcode: str | None, location: str) -> str:
    """What the place of an incident is to hrcase: a unit of the gazetteer and its region, or free text (flagged)."""
    return _("Place: %(place)s.", place=place_line(place_pcode, location))


def place_line(place_pcode: str | None, location: str) -> str:
    unit = unit_of_place(place_pcode, location)
    region = region_of_incident(place_pcode, location)
    if unit is None or region is None:
        return _("free text, flagged: “%(location)s” names no administrative unit of the gazetteer (or several); "
                 "counted under “unknown region”", location=location)
    return _("%(unit)s, region of %(region)s", unit=describe(unit), region=region.name)


def is_free_text(place_pcode: str | None, location: str) -> bool:
    return unit_of_place(place_pcode, location) is None
