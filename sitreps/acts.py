"""The one derivation of an incident's violation list, victim counts and perpetrator category from its acts (who did
what to whom)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.errors import SchemaError
from schemas.people import age_group_of

COUNTED = ("female_adult", "female_child", "male_adult", "male_child")
COUNTS = (*COUNTED, "unknown_")  # as schemas.incident.VictimCountsSchema loads them ("unknown" on the wire)


def violation_types(acts: list[Mapping[str, Any]]) -> list[str]:
    """The acts' violation types, each once, in the order the acts first name them."""
    return list(dict.fromkeys(act["violation_type"] for act in acts))


def perpetrator_categories(acts: list[Mapping[str, Any]]) -> list[str]:
    """The acts' perpetrator categories, each once, in the order the acts first name them."""
    return list(dict.fromkeys(str(act["perpetrator_category"]) for act in acts if act.get("perpetrator_category")))


def perpetrator_category(acts: list[Mapping[str, Any]], given: str | None = None) -> str | None:
    """The incident's one perpetrator category: the one given when an act names it (the officer's choice of the main
    one), else the first act's (acts are listed main one first); each act keeps its own."""
    categories = perpetrator_categories(acts)
    if given is not None and given in categories:
        return given
    return categories[0] if categories else given


def victim_counts(people: list[Mapping[str, Any]], acts: list[Mapping[str, Any]]) -> dict[str, int]:
    """The victims any act names, each counted once, by sex and age group (anything else is unknown), keyed as the
    loaded record keys them."""
    named = {ref for act in acts for ref in act.get("victims") or ()}
    counts = dict.fromkeys(COUNTS, 0)
    for person in people:
        if person["ref"] in named and person.get("role") == "victim":
            group = f"{person.get('sex')}_{age_group_of(person)}"
            counts[group if group in COUNTED else "unknown_"] += 1
    return counts


def derive(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record with `violation_types`, `victims` and `perpetrator_category` from its acts; without acts, as it is.
    A record that gives them too must agree with its acts (its perpetrator category: one an act names), or
    SchemaError names the field."""
    acts = record.get("acts") or []
    if not acts:
        return dict(record)
    types, counts = violation_types(acts), victim_counts(record.get("people") or [], acts)
    errors: dict[str, list[str]] = {}
    given_types = record.get("violation_types")
    if given_types is not None and list(dict.fromkeys(given_types)) != types:
        errors["violation_types"] = [f"{', '.join(given_types)} disagrees with the acts' "
                                     f"{', '.join(types)}; leave it out to take the acts'"]
    given = record.get("victims")
    if given is not None:
        given_counts = {name: int(given.get(name) or 0) for name in COUNTS}
        if given_counts != counts:
            errors["victims"] = [f"{_counts(given_counts)} disagrees with the acts' victims "
                                 f"({_counts(counts)}); leave it out to take the acts'"]
    perpetrator, categories = record.get("perpetrator_category"), perpetrator_categories(acts)
    if perpetrator is not None and categories and perpetrator not in categories:
        errors["perpetrator_category"] = [f"{perpetrator} is none of the acts' perpetrators ({', '.join(categories)}); "
                                          "leave it out to take the first act's"]
    if errors:
        raise SchemaError(errors)
    derived = {**record, "violation_types": types, "victims": counts}
    if categories:
        derived["perpetrator_category"] = perpetrator_category(acts, perpetrator)
    return derived


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name.rstrip('_')} {n}" for name, n in counts.items() if n) or "none"
