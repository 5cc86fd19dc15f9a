"""Consent recorded and withdrawn after intake, and what it lets be shared: the workflow's rules, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas.registry import dump_payload, load_payload
from services.casework.domain import commands as c
from services.casework.domain.case import Case, apply
from services.casework.domain.consent import withheld
from services.casework.domain.errors import CommandRefused, InvalidValue
from services.casework.domain.roles import User
from services.casework.domain.units import Unit, act_unit_problems
from services.casework.domain.workflow import decide

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=10)
YES = {"recorded": True, "contact": True, "share_with": ["CNDH", "UNHCR"], "referral": True, "obtained_by": "awa",
       "obtained_at": "2026-03-01T10:00:00+00:00", "withdrawn_at": None}
PEOPLE = [{"ref": "p1", "role": "victim", "consent": dict(YES)}, {"ref": "p2", "role": "witness", "consent": dict(YES)}]
AWA, BAKARY = User("awa", "hro", "Mopti"), User("bakary", "hro", "Mopti")


def case_at(stage: str = "concluded", people: list[dict[str, Any]] | None = None) -> Case:
    return Case(case_id="case-1", reference="MOP-2026-0001", incident_key="SR-1#1", office="Mopti", stage=stage,
                reported_at=T0, registered_at=T0, assignee="awa", recorded_at=T0, version=3,
                details={"location": "Sevare", "people": PEOPLE if people is None else people})


def run(case: Case, command: c.Command, actor: User = AWA) -> Case:
    [event] = decide(case, command, actor, NOW)
    wire = dump_payload(event.type, 1, event.payload)  # the event as it goes out, and as a replay reads it
    assert load_payload(event.type, 1, wire)["person"] == event.payload["person"]
    return apply(case, event)


def follow_up(case: Case, kind: str, partner: str | None) -> str:
    [event] = decide(case, c.RecordFollowUp(case.case_id, "awa", kind, "", partner), AWA, NOW)
    return str(event.payload["partner"])


def test_a_partial_withdrawal_removes_what_was_withdrawn_and_dates_it() -> None:
    after = run(case_at(), c.WithdrawConsent("case-1", "awa", "p1", ("share_with",), ("cndh",)))
    p1 = after.details["people"][0]["consent"]
    assert p1["share_with"] == ["UNHCR"] and p1["referral"] is True and p1["withdrawn_at"] == NOW.isoformat()
    assert withheld(after.details["people"]) == []  # a partner is left: still shared with them
    everything = run(after, c.WithdrawConsent("case-1", "awa", "p1", ("all",)))
    assert everything.details["people"][0]["consent"] | {"withdrawn_at": None} == {
        **YES, "recorded": False, "contact": False, "share_with": [], "referral": False}
    assert withheld(everything.details["people"]) == ["p1"]
    assert everything.details["people"][1] == PEOPLE[1]


def test_a_handover_goes_ahead_before_a_withdrawal_and_is_refused_after_it_naming_the_person() -> None:
    assert follow_up(case_at(), "handover_national_authorities", " UNHCR ") == "UNHCR"
    after = run(case_at(), c.WithdrawConsent("case-1", "awa", "p2", ("share_with",)))
    with pytest.raises(CommandRefused, match=r"p2 \(witness\) has not consented to sharing with UNHCR \(withdrawn\)"):
        follow_up(after, "handover_national_authorities", "UNHCR")
    with pytest.raises(InvalidValue, match="partner: name who the case is handed over to"):
        follow_up(after, "handover_national_authorities", None)
    assert follow_up(after, "referral_to_services", None) == "None"  # p2 withdrew sharing, not referral
    assert follow_up(after, "advocacy", None) == "None"  # shares nobody's information
    renewed = run(after, c.RecordConsent("case-1", "awa", "p2", {"share_with": ["UNHCR"], "recorded": True}))
    assert renewed.details["people"][1]["consent"]["withdrawn_at"] is None
    assert renewed.details["people"][1]["consent"]["obtained_by"] == "awa"
    assert follow_up(renewed, "handover_national_authorities", "unhcr") == "unhcr"


def test_a_case_without_people_is_handed_over_as_before() -> None:
    assert follow_up(case_at(people=[]), "handover_national_authorities", None) == "None"


def test_consent_is_refused_for_an_unknown_person_another_officer_or_a_bad_value() -> None:
    with pytest.raises(InvalidValue, match=r"person: case MOP-2026-0001 has no person 'p9' \(people: p1, p2\)"):
        decide(case_at(), c.WithdrawConsent("case-1", "awa", "p9", ("all",)), AWA, NOW)
    with pytest.raises(CommandRefused, match=r"only the assigned officer \(awa\)"):
        decide(case_at(), c.WithdrawConsent("case-1", "bakary", "p1", ("all",)), BAKARY, NOW)
    with pytest.raises(InvalidValue, match="withdrawn: photos is not one of"):
        decide(case_at(), c.WithdrawConsent("case-1", "awa", "p1", ("photos",)), AWA, NOW)
    with pytest.raises(InvalidValue, match="withdrawn_at: is in the future"):
        decide(case_at(), c.WithdrawConsent("case-1", "awa", "p1", ("all",), (), NOW + timedelta(hours=1)), AWA, NOW)
    with pytest.raises(InvalidValue, match="share_with"):
        decide(case_at(), c.RecordConsent("case-1", "awa", "p1", {"share_with": "CNDH"}), AWA, NOW)
    closed = replace(case_at("closed"))
    assert run(closed, c.WithdrawConsent("case-1", "awa", "p1", ("all",))).stage == "closed"


def test_an_acts_unit_must_be_on_the_list_unless_the_case_already_held_it() -> None:
    units = [Unit("fama-1", "FAMa 1st", "state_armed_forces", True, T0),
             Unit("old", "Old unit", "state_armed_forces", True, T0, retired=True)]
    act = {"violation_type": "killing", "victims": ["p1"], "perpetrator_category": "state_armed_forces"}
    assert act_unit_problems([{**act, "perpetrator_unit": "fama-1"}], units) == []
    assert act_unit_problems([act, {**act, "perpetrator_unit": "nope"}], units) == [
        ("acts.1.perpetrator_unit", "acts.1.perpetrator_unit: 'nope' is not a unit on the admin's list (`GET /units`)")]
    held = {**act, "perpetrator_unit": "old"}
    assert act_unit_problems([held], units, unchanged=[held]) == []
    assert act_unit_problems([held], units)[0][0] == "acts.0.perpetrator_unit"
