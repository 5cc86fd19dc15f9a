"""Duplicate review in the report (ADR 0022): Team Leaders' decisions on likely duplicates, from the case events."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.reporting.domain.cases import CaseFacts
from services.reporting.domain.events import Event
from services.reporting.domain.model import Section, Table


@dataclass(frozen=True)
class Decisions:
    """Pairs decided as distinct incidents, and cases merged into another as the same one, per office."""

    dismissed: dict[str, set[str]]  # office: pair ids (a pair of two offices counts in each)
    merged: dict[str, int]  # office of the merged case: cases

    def totals(self) -> tuple[int, int]:
        return len(set().union(*self.dismissed.values())), sum(self.merged.values())


KINDS = ("DuplicateDismissed", "CaseMerged")


class Decided:
    """The decisions on likely duplicates as the case events arrive, by case up to the report date: few, so kept
    until the report's cases are known."""

    def __init__(self, as_of: datetime) -> None:
        self.as_of = as_of
        self.by_case: dict[str, list[tuple[str, str]]] = {}  # case_id: (event type, pair id)

    def add(self, event: Event) -> None:
        if event.type in KINDS and event.occurred_at <= self.as_of:
            p = event.payload
            self.by_case.setdefault(p["case_id"], []).append((event.type, p["pair_id"]))


def decisions(decided: Decided, cases: Iterable[CaseFacts]) -> Decisions:
    """The decisions on the report's cases up to its date."""
    dismissed: dict[str, set[str]] = {}
    merged: dict[str, int] = {}
    for case in cases:
        for kind, pair in decided.by_case.get(case.case_id, ()):
            if kind == "DuplicateDismissed":
                dismissed.setdefault(case.office, set()).add(pair)
            else:
                merged[case.office] = merged.get(case.office, 0) + 1
    return Decisions(dismissed, merged)


def section(found: Decisions, number: int) -> Section:
    offices = sorted({*found.dismissed, *found.merged})
    rows = [(o, len(found.dismissed.get(o, ())), found.merged.get(o, 0)) for o in offices]
    distinct, merged = found.totals()
    rows.append(("Total", distinct, merged))
    table = Table("duplicate_decisions", "Likely duplicates decided by Team Leaders",
                  ("Office", "Pairs found to be distinct incidents", "Cases merged into another"), tuple(rows),
                  note="A pair of cases of two offices counts under each office, and once in the total.")
    text = (f"Team Leaders found {distinct:,} pairs of likely duplicates to be distinct incidents and merged "
            f"{merged:,} cases into another case as the same incident (closed as merged, their clocks stopped; "
            "section 5 counts them apart from closures a Director approved).",)
    return Section(f"{number}. Duplicate review", text, (table,))
