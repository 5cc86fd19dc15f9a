"""Amending an accepted incident's details: which fields, each new value checked as a report would have it written.

`changes` maps a field of the incident as written (schemas.incident.IncidentAsWrittenSchema) to its old and new
values in their JSON form, as the case keeps them in its details. Any field of that schema is amendable but those
that are not incident facts or that belong to a rule's owner: so a field a later version of the incident adds
(people, acts, a place's P-code) is amendable without a new event type.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError

from schemas.incident import IncidentAsWrittenSchema
from schemas.people import check_record
from services.casework.domain.errors import CommandRefused, InvalidValue
from sitreps.acts import perpetrator_categories, perpetrator_category, victim_counts, violation_types

MAX_REASON = 500  # as schemas.case.IncidentAmendedSchema.reason
# Not amendable, and why: each names what an officer should do instead.
REFUSED = {
    "reported_at": "the report's time anchors the recording clock, which the SLA monitor owns; amending it would "
                   "silently move a deadline",
    "sitrep_id": "the situation report an incident came from identifies it (its incident key)",
    "incident_number": "the incident's number in its situation report identifies it (its incident key)",
    "office": "the office holds the case and its clocks",
    "assignee": "a Team Leader assigns the case (assign)",
    "identities": "identities are sealed apart from the case's details (ADR 10)",
}
# With acts (incident version 2), these derive from them (sitreps' derivation): an amendment changes the acts.
DERIVED = ("violation_types", "victims")
_SCHEMA = IncidentAsWrittenSchema()
_NO_TIME = datetime.max.replace(tzinfo=UTC)  # derived fields hold no time: the order rule never applies


def amendable() -> tuple[str, ...]:
    """The fields an amendment may change, in the schema's order."""
    return tuple(name for name in _SCHEMA.fields if name not in REFUSED)


def written(name: str, value: Any, reported_at: datetime) -> Any:
    """A value as the incident as written would take it, in its JSON form; CommandRefused names the field.

    `reported_at` is given so that the schema's rule across fields (occurred not after reported) holds."""
    field = _SCHEMA.fields[name]
    data = {field.data_key or name: value, "reported_at": reported_at.isoformat()}
    try:
        loaded = _SCHEMA.load(data, partial=True)
    except ValidationError as exc:
        messages = exc.normalized_messages()
        problem = messages.get(field.data_key or name, messages)
        raise InvalidValue(name, f"{name}: {_words(problem)}") from None
    return _SCHEMA.dump({name: loaded[name]})[field.data_key or name]


def checked(current: Mapping[str, Any], changes: Mapping[str, Any], reported_at: datetime) -> dict[str, dict]:
    """The changes as the event carries them ({field: {old, new}}, JSON values), or CommandRefused: a field not
    amendable, a new value that is invalid, an old value that is no longer the case's (someone amended it since),
    or nothing that changes."""
    if not isinstance(changes, Mapping) or not changes:
        raise InvalidValue("changes", "an amendment changes at least one field")
    out: dict[str, dict] = {}
    for name, change in changes.items():
        if name in DERIVED and ("acts" in changes or current.get("acts")):
            raise InvalidValue(name, f"{name} derives from the incident's acts: amend the acts")
        if name in REFUSED:
            raise InvalidValue(name, f"{name} cannot be amended: {REFUSED[name]}")
        if name not in _SCHEMA.fields:
            raise InvalidValue(name, f"{name} is not a field of an incident (amendable: {', '.join(amendable())})")
        if not isinstance(change, Mapping) or "new" not in change:
            raise InvalidValue(name, f"{name}: give the old and the new value")
        held, new = current.get(name), written(name, change["new"], reported_at)
        if _same(name, change.get("old"), held, reported_at) is False:
            raise CommandRefused(f"{name} is no longer {_shown(change.get('old'))} but {_shown(held)}: someone "
                                 "changed it since; reload the case and amend what it holds now")
        if _same(name, new, held, reported_at):
            continue
        out[name] = {"old": held, "new": new}
    if not out:
        raise CommandRefused("the amendment changes nothing: every new value is the one the case already holds")
    if "people" in out or "acts" in out or ("perpetrator_category" in out and current.get("acts")):
        out |= _with_acts(current, out)
    return out


def _with_acts(current: Mapping[str, Any], changes: Mapping[str, Mapping[str, Any]]) -> dict[str, dict]:
    """People or acts amended: the incident's rules across them (an act names people of role victim...) hold, as
    intake holds them; the violation list and victim counts follow the acts (sitreps' one derivation), each shown
    in the history as a change of its own."""
    after = amended(current, changes)
    try:
        check_record({**after, "acts": after.get("acts") or [], "people": after.get("people") or []})
    except ValidationError as exc:
        name, message = _first(exc.normalized_messages())
        raise InvalidValue(name.split(".")[0], f"{name}: {message}") from None
    acts = after.get("acts") or []
    if not acts:
        return {}
    given, categories = after.get("perpetrator_category"), perpetrator_categories(acts)
    if "perpetrator_category" in changes and given not in categories:
        raise InvalidValue("perpetrator_category", f"perpetrator_category: {given} is none of the acts' perpetrators "
                                                   f"({', '.join(categories)}); amend the acts")
    counts = victim_counts(after.get("people") or [], acts)
    derived = {"violation_types": violation_types(acts),
               "victims": {name.rstrip("_"): n for name, n in counts.items()},
               "perpetrator_category": perpetrator_category(acts, given)}
    return {name: {"old": current.get(name), "new": value} for name, value in derived.items()
            if name not in changes and not _same(name, value, current.get(name), _NO_TIME)}


def _first(messages: Any, path: str = "") -> tuple[str, str]:
    """The first problem of marshmallow's nested messages, with its dotted field path (acts.0.victims)."""
    if isinstance(messages, Mapping):
        key, value = next(iter(messages.items()))
        return _first(value, f"{path}.{key}" if path else str(key))
    if isinstance(messages, list | tuple):
        return path, " ".join(str(m) for m in messages)
    return path, str(messages)


def amended(details: Mapping[str, Any], changes: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The details after an amendment: each field's new value."""
    return {**details, **{name: change["new"] for name, change in changes.items()}}


def _same(name: str, a: Any, b: Any, reported_at: datetime) -> bool:
    """Equal as values of the field (an instant written with Z or +00:00 is the same instant)."""
    if a == b:
        return True
    try:
        return bool(written(name, a, reported_at) == written(name, b, reported_at))
    except InvalidValue:
        return False


def _shown(value: Any) -> str:
    return "empty" if value in (None, "", [], {}) else repr(value)


def _words(problem: Any) -> str:
    if isinstance(problem, Mapping):
        return "; ".join(f"{k}: {_words(v)}" for k, v in problem.items())
    if isinstance(problem, list | tuple):
        return " ".join(_words(p) for p in problem)
    return str(problem)
