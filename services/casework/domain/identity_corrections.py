"""Correcting a person's identifying fields (names and their spelling variants, date of birth, contact): which fields
change, each new value checked as a report would have it written (ADR 20).

The rule works on identities in the clear, which only the handler holds (it opens and re-seals them with the vault);
the event it leads to names the fields changed, never their values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

from schemas.case import IDENTIFYING_FIELDS
from schemas.people import PersonIdentitySchema
from services.casework.domain.errors import CommandRefused, InvalidValue

MAX_REASON = 500  # as schemas.case.IdentityCorrectedSchema.reason
_SCHEMA = PersonIdentitySchema()


def corrected(current: Mapping[str, Any] | None, given: Mapping[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """The fields that change (in the schema's order) and the person's whole identity after the correction, in its
    JSON form; InvalidValue names a bad field, CommandRefused says when nothing changes.

    `current`: the person's identity as the case holds it (None: none recorded yet, so names are needed); `given`:
    the fields to set, each absent one kept as it is (null clears date_of_birth or contact)."""
    unknown = [name for name in given if name not in IDENTIFYING_FIELDS]
    if unknown:
        raise InvalidValue(unknown[0], f"{unknown[0]}: not an identifying field (correctable: "
                                       f"{', '.join(IDENTIFYING_FIELDS)})")
    if not given:
        raise InvalidValue("names", "give at least one of " + ", ".join(IDENTIFYING_FIELDS) + " to correct")
    held = _SCHEMA.dump(_SCHEMA.load(dict(current))) if current else None
    if held is None and "names" not in given:
        raise InvalidValue("names", "names: this person has no identity recorded yet; give their names first")
    try:
        after = _SCHEMA.dump(_SCHEMA.load({**(held or {}), **given}))
    except ValidationError as exc:
        name, problem = next(iter(exc.normalized_messages().items()))
        raise InvalidValue(str(name), f"{name}: {_words(problem)}") from None
    if any(not name.strip() for name in after["names"]):
        raise InvalidValue("names", "names: a name cannot be blank")
    changed = [name for name in IDENTIFYING_FIELDS if held is None or after.get(name) != held.get(name)]
    if not changed:
        raise CommandRefused("the correction changes nothing: every value given is the one the case already holds")
    return changed, after


def reason_of(text: str | None) -> str:
    """The reason as the event carries it; InvalidValue naming `reason` when missing or too long."""
    reason = " ".join((text or "").split())
    if not reason:
        raise InvalidValue("reason", "reason: say why the person's identity is corrected")
    if len(reason) > MAX_REASON:
        raise InvalidValue("reason", f"reason: at most {MAX_REASON} characters")
    return reason


def with_identity(identities: Mapping[str, Any], ref: str, identity: Mapping[str, Any]) -> dict[str, Any]:
    """A case's identities with person `ref`'s replaced; an empty identity (an export that withholds the person)
    removes theirs."""
    people = {k: v for k, v in (identities.get("people") or {}).items() if k != ref}
    if identity:
        people[ref] = dict(identity)
    return {**identities, "people": people}


def _words(problem: Any) -> str:
    if isinstance(problem, Mapping):
        return "; ".join(f"{k}: {_words(v)}" for k, v in problem.items())
    if isinstance(problem, list | tuple):
        return " ".join(_words(p) for p in problem)
    return str(problem)
