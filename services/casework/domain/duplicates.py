"""Likely duplicates: which two cases may be one incident reported twice, and what a Team Leader's decision does."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from services.casework.domain.case import Case, Event
from services.casework.domain.errors import CommandRefused, InvalidValue
from services.casework.domain.roles import User

# Occurrence dates this close may be one incident: a report dates it by when it became known as often as by when it
# happened, and a second report of it comes days later.
WINDOW = timedelta(days=3)
# Summaries at least this similar (trigrams shared over trigrams of either, pg_trgm's measure and its default
# threshold) name the same thing in other words; below it two incidents of one region are told apart.
SIMILAR = 0.3
DECISIONS = ("distinct", "same")
MERGEABLE = ("reported", "preliminary", "investigation", "concluded", "closure_requested")
MAX_NOTE = 4000
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Facts:
    """What the comparison reads of a case (a row of the case read model: nothing that identifies anyone)."""

    case_id: str
    sitrep_id: str | None
    occurred_at: datetime | None
    place: str
    place_pcode: str | None
    region_pcode: str | None
    violations: frozenset[str]
    summary: str


@dataclass(frozen=True)
class Likely:
    """A pair to review: its cases in case-id order, the summaries' similarity and why the pair was kept."""

    first: str
    second: str
    score: float
    reasons: tuple[str, ...]


def facts_of(row: Mapping[str, Any]) -> Facts:
    """From a `case_summaries` row (violations stored " a b ")."""
    return Facts(case_id=row["case_id"], sitrep_id=row["sitrep_id"], occurred_at=row["occurred_at"],
                 place=row["place"] or "", place_pcode=row["place_pcode"], region_pcode=row["region_pcode"],
                 violations=frozenset(row["violations"].split()), summary=row["excerpt"] or "")


def _plain(text: str) -> str:
    stripped = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


@lru_cache(maxsize=2048)  # a case is compared with many in a batch: its trigrams are made once
def trigrams(text: str) -> frozenset[str]:
    """pg_trgm's trigrams: each word lower-cased, padded with two spaces before and one after."""
    return frozenset(p[i:i + 3] for p in (f"  {w} " for w in _WORD.findall(text.lower())) for i in range(len(p) - 2))


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): the trigrams both share over the trigrams of either (0 when neither has any)."""
    first, second = trigrams(a), trigrams(b)
    shared = len(first & second)
    either = len(first) + len(second) - shared
    return shared / either if either else 0.0


def likely(a: Facts, b: Facts, score: float | None = None) -> Likely | None:
    """The pair if a Team Leader should look at it, else None. Both occurred within WINDOW of each other and share a
    violation, and either at the same place (gazetteer unit, or the same place name) or in the same region with
    summaries at least SIMILAR. `score`: the summaries' similarity as PostgreSQL measured it, else measured here."""
    if a.case_id == b.case_id or a.occurred_at is None or b.occurred_at is None:
        return None
    if abs(a.occurred_at - b.occurred_at) > WINDOW or not a.violations & b.violations:
        return None
    same_place = (a.place_pcode is not None and a.place_pcode == b.place_pcode) or (
        not a.place_pcode and not b.place_pcode and bool(_plain(a.place)) and _plain(a.place) == _plain(b.place))
    same_region = a.region_pcode is not None and a.region_pcode == b.region_pcode
    if not same_place and not same_region:
        return None
    score = similarity(a.summary, b.summary) if score is None else score
    similar = score >= SIMILAR
    if not same_place and not (same_region and similar):
        return None
    reasons = ["window", "same_place" if same_place else "same_region", "violation"]
    if similar:
        reasons.append("similar_summary")
    if a.sitrep_id and a.sitrep_id == b.sitrep_id:
        reasons.append("same_report")
    first, second = sorted((a.case_id, b.case_id))
    return Likely(first, second, round(score, 3), tuple(reasons))


def pair_id(first: str, second: str) -> str:
    """Deterministic: the same two cases found twice are one pair."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hrcase:duplicate-pair:{first}:{second}"))


def decide(pair: Mapping[str, Any], first: Case, second: Case, decision: str, survivor: str | None, note: str,
           actor: User, now: datetime) -> list[Event]:
    """The events of a decision on an open pair: distinct (a note on both cases), or the same incident (the other
    case closes as merged into `survivor`, which records what it absorbed). Refuses what the pair's or cases' state
    forbids (CommandRefused) and bad values (InvalidValue); who may decide is the role policy's."""
    if pair["status"] != "open":
        raise CommandRefused(f"this pair was already decided: {pair['status']}")
    if decision not in DECISIONS:
        raise InvalidValue("decision", f"decision: one of {', '.join(DECISIONS)}")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidValue("note", f"note: at most {MAX_NOTE} characters")
    base = {"pair_id": pair["pair_id"], "note": note}
    if decision == "distinct":
        if not note:  # a refusal of the decision as given (409), as a closure without its reason is
            raise CommandRefused("note: say why these are distinct incidents")
        return [Event("DuplicateDismissed", {**case.common(actor.username), **base, "other_case_id": other.case_id,
                                             "other_reference": other.reference}, now)
                for case, other in ((first, second), (second, first))]
    by_ref = {first.case_id: (first, second), first.reference: (first, second),
              second.case_id: (second, first), second.reference: (second, first)}
    if survivor not in by_ref:
        raise CommandRefused(f"survivor: {first.reference} or {second.reference}")
    kept, merged = by_ref[survivor]
    for case in (kept, merged):
        if case.stage not in MERGEABLE:
            raise CommandRefused(f"case {case.reference} is {case.stage}: a Director reopens it before a merge")
    return [
        Event("CaseMerged", {**merged.common(actor.username, "closed"), **base, "previous_stage": merged.stage,
                             "into_case_id": kept.case_id, "into_reference": kept.reference}, now),
        Event("DuplicateAbsorbed", {**kept.common(actor.username), **base, "from_case_id": merged.case_id,
                                    "from_reference": merged.reference}, now),
    ]
