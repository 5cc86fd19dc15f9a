"""SDG indicator 16.10.1: victims who are human rights defenders, journalists and associated media personnel, or
trade unionists, counted by the indicator's five violations, from the people and acts that incidents carry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reference.vocabularies import SDG_16_10_1_VIOLATIONS, Vocabularies
from services.reporting.domain.model import Section, Table

VIOLATION_TITLES = {"killing": "Killing", "kidnapping": "Kidnapping", "enforced_disappearance":
                    "Enforced disappearance", "arbitrary_detention": "Arbitrary detention", "torture": "Torture"}


@dataclass(frozen=True)
class SdgCounts:
    """Victims of each group by SDG violation (a victim once per violation), and each group's distinct victims."""

    groups: tuple[str, ...]  # occupation codes of the indicator's groups, in the vocabulary's order
    by_violation: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (group, violation) -> victims
    victims: Mapping[str, int] = field(default_factory=dict)  # group -> victims of any of the five
    incidents: int = 0  # incidents counted from
    with_people: int = 0  # of them, those reported with people (the only ones that record occupations)
    victims_without_act: int = 0  # victims of the groups whom no act names: no violation to count them under


def count(incidents: Iterable[Mapping[str, Any]], vocabularies: Vocabularies) -> SdgCounts:
    """Count over incident payloads (IncidentAccepted, version 2 or upcast from 1: `people`, `acts`).

    A victim counts under a violation when an act of a type mapped to it names them; an act's victims are refs of
    the incident's people with role victim. Version 1 incidents record no people, and so count nothing."""
    tally = Tally(vocabularies)
    for payload in incidents:
        tally.add(payload)
    return tally.counts()


class Tally:
    """The counts of `count`, kept one incident at a time as the log is read."""

    def __init__(self, vocabularies: Vocabularies) -> None:
        occupations = vocabularies["occupation_categories"]
        self.groups = tuple(t.code for t in occupations.terms if t.sdg_16_10_1)
        self.mapped = {t.code: t.sdg_16_10_1_violation for t in vocabularies["violation_types"].terms
                       if t.sdg_16_10_1_violation}
        self.by_violation: dict[tuple[str, str], int] = {}
        self.victims = dict.fromkeys(self.groups, 0)
        self.n = self.with_people = self.unnamed = 0

    def add(self, payload: Mapping[str, Any]) -> None:
        groups, mapped, by_violation = self.groups, self.mapped, self.by_violation
        self.n += 1
        people = payload.get("people") or []
        self.with_people += bool(people)
        group_of = {p["ref"]: p.get("occupation") for p in people
                    if p.get("role") == "victim" and p.get("occupation") in groups}
        suffered: dict[str, set[str]] = {ref: set() for ref in group_of}
        for act in payload.get("acts") or []:
            violation = mapped.get(act.get("violation_type"))
            for ref in act.get("victims") or []:
                if ref in suffered and violation is not None:
                    suffered[ref].add(violation)
        named = {ref for act in payload.get("acts") or [] for ref in act.get("victims") or []}
        self.unnamed += sum(1 for ref in group_of if ref not in named)
        for ref, violations in suffered.items():
            group = str(group_of[ref])
            for violation in violations:
                by_violation[group, violation] = by_violation.get((group, violation), 0) + 1
            self.victims[group] += bool(violations)

    def counts(self) -> SdgCounts:
        return SdgCounts(self.groups, dict(self.by_violation), dict(self.victims), self.n, self.with_people,
                         self.unnamed)


def section(counts: SdgCounts, vocabularies: Vocabularies, number: int) -> Section:
    occupations = vocabularies["occupation_categories"]
    rows = [(occupations.term(g).label("en"), *(counts.by_violation.get((g, v), 0) for v in SDG_16_10_1_VIOLATIONS),
             counts.victims.get(g, 0)) for g in counts.groups]
    rows.append(("All three groups", *(sum(counts.by_violation.get((g, v), 0) for g in counts.groups)
                                       for v in SDG_16_10_1_VIOLATIONS), sum(counts.victims.values())))
    table = Table("sdg_16_10_1", "Victims by group and violation (SDG indicator 16.10.1)",
                  ("Victims who are", *(VIOLATION_TITLES[v] for v in SDG_16_10_1_VIOLATIONS),
                   "Victims of any of the five"), tuple(rows),
                  note="A victim counts once under each violation an act names them in, and once in the last column.")
    return Section(f"{number}. SDG 16.10.1: human rights defenders, journalists and trade unionists",
                   text(counts, vocabularies), (table,))


def text(counts: SdgCounts, vocabularies: Vocabularies) -> tuple[str, ...]:
    mapped = [f"{t.code} as {t.sdg_16_10_1_violation}" for t in vocabularies["violation_types"].terms
              if t.sdg_16_10_1_violation]
    lines = [
        "SDG indicator 16.10.1 counts verified cases of killing, kidnapping, enforced disappearance, arbitrary "
        "detention and torture of journalists and associated media personnel, trade unionists and human rights "
        "defenders. These are the victims of such acts in the incidents of the period as reported (alleged, not yet "
        f"verified: a case's findings verify them). Violation types counted: {', '.join(mapped)}.",
        f"Occupation is recorded only for incidents reported with people: {counts.with_people:,} of the "
        f"{counts.incidents:,} incidents of the period. The other {counts.incidents - counts.with_people:,} record "
        "no people (victims as counts only), so they add 0 here: that is not a finding that no such victim exists.",
    ]
    n = counts.victims_without_act
    if n:
        lines.append(f"{n:,} {'victim' if n == 1 else 'victims'} of these groups {'is' if n == 1 else 'are'} named "
                     "by no act of the incident, and so under no violation: not counted.")
    return tuple(lines)
