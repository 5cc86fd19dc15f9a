"""Duplicate review in the report (ADR 0022): Team Leaders' decisions on likely duplicates, from the case events."""

from __future__ import annotations

from collections.abc import Sequence
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


def decisions(case_events: Sequence[Event], cases: Sequence[CaseFacts], as_of: datetime) -> Decisions:
    """The decisions on the report's cases up to its date (`as_of`)."""
    ids = {c.case_id: c.office for c in cases}
    dismissed: dict[str, set[str]] = {}
    merged: dict[str, int] = {}
    for e in case_events:
        office = ids.get(e.key)
        if office is None or e.occurred_at > as_of:
            continue
        if e.type == "DuplicateDismissed":
            dismissed.setdefault(office, set()).add(e.payload["pair_id"])
        elif e.type == "CaseMerged":
            merged[office] = merged.get(office, 0) + 1
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
