"""How each case event changes a case, case references, and the stored form of a case, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.casework.adapters import state
from services.casework.domain.case import Case, Event, apply, registered
from services.casework.domain.reference import case_id_for, office_code, reference

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
AT = T0 + timedelta(days=5)


def case_at(stage: str = "preliminary", **changes: Any) -> Case:
    case = Case(case_id="case-1", reference="MOP-2026-0001", incident_key="SR-1#1", office="Mopti", stage=stage,
                reported_at=T0, registered_at=T0, assignee="awa", recorded_at=T0 + timedelta(days=1),
                last_activity_at=T0 + timedelta(days=1), version=3)
    return replace(case, **changes)


def event(type_: str, stage: str, **payload: Any) -> Event:
    common = {"case_id": "case-1", "reference": "MOP-2026-0001", "office": "Mopti", "stage": stage,
              "actor": "awa", "assignee": "awa"}
    return Event(type_, common | payload, AT)


def test_a_registered_incident_becomes_a_reported_case_at_version_one() -> None:
    payload = {"case_id": "case-1", "reference": "MOP-2026-0001", "office": "Mopti", "stage": "reported",
               "actor": "system", "assignee": None, "incident_key": "SR-1#1", "reported_at": T0,
               "possible_duplicates": ["SR-0#2"]}
    case = registered(Event("CaseRegistered", payload, T0 + timedelta(hours=1)), {"location": "Sevare"})
    assert (case.stage, case.version, case.assignee, case.recorded_at) == ("reported", 1, None, None)
    assert (case.reported_at, case.registered_at) == (T0, T0 + timedelta(hours=1))
    assert case.possible_duplicates == ("SR-0#2",)
    assert case.details == {"location": "Sevare"}


def test_recording_moves_the_case_to_preliminary_and_starts_its_activity() -> None:
    after = apply(case_at("reported", recorded_at=None, last_activity_at=None), event("CaseRecorded", "preliminary"))
    assert (after.stage, after.recorded_at, after.last_activity_at) == ("preliminary", AT, AT)


def test_an_assignment_changes_only_the_assignee() -> None:
    before = case_at()
    after = apply(before, event("CaseAssigned", "preliminary", assignee="bakary", previous_assignee="awa"))
    assert after == replace(before, assignee="bakary", version=before.version + 1)


@pytest.mark.parametrize(("type_", "extra"), [
    ("ActivityLogged", {"description": "met the family"}),
    ("StageChanged", {"previous_stage": "preliminary"}),
])
def test_activity_and_stage_changes_count_as_activity(type_: str, extra: dict[str, Any]) -> None:
    after = apply(case_at(), event(type_, "investigation" if type_ == "StageChanged" else "preliminary", **extra))
    assert after.last_activity_at == AT


def test_a_stage_change_moves_the_case_to_the_stage_the_event_names() -> None:
    after = apply(case_at(), event("StageChanged", "investigation", previous_stage="preliminary"))
    assert after.stage == "investigation"


def test_a_follow_up_is_added_to_the_cases_follow_ups_and_counts_as_activity() -> None:
    before = case_at("closed", follow_ups=("advocacy",))
    after = apply(before, event("FollowUpRecorded", "closed", kind="public_report"))
    assert (after.follow_ups, after.last_activity_at, after.stage) == (("advocacy", "public_report"), AT, "closed")


def test_a_justified_delay_is_kept_with_its_reason_end_and_when_it_was_given() -> None:
    until = AT + timedelta(days=20)
    after = apply(case_at("investigation"), event("DelayJustified", "investigation", reason="security", until=until,
                                                  note="road closed"))
    assert after.delay == {"reason": "security", "until": until, "note": "road closed", "at": AT}
    assert after.last_activity_at == case_at().last_activity_at  # a delay explains inactivity; it is not activity


def test_a_review_is_not_activity_but_restarts_the_review_period() -> None:
    after = apply(case_at(), event("CaseReviewed", "preliminary", actor="tl_mopti"))
    assert (after.last_review_at, after.last_activity_at) == (AT, case_at().last_activity_at)


def test_a_closure_request_remembers_who_proposed_it_why_and_the_stage_it_came_from() -> None:
    after = apply(case_at("investigation"), event("ClosureRequested", "closure_requested", actor="tl_mopti",
                                                  previous_stage="investigation", reason="duplicate",
                                                  note="same as SR-2#4"))
    assert after.stage == "closure_requested"
    assert after.closure == {"proposer": "tl_mopti", "reason": "duplicate", "note": "same as SR-2#4",
                             "previous_stage": "investigation", "requested_at": AT}


def closure(previous_stage: str = "concluded") -> dict[str, Any]:
    return {"proposer": "awa", "reason": "concluded", "note": "n", "previous_stage": previous_stage,
            "requested_at": T0}


def test_an_approved_closure_closes_the_case_and_names_the_approver() -> None:
    after = apply(case_at("closure_requested", closure=closure()),
                  event("ClosureApproved", "closed", actor="director", proposer="awa"))
    assert (after.stage, after.closed_at, after.approved_by) == ("closed", AT, "director")


def test_a_rejected_closure_clears_the_request_and_returns_to_the_earlier_stage() -> None:
    after = apply(case_at("closure_requested", closure=closure("investigation")),
                  event("ClosureRejected", "investigation", actor="director", proposer="awa", note="not yet"))
    assert (after.stage, after.closure, after.last_activity_at) == ("investigation", None, AT)


def test_a_reopened_case_forgets_its_closure_and_is_under_investigation_again() -> None:
    closed = case_at("closed", closure=closure(), closed_at=T0, approved_by="director")
    after = apply(closed, event("CaseReopened", "investigation", actor="deputy", reason="new witness"))
    assert (after.stage, after.closure, after.closed_at, after.approved_by) == ("investigation", None, None, None)
    assert after.last_activity_at == AT


def test_an_acknowledged_alert_is_history_but_not_case_state() -> None:
    before = case_at()
    assert apply(before, event("AlertAcknowledged", "preliminary", actor="tl_mopti", alert_id="a-1")) is before


@pytest.mark.parametrize("type_", ["CaseRecorded", "CaseAssigned", "ActivityLogged", "StageChanged",
                                   "DelayJustified", "CaseReviewed", "ClosureRequested", "ClosureApproved",
                                   "ClosureRejected", "FollowUpRecorded", "CaseReopened"])
def test_every_case_changing_event_raises_the_version_by_one_and_leaves_the_old_case_as_it_was(type_: str) -> None:
    payload = {"previous_stage": "concluded", "reason": "security", "until": AT, "note": "n", "kind": "other",
               "proposer": "awa", "description": "d"}
    before = case_at("closure_requested", closure=closure())
    after = apply(before, event(type_, "concluded", **payload))
    assert after.version == before.version + 1
    assert before == case_at("closure_requested", closure=closure())


# References -----------------------------------------------------------------------------------------------

def test_a_reference_is_the_office_code_the_year_reported_and_a_four_digit_sequence() -> None:
    assert reference("Mopti", 2026, 7) == "MOP-2026-0007"
    assert reference("Timbuktu", 2025, 12345) == "TIM-2025-12345"


@pytest.mark.parametrize(("office", "code"), [("Gao", "GAO"), ("menaka", "MEN"), ("N'Djamena", "NDJ"),
                                              ("Ab", "ABX"), ("42", "OFF")])
def test_an_office_code_is_three_letters_of_its_name(office: str, code: str) -> None:
    assert office_code(office) == code


def test_the_same_incident_always_gets_the_same_case_id_and_another_incident_another() -> None:
    assert case_id_for("SR-1#1") == case_id_for("SR-1#1") != case_id_for("SR-1#2")


# The stored form --------------------------------------------------------------------------------------------

def test_a_case_with_every_field_set_reads_back_from_its_stored_form_unchanged() -> None:
    case = case_at("closed", closure=closure(), closed_at=AT, approved_by="director", last_review_at=AT,
                   delay={"reason": "security", "until": AT, "note": "", "at": T0}, follow_ups=("advocacy",),
                   possible_duplicates=("SR-0#1",), details={"location": "Sevare", "victims": {"unknown": 2}})
    assert state.loads(state.dumps(case)) == case
