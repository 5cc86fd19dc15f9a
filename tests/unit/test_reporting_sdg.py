"""SDG 16.10.1 in `hrcase report`: victims who are defenders, journalists or trade unionists, by the indicator's five
violations, counted from incidents' people and acts; incidents without people add 0 and the report says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from reference.vocabularies import shipped
from services.reporting.adapters.markdown import render as render_markdown
from services.reporting.domain import sdg
from services.reporting.domain.compliance import build_report, table_named
from services.reporting.domain.events import Event, History
from services.reporting.domain.model import Scope, Targets

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def person(ref: str, occupation: str | None, role: str = "victim") -> dict[str, Any]:
    return {"ref": ref, "role": role, "sex": "female", "age_group": "adult", "age": None, "occupation": occupation,
            "protection_risk": "high", "consent": None}


def act(violation: str, *victims: str) -> dict[str, Any]:
    return {"violation_type": violation, "victims": list(victims), "perpetrator_category": "armed_group",
            "perpetrator_unit": None, "occurred_at": None, "place_pcode": None}


def incident(number: int, people: list[dict[str, Any]] | None = None, acts: list[dict[str, Any]] | None = None,
             office: str = "Mopti") -> Event:
    """An IncidentAccepted payload as version 2 names its fields (version 1 has neither people nor acts)."""
    payload: dict[str, Any] = {"sitrep_id": "SR-1", "incident_number": number, "reported_at": T0, "occurred_at": T0,
                               "office": office, "location": "Sévaré", "violation_types": ["killing"],
                               "perpetrator_category": "armed_group", "victims": {"unknown": 1},
                               "source_type": "media", "summary": "x"}
    if people is not None:
        payload |= {"people": people, "acts": acts or []}
    return Event("IncidentAccepted", T0, f"SR-1/{number}", payload, number)


def test_each_victim_of_a_group_counts_once_under_each_violation_an_act_names_them_in() -> None:
    incidents = [
        incident(1, [person("p1", "journalist"), person("p2", "human_rights_defender"), person("p3", "other"),
                     person("p4", "journalist", role="witness")],
                 [act("abduction", "p1", "p2", "p3"), act("torture", "p1"), act("killing", "p2"),
                  act("torture", "p1")]),
        incident(2, [person("p1", "trade_unionist"), person("p2", None)],
                 [act("arbitrary_detention", "p1", "p2"), act("injury", "p1")]),
        incident(3, [person("p1", "trade_unionist")], [act("threats_and_intimidation", "p1")]),
    ]
    counts = sdg.count([e.payload for e in incidents], shipped())
    assert dict(counts.by_violation) == {
        ("journalist", "kidnapping"): 1, ("journalist", "torture"): 1,
        ("human_rights_defender", "kidnapping"): 1, ("human_rights_defender", "killing"): 1,
        ("trade_unionist", "arbitrary_detention"): 1}
    assert dict(counts.victims) == {"human_rights_defender": 1, "journalist": 1, "trade_unionist": 1}
    assert (counts.incidents, counts.with_people, counts.victims_without_act) == (3, 3, 0)


def test_version_1_incidents_count_0_and_the_report_says_occupation_is_recorded_only_with_people() -> None:
    history = History(incidents=(incident(1), incident(2),
                                 incident(3, [person("p1", "journalist"), person("p2", "human_rights_defender")],
                                          [act("enforced_disappearance", "p1")]),
                                 incident(4, [person("p1", "journalist")], [act("killing", "p1")], office="Gao")))
    report = build_report(history, Scope(as_of=T0 + timedelta(days=30), office="Mopti"), Targets("test"))
    table = table_named(report, "sdg_16_10_1")
    assert table.columns == ("Victims who are", "Killing", "Kidnapping", "Enforced disappearance",
                             "Arbitrary detention", "Torture", "Victims of any of the five")
    assert table.rows == (
        ("Human rights defender", 0, 0, 0, 0, 0, 0),
        ("Journalist or associated media personnel", 0, 0, 1, 0, 0, 1),
        ("Trade unionist", 0, 0, 0, 0, 0, 0),
        ("All three groups", 0, 0, 1, 0, 0, 1),
    )
    section = next(s for s in report.sections if s.title.startswith("9. SDG 16.10.1"))
    words = " ".join(section.text)
    assert "Occupation is recorded only for incidents reported with people: 1 of the 3 incidents" in words
    assert "The other 2 record no people" in words and "add 0 here" in words
    assert "1 victim of these groups is named by no act" in words
    markdown = render_markdown(report)
    assert "## 9. SDG 16.10.1: human rights defenders, journalists and trade unionists" in markdown
    assert "abduction as kidnapping" in markdown


def test_a_period_of_version_1_incidents_only_shows_zeros_never_a_figure_from_nowhere() -> None:
    counts = sdg.count([incident(n).payload for n in (1, 2)], shipped())
    assert (sum(counts.by_violation.values()), sum(counts.victims.values()), counts.with_people) == (0, 0, 0)
    assert "0 of the 2 incidents" in " ".join(sdg.text(counts, shipped()))
