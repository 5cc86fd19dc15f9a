"""Perpetrator units an admin keeps: a named unit, its perpetrator category, and whether it is a non-UN security force
receiving UN support (the UN's Human Rights Due Diligence Policy); the checks on a new unit and on an act's unit."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.vocabulary import offered

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    perpetrator_category: str
    un_supported_security_force: bool
    added_at: datetime
    retired: bool = False


def new_unit(code: str, name: str, perpetrator_category: str, un_supported_security_force: bool,
             existing: Iterable[Unit], now: datetime) -> Unit:
    """A unit to add, or ValueError naming the field at fault; codes are never reused, retired units' included."""
    code, name = code.strip(), " ".join(name.split())
    if not _CODE.match(code):
        raise ValueError(f"code: {code!r} is not a unit code (1 to 40 lower-case letters, digits, - and _)")
    if not name or len(name) > 200:
        raise ValueError("name: a unit needs a name of 1 to 200 characters")
    if perpetrator_category not in offered("perpetrator_types"):
        raise ValueError(f"perpetrator_category: {perpetrator_category!r} is not one of "
                         f"{', '.join(offered('perpetrator_types'))}")
    for unit in existing:
        if unit.code == code:
            raise ValueError(f"code: {code!r} is taken by {unit.name!r}"
                             + (" (retired: codes are never reused)" if unit.retired else ""))
    return Unit(code, name, perpetrator_category, un_supported_security_force, now)


def unit_problem(code: str | None, units: Iterable[Unit], field: str = "perpetrator_unit",
                 perpetrator_category: str | None = None) -> str | None:
    """What is wrong with an act naming unit `code` (None: nothing; an act need not name a unit), naming the field.

    The unit must be on the list and not retired; when the act gives a category, it must be the unit's."""
    if code is None or code == "":
        return None
    found = {u.code: u for u in units}.get(code)
    if found is None:
        return f"{field}: {code!r} is not a unit on the admin's list (`GET /units`)"
    if found.retired:
        return f"{field}: {code!r} ({found.name}) is retired and can no longer be named"
    if perpetrator_category is not None and perpetrator_category != found.perpetrator_category:
        return (f"{field}: {found.name} is of category {found.perpetrator_category}, not the act's "
                f"{perpetrator_category}")
    return None


def retire(unit: Unit) -> Unit:
    if unit.retired:
        raise ValueError(f"code: {unit.code!r} ({unit.name}) is already retired")
    return Unit(unit.code, unit.name, unit.perpetrator_category, unit.un_supported_security_force, unit.added_at,
                retired=True)


def act_unit_problems(acts: Iterable[Mapping[str, Any]], units: Iterable[Unit],
                      unchanged: Iterable[Mapping[str, Any]] = ()) -> list[tuple[str, str]]:
    """(field, problem) for each act whose unit `unit_problem` refuses; an act as the case already held it is not
    checked again (its unit may have been retired since, and stays named)."""
    units, kept = list(units), [dict(a) for a in unchanged]
    out = []
    for number, act in enumerate(acts):
        if dict(act) in kept:
            continue
        field = f"acts.{number}.perpetrator_unit"
        problem = unit_problem(act.get("perpetrator_unit"), units, field, act.get("perpetrator_category"))
        if problem:
            out.append((field, problem))
    return out
