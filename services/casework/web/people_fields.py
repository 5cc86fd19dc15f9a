"""People and acts on the incident form: repeating rows rendered by the server (no script), read back into the
record's `people`, `acts` and sealed `identities.people`, exactly as a JSON Lines line carries them.

Row N of people is person `pN`; an act names its victims by those refs, so an act can point at a person typed in the
same submission. A row left blank is no person and no act."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from reference.gazetteer import gazetteer
from reference.places import describe, picked
from schemas.people import AGE_GROUPS, PROTECTION_RISKS, ROLES, SEXES
from schemas.text import normalised
from services.casework.web import dates
from services.casework.web.labels import choices

ROWS = 3  # blank rows offered at first; "add more rows" offers MORE_ROWS more of each, keeping what was typed
MORE_ROWS = 2
MAX_ROWS = 40
PERSON_FIELDS = ("role", "sex", "age_group", "age", "occupation", "protection_risk", "names", "date_of_birth",
                 "contact", "share_with", "obtained_by")
CONSENTS = ("recorded", "contact", "referral")
ACT_FIELDS = ("violation_type", "perpetrator_category", "perpetrator_unit", "occurred_at", "place")
MULTI = ("victims", "consent")  # the row keys a form sends several times (checkboxes)


def rows(form: Any, kind: str) -> int:
    """How many rows of people or acts the form shows: as many as it showed, plus more when asked."""
    try:
        shown = int(form.get(f"{kind}_rows", ROWS))
    except ValueError:
        shown = ROWS
    if form.get("more_rows"):
        shown += MORE_ROWS
    return max(ROWS, min(shown, MAX_ROWS))


def ref(row: int) -> str:
    return f"p{row + 1}"


def _get(form: Any, name: str) -> str:
    return normalised(form.get(name, "")).strip()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in normalised(text).split("\n") if line.strip()]


def people_of_form(form: Any, locale: str) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The people the form's rows describe (open attributes) and their identifying fields by ref (to be sealed)."""
    people: list[dict[str, Any]] = []
    identities: dict[str, dict[str, Any]] = {}
    for row in range(rows(form, "people")):
        field = {name: _get(form, f"people.{row}.{name}") for name in PERSON_FIELDS}
        consents = form.getlist(f"people.{row}.consent")
        if not any(field.values()) and not consents:
            continue
        person: dict[str, Any] = {"ref": _get(form, f"people.{row}.ref") or ref(row), "role": field["role"]}
        for name in ("sex", "age_group", "protection_risk", "occupation"):
            if field[name]:
                person[name] = field[name]
        if field["age"]:
            person["age"] = field["age"]  # as typed: the contract names the field when it is no whole number
        partners = _lines(field["share_with"])
        if consents or partners or field["obtained_by"]:
            person["consent"] = {**{c: c in consents for c in CONSENTS}, "share_with": partners,
                                 "obtained_by": field["obtained_by"] or None}
        people.append(person)
        identity: dict[str, Any] = {}
        if field["names"]:
            identity["names"] = _lines(field["names"])
        if field["date_of_birth"]:
            identity["date_of_birth"] = _iso_day(field["date_of_birth"], locale)
        if field["contact"]:
            identity["contact"] = field["contact"]
        if identity:
            identities[person["ref"]] = {"names": [], **identity}
    return people, identities


def acts_of_form(form: Any, locale: str) -> list[dict[str, Any]]:
    """The acts the form's rows describe: who did what to whom, when and where when known."""
    acts = []
    for row in range(rows(form, "acts")):
        field = {name: _get(form, f"acts.{row}.{name}") for name in ACT_FIELDS}
        victims = form.getlist(f"acts.{row}.victims")
        if not any(field.values()) and not victims:
            continue
        act: dict[str, Any] = {"violation_type": field["violation_type"], "victims": victims,
                               "perpetrator_category": field["perpetrator_category"]}
        if field["perpetrator_unit"]:
            act["perpetrator_unit"] = field["perpetrator_unit"]
        if field["occurred_at"]:
            try:
                act["occurred_at"] = dates.parse_datetime(field["occurred_at"], locale).isoformat()
            except ValueError:
                act["occurred_at"] = field["occurred_at"]  # row_problems names the field and the format
        if field["place"]:
            unit = picked(field["place"])
            act["place_pcode"] = unit.pcode if unit is not None else field["place"]
        acts.append(act)
    return acts


def _iso_day(text: str, locale: str) -> str:
    try:
        return dates.parse_date(text, locale).isoformat()
    except ValueError:
        return text  # row_problems names the field and the format


def row_problems(form: Any, locale: str, date_problem: Any) -> dict[str, list[str]]:
    """The dates typed in rows that cannot be read, each next to its field with the format to use."""
    out: dict[str, list[str]] = {}
    for row in range(rows(form, "people")):
        value = _get(form, f"people.{row}.date_of_birth")
        try:
            if value:
                dates.parse_date(value, locale)
        except ValueError:
            out[f"people.{row}.date_of_birth"] = [date_problem(_("Date of birth"), with_time=False)]
    for row in range(rows(form, "acts")):
        value = _get(form, f"acts.{row}.occurred_at")
        try:
            if value:
                dates.parse_datetime(value, locale)
        except ValueError:
            out[f"acts.{row}.occurred_at"] = [date_problem(_("When (UTC)"), with_time=True)]
        place = _get(form, f"acts.{row}.place")
        if place and picked(place) is None:
            out[f"acts.{row}.place"] = [_("Pick a region or cercle from the list.")]
    return out


def row_field(path: str, refs: dict[str, int]) -> str | None:
    """The form field a contract error names: "people.1.age" as it is, "acts.0.victims" as it is, the sealed
    "identities.people.p2.names.0" as person 2's names; None when the path is no row's."""
    parts = path.split(".")
    if parts[0] in ("people", "acts") and len(parts) >= 3 and parts[1].isdigit():
        name = "place" if parts[2] == "place_pcode" else parts[2]
        if parts[2] in ("consent",):
            name = "share_with" if len(parts) > 3 and parts[3] == "share_with" else "obtained_by"
        return f"{parts[0]}.{parts[1]}.{name}"
    if parts[:2] == ["identities", "people"] and len(parts) >= 4 and parts[2] in refs:
        return f"people.{refs[parts[2]]}.{parts[3]}"
    return None


def values_of(form: Any) -> dict[str, Any]:
    """What was typed, to show again: one value per field, the checkboxes' lists whole."""
    values: dict[str, Any] = form.to_dict(flat=True)
    for key in form:
        if key == "violation_types" or key.rsplit(".", 1)[-1] in MULTI:
            values[key] = form.getlist(key)
    return values


def options() -> dict[str, list[tuple[str, str]]]:
    """The choices of a person's row, by their labels in the reader's language."""
    return {"roles": choices("person_role", ROLES), "sexes": choices("sex", SEXES),
            "age_groups": choices("age_group", AGE_GROUPS), "risks": choices("protection_risk", PROTECTION_RISKS)}


# The case page: people and acts amended (ADR 10 keeps identities sealed apart, so no identifying field is here; consent
# has commands of its own, so a person's consent is carried over as it is).

AMEND_BLANK_ROWS = 2
OPEN_FIELDS = ("role", "sex", "age_group", "age", "occupation", "protection_risk")


def case_rows(details: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """The amendment form's rows as the case holds them, plus blank ones, each person row with its ref."""
    people, acts = details.get("people") or [], details.get("acts") or []
    values: dict[str, Any] = {"people_rows": len(people) + AMEND_BLANK_ROWS, "acts_rows": len(acts) + AMEND_BLANK_ROWS}
    taken = {p["ref"] for p in people}
    free = (f"p{n}" for n in range(1, 10_000) if f"p{n}" not in taken)
    for row in range(values["people_rows"]):
        person = people[row] if row < len(people) else {"ref": next(free)}
        values[f"people.{row}.ref"] = person["ref"]
        for name in OPEN_FIELDS:
            if person.get(name) is not None and not (name in ("sex", "age_group", "protection_risk")
                                                     and person[name] == "unknown" and row >= len(people)):
                values[f"people.{row}.{name}"] = str(person[name])
    for row, act in enumerate(acts):
        values |= {f"acts.{row}.{name}": act.get(name) or "" for name in ("violation_type", "perpetrator_category",
                                                                          "perpetrator_unit")}
        values[f"acts.{row}.victims"] = list(act.get("victims") or [])
        if act.get("occurred_at"):
            values[f"acts.{row}.occurred_at"] = dates.show(datetime.fromisoformat(act["occurred_at"]), locale)
        unit = gazetteer().get(act["place_pcode"]) if act.get("place_pcode") else None
        values[f"acts.{row}.place"] = describe(unit) if unit is not None else act.get("place_pcode") or ""
    return values


def amendment_of_rows(form: Any, locale: str) -> dict[str, Any]:
    """The API body of the "amend people and acts" form: people and acts as the rows hold them now, beside the
    values the page showed (sent back as JSON), so that a change made meanwhile is refused."""
    old_people, old_acts = (_json(form.get(f"old-{name}")) or [] for name in ("people", "acts"))
    consents = {p.get("ref"): p.get("consent") for p in old_people if isinstance(p, dict)}
    people, _identities = people_of_form(form, locale)  # the form has no identifying field: none is read
    for person in people:
        person.pop("consent", None)
        if consents.get(person["ref"]) is not None:
            person["consent"] = consents[person["ref"]]
    return {"reason": form.get("reason", "").strip(),
            "changes": {"people": {"old": old_people, "new": people},
                        "acts": {"old": old_acts, "new": acts_of_form(form, locale)}}}


def _json(text: str | None) -> Any:
    try:
        return json.loads(text or "null")
    except ValueError:
        return None


def refused_row(text: str) -> tuple[str, str] | None:
    """A refused amendment's row field and problem: "acts.0.victims: p9 ..." or "people: 0: age: Must ..."."""
    found = re.fullmatch(r"(people|acts)(?:\.|: )(\d+)(?:\.|: )(\w+): (.*)", text, re.S)
    if found is None:
        return None
    name = "place" if found[3] == "place_pcode" else found[3]
    return f"{found[1]}.{found[2]}.{name}", found[4]
