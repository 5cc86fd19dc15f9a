"""Controlled vocabularies shared by every service: the terms of reference/ (violations, perpetrators, sources...),
as the installation's vocabulary file holds them, and the fixed words of the workflow (stages, clocks, reasons)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import overload

from reference.vocabularies import Vocabularies, shipped

# Where the terms come from: the shipped vocabularies until a runtime installs its settings' file (`use`).
_source: list[Callable[[], Vocabularies]] = [shipped]


def use(source: Callable[[], Vocabularies]) -> None:
    """Take the terms from `source` from now on (the runtime's vocabulary file, re-read when an admin changes it)."""
    _source[0] = source


def current() -> Vocabularies:
    """The vocabularies in effect in this process."""
    return _source[0]()


class Codes(Sequence[str]):
    """Every code of a vocabulary, retired ones included (old events name them): read at each use, so a term an
    admin adds is accepted on the wire without a restart."""

    def __init__(self, vocabulary: str):
        self.vocabulary = vocabulary
        # Every event validates several codes: the list is worked out once per version of the vocabularies in effect.
        self._seen: Vocabularies | None = None
        self._codes_seen: tuple[str, ...] = ()
        self._set_seen: frozenset[str] = frozenset()

    def _codes(self) -> tuple[str, ...]:
        self._refresh()
        return self._codes_seen

    def _refresh(self) -> None:
        vocabularies = current()
        if vocabularies is not self._seen:
            codes = vocabularies[self.vocabulary].codes(include_retired=True)
            self._codes_seen, self._set_seen, self._seen = codes, frozenset(codes), vocabularies

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._codes()[index]

    def __len__(self) -> int:
        return len(self._codes())

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes())

    def __contains__(self, code: object) -> bool:
        self._refresh()
        return code in self._set_seen

    def __eq__(self, other: object) -> bool:
        return tuple(self) == (tuple(other) if isinstance(other, Sequence) else other)

    def __hash__(self) -> int:
        return hash(self.vocabulary)

    def __repr__(self) -> str:
        return f"Codes({self.vocabulary!r})"


def offered(vocabulary: str) -> tuple[str, ...]:
    """The codes a form or command offers: the vocabulary's terms that are not retired."""
    return current()[vocabulary].codes()


def term_label(vocabulary: str, code: str, language: str) -> str | None:
    """A term's label in `language` (English when it has none), or None for a code the vocabulary lacks."""
    try:
        return current()[vocabulary].term(code).label(language)
    except KeyError:
        return None


VIOLATION_TYPES = Codes("violation_types")
PERPETRATOR_CATEGORIES = Codes("perpetrator_types")
SOURCE_TYPES = Codes("source_types")
SOURCE_RELIABILITY = Codes("source_reliability")
OCCUPATIONS = Codes("occupation_categories")

STAGES = ("reported", "preliminary", "investigation", "concluded", "closure_requested", "closed")
OPEN_STAGES = ("preliminary", "investigation", "concluded")

CLOSURE_REASONS = ("concluded", "unsubstantiated", "duplicate", "merged")
DELAY_REASONS = ("access_constraints", "security", "awaiting_information", "other")
FOLLOW_UP_KINDS = ("handover_national_authorities", "referral_to_services", "advocacy", "public_report", "other")

ROLES = ("hro", "team_leader", "director", "auditor", "admin")
CLOCKS = ("recording", "stall", "review", "closure_approval")
SLA_LEVELS = ("warning", "breach", "escalation", "cleared")
CLOCK_STATES = ("running", "paused", "stopped")  # SlaScheduled.state
CLOCK_OUTCOMES = ("met", "missed")  # a stopped clock: before its due instant, or at or after it
