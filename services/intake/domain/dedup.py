"""De-duplication: the same incident is accepted once; a conflicting version and a likely duplicate are never merged."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.intake.domain.incident import content_hash
from sitreps.key import key_of

CONFLICT = "conflicts with incident already accepted under this key; the first version is kept"


@dataclass(frozen=True)
class Facts:
    """What de-duplication compares about an incident (and what intake stores of an accepted one)."""

    incident_key: str
    content_hash: str
    sitrep_id: str
    occurred_on: date
    location: str  # normalised
    violation_types: frozenset[str]


@dataclass(frozen=True)
class Accept:
    possible_duplicates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Replay:
    """Seen before with the same content: nothing to do, nothing to emit."""


@dataclass(frozen=True)
class Conflict:
    reason: str = CONFLICT


Decision = Accept | Replay | Conflict


def normalise_location(text: str) -> str:
    """Case, accents and spacing vary between offices' spelling of one place ("Niafunké" / "NIAFUNKE ")."""
    stripped = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def facts_of(record: Mapping[str, Any], identities_digest: str) -> Facts:
    """Facts of a validated record (times already in UTC, so the date is the UTC date); `identities_digest` is the
    keyed digest of its identities, which stands for them in the content hash."""
    return Facts(
        incident_key=key_of(record),
        content_hash=content_hash(record, identities_digest),
        sitrep_id=record["sitrep_id"],
        occurred_on=record["occurred_at"].date(),
        location=normalise_location(record["location"]),
        violation_types=frozenset(record["violation_types"]),
    )


def is_likely_duplicate(candidate: Facts, other: Facts) -> bool:
    """Another report of the same day, place and (some) violation: for a Team Leader to review."""
    return (
        other.sitrep_id != candidate.sitrep_id
        and other.occurred_on == candidate.occurred_on
        and other.location == candidate.location
        and bool(other.violation_types & candidate.violation_types)
    )


def decide(candidate: Facts, same_key: Facts | None, same_place_and_day: Iterable[Facts],
           also_same: Callable[[], Iterable[str]] = tuple) -> Decision:
    """Replay, conflict or accept (naming likely duplicates); `same_key` is what was accepted under its key.

    `also_same` gives the candidate's content hashes as they were made before (under an identity key since rotated,
    or with identities in the clear): asked only when the key is taken and today's hash differs.
    """
    if same_key is not None:
        same = same_key.content_hash == candidate.content_hash or same_key.content_hash in set(also_same())
        return Replay() if same else Conflict()
    likely = sorted(
        other.incident_key
        for other in same_place_and_day
        if other.incident_key != candidate.incident_key and is_likely_duplicate(candidate, other)
    )
    return Accept(tuple(likely))
