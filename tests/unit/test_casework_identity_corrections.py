"""Correcting a person's identifying fields: what changes, what is refused, and that the event names fields only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schemas.registry import dump_payload, load_payload
from services.casework.domain import commands as c
from services.casework.domain.case import Case, Event, apply
from services.casework.domain.errors import CommandRefused, InvalidValue
from services.casework.domain.identity_corrections import corrected, with_identity
from services.casework.domain.roles import User
from services.casework.domain.workflow import decide
from services.vault import IdentityVault

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=10)
AMINATA = {"names": ["Aminata Traore"], "date_of_birth": "1990-04-01", "contact": "+223 70 00 00 00"}
AWA, BAKARY, DIRECTOR = User("awa", "hro", "Mopti"), User("bakary", "hro", "Mopti"), User("dia", "director", "Mopti")


def case_at(stage: str = "investigation") -> Case:
    return Case(case_id="case-1", reference="MOP-2026-0001", incident_key="SR-1#1", office="Mopti", stage=stage,
                reported_at=T0, registered_at=T0, assignee="awa", recorded_at=T0, version=3,
                details={"people": [{"ref": "p1", "role": "victim"}, {"ref": "p2", "role": "witness"}]})


def correct(given: dict, reason: str = "spelling checked with the family", current: dict | None = AMINATA,
            actor: User = AWA, stage: str = "investigation") -> dict:
    command = c.CorrectIdentity("case-1", actor.username, "p1", given, reason, current)
    [event] = decide(case_at(stage), command, actor, NOW)
    return event.payload


def test_a_new_spelling_changes_the_names_only_and_keeps_the_other_fields() -> None:
    changed, after = corrected(AMINATA, {"names": ["Aminata Traoré", "Aminata Traore"]})
    assert changed == ["names"]
    assert after == {**AMINATA, "names": ["Aminata Traoré", "Aminata Traore"]}


def test_date_of_birth_and_contact_can_be_corrected_and_contact_cleared() -> None:
    changed, after = corrected(AMINATA, {"date_of_birth": "1991-04-01", "contact": None})
    assert changed == ["date_of_birth", "contact"]
    assert after["date_of_birth"] == "1991-04-01" and after["contact"] is None


def test_each_bad_value_is_refused_naming_its_field() -> None:
    with pytest.raises(InvalidValue, match="date_of_birth: Not a valid date") as bad_date:
        corrected(AMINATA, {"date_of_birth": "1 April 1990"})
    assert bad_date.value.field == "date_of_birth"
    with pytest.raises(InvalidValue, match="names: ") as no_names:
        corrected(AMINATA, {"names": []})
    assert no_names.value.field == "names"
    with pytest.raises(InvalidValue, match="sex: not an identifying field") as open_field:
        corrected(AMINATA, {"sex": "female"})
    assert open_field.value.field == "sex"
    with pytest.raises(InvalidValue, match="names: this person has no identity recorded yet"):
        corrected(None, {"contact": "+223 1"})


def test_a_correction_that_changes_nothing_is_refused() -> None:
    with pytest.raises(CommandRefused, match="changes nothing"):
        corrected(AMINATA, {"names": ["Aminata Traore"], "contact": "+223 70 00 00 00"})


def test_the_event_names_the_fields_and_the_reason_and_seals_to_the_wire() -> None:
    payload = correct({"names": ["Aminata Traoré"]})
    assert payload["changed"] == ["names"] and payload["reason"] == "spelling checked with the family"
    assert payload["person"] == "p1" and payload["actor"] == "awa"
    vault = IdentityVault.generate()
    wire = dump_payload("IdentityCorrected", 1, {**payload, "identity": vault.seal(payload["identity"])})
    assert "Traor" not in str(wire) and "1990" not in str(wire)  # no value in the clear
    assert vault.open(load_payload("IdentityCorrected", 1, wire)["identity"])["names"] == ["Aminata Traoré"]
    with pytest.raises(Exception, match="sealed at the edge"):
        dump_payload("IdentityCorrected", 1, {**payload, "identity": "Aminata"})


def test_the_same_people_as_an_amendment_may_correct_at_any_stage_but_another_officer_may_not() -> None:
    assert correct({"contact": "+223 1"}, actor=DIRECTOR, stage="closed")["actor"] == "dia"
    with pytest.raises(CommandRefused, match="only the assigned officer"):
        correct({"contact": "+223 1"}, actor=BAKARY)
    with pytest.raises(InvalidValue, match="reason: say why"):
        correct({"contact": "+223 1"}, reason="  ")
    with pytest.raises(InvalidValue, match="person: case MOP-2026-0001 has no person 'p9'"):
        decide(case_at(), c.CorrectIdentity("case-1", "awa", "p9", {"contact": "1"}, "why", None), AWA, NOW)


def test_a_correction_keeps_the_case_details_and_replaces_only_that_persons_identity() -> None:
    payload = correct({"names": ["Aminata Traoré"]})
    after = apply(case_at(), Event("IdentityCorrected", payload, NOW))
    assert after.details == case_at().details and after.version == 4
    identities = {"victims": [], "people": {"p1": AMINATA, "p2": {"names": ["Oumar"]}}}
    assert with_identity(identities, "p1", payload["identity"])["people"] == {
        "p1": {**AMINATA, "names": ["Aminata Traoré"]}, "p2": {"names": ["Oumar"]}}
    assert with_identity(identities, "p1", {})["people"] == {"p2": {"names": ["Oumar"]}}  # withheld in an export
