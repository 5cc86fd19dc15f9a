"""Amending an incident's details and dating an activity in the past: the workflow's rules, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas.registry import dump_payload, load_payload
from services.casework.domain import commands as c
from services.casework.domain.amendments import amendable
from services.casework.domain.case import Case, apply
from services.casework.domain.errors import CommandRefused, InvalidValue
from services.casework.domain.roles import User
from services.casework.domain.workflow import decide

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=10)
DETAILS = {"sitrep_id": "SR-1", "occurred_at": "2026-03-01T06:00:00+00:00", "location": "Sevare",
           "violation_types": ["killing"], "perpetrator_category": "armed_group",
           "victims": {"female_adult": 0, "female_child": 0, "male_adult": 1, "male_child": 0, "unknown": 0},
           "source_type": "direct_witness", "summary": "a man killed at the market"}
AWA = User("awa", "hro", "Mopti")
TL = User("tl_mopti", "team_leader", "Mopti")
DIRECTOR = User("dir_gao", "director", "Gao")


def case_at(stage: str = "preliminary", **changes: Any) -> Case:
    case = Case(case_id="case-1", reference="MOP-2026-0001", incident_key="SR-1#1", office="Mopti", stage=stage,
                reported_at=T0, registered_at=T0, assignee="awa", recorded_at=T0 + timedelta(days=1),
                last_activity_at=T0 + timedelta(days=2), version=3, details=dict(DETAILS))
    return replace(case, **changes)


def amend(case: Case, changes: dict[str, Any], actor: User = AWA, reason: str = "the sitrep misspelt the town") -> Any:
    return decide(case, c.AmendIncident(case.case_id, actor.username, reason, changes), actor, NOW)


def test_an_amendment_carries_each_field_old_and_new_with_the_reason_and_changes_the_details() -> None:
    [event] = amend(case_at(), {"location": {"old": "Sevare", "new": "Mopti"},
                                "violation_types": {"old": ["killing"], "new": ["killing", "abduction"]}})
    assert event.type == "IncidentAmended" and event.occurred_at == NOW
    assert event.payload["changes"] == {"location": {"old": "Sevare", "new": "Mopti"},
                                        "violation_types": {"old": ["killing"], "new": ["killing", "abduction"]}}
    assert (event.payload["actor"], event.payload["reason"]) == ("awa", "the sitrep misspelt the town")
    after = apply(case_at(), event)
    assert after.details["location"] == "Mopti" and after.details["violation_types"] == ["killing", "abduction"]
    assert after.last_activity_at == case_at().last_activity_at  # not work on the case: no clock moves
    # The event as it goes out and comes back, through its published schema.
    assert load_payload("IncidentAmended", 1, dump_payload("IncidentAmended", 1, event.payload))["changes"] == \
        event.payload["changes"]


def test_an_unchanged_field_is_left_out_and_an_amendment_that_changes_nothing_is_refused() -> None:
    [event] = amend(case_at(), {"location": {"old": "Sevare", "new": "Mopti"},
                                "summary": {"old": DETAILS["summary"], "new": DETAILS["summary"]}})
    assert list(event.payload["changes"]) == ["location"]
    with pytest.raises(CommandRefused, match="changes nothing"):
        amend(case_at(), {"location": {"old": "Sevare", "new": "Sevare"}})


def test_an_old_value_the_case_no_longer_holds_is_refused_as_stale() -> None:
    with pytest.raises(CommandRefused, match="location is no longer 'Gao' but 'Sevare'") as refused:
        amend(case_at(), {"location": {"old": "Gao", "new": "Mopti"}})
    assert not isinstance(refused.value, InvalidValue)  # a conflict with the case, not a bad value


def test_the_same_instant_written_another_way_is_the_same_old_value() -> None:
    [event] = amend(case_at(), {"occurred_at": {"old": "2026-03-01T06:00:00Z", "new": "2026-02-28T22:00:00Z"}})
    assert event.payload["changes"]["occurred_at"] == {"old": "2026-03-01T06:00:00+00:00",
                                                       "new": "2026-02-28T22:00:00+00:00"}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"reported_at": {"old": T0.isoformat(), "new": (T0 - timedelta(days=3)).isoformat()}}, "reported_at",
     "anchors the recording clock"),
    ({"occurred_at": {"old": DETAILS["occurred_at"], "new": (T0 + timedelta(days=1)).isoformat()}}, "occurred_at",
     "occurred after it was reported"),
    ({"violation_types": {"old": ["killing"], "new": ["teleportation"]}}, "violation_types", "violation_types"),
    ({"victims": {"old": DETAILS["victims"], "new": {"male_adult": -1}}}, "victims", "male_adult"),
    ({"location": {"old": "Sevare", "new": "Mop\x1bti"}}, "location", "control character"),
    ({"colour": {"old": None, "new": "red"}}, "colour", "not a field of an incident"),
    ({"office": {"old": "Mopti", "new": "Gao"}}, "office", "cannot be amended"),
    ({}, "changes", "at least one field"),
])
def test_an_invalid_or_unamendable_field_is_refused_naming_it(changes: dict, field: str, message: str) -> None:
    with pytest.raises(InvalidValue, match=message) as refused:
        amend(case_at(), changes)
    assert refused.value.field == field


def test_every_fact_of_the_incident_is_amendable_but_its_identity_office_and_report_time() -> None:
    assert {"occurred_at", "location", "violation_types", "perpetrator_category", "victims", "source_type",
            "summary"} <= set(amendable())
    assert not {"reported_at", "sitrep_id", "incident_number", "office", "identities"} & set(amendable())


def test_a_reason_is_required_and_held_to_the_text_rule() -> None:
    for reason, message in (("  ", "say why"), ("x" * 501, "at most 500"), ("a\x00b", "control character")):
        with pytest.raises(InvalidValue, match=message):
            amend(case_at(), {"location": {"old": "Sevare", "new": "Mopti"}}, reason=reason)


@pytest.mark.parametrize(("actor", "stage", "allowed"), [
    (AWA, "reported", True), (AWA, "concluded", True), (TL, "investigation", True), (DIRECTOR, "preliminary", True),
    (User("bakary", "hro", "Mopti"), "preliminary", False),
    (User("tl_gao", "team_leader", "Gao"), "preliminary", False),
    (TL, "closure_requested", False), (TL, "closed", False),
])
def test_who_may_amend_and_at_which_stage(actor: User, stage: str, allowed: bool) -> None:
    attempt = lambda: amend(case_at(stage), {"location": {"old": "Sevare", "new": "Mopti"}}, actor)  # noqa: E731
    if allowed:
        assert attempt()[0].payload["changes"]["location"]["new"] == "Mopti"
    else:
        with pytest.raises(CommandRefused):
            attempt()


def log(case: Case, at: datetime | None, stall_due: datetime | None = None) -> Any:
    return decide(case, c.LogActivity(case.case_id, "awa", "met the family", at), AWA, NOW, stall_due=stall_due)


def test_an_activity_dated_in_the_past_is_an_event_of_that_time() -> None:
    yesterday = NOW - timedelta(days=1)
    [event] = log(case_at(), yesterday)
    assert event.occurred_at == yesterday
    assert apply(case_at(), event).last_activity_at == yesterday  # the stall clock restarts from then


@pytest.mark.parametrize(("at", "stall_due", "message"), [
    (NOW + timedelta(minutes=5), None, "is in the future"),
    (T0 + timedelta(days=1), None, "not before the case's last change, 2026-03-04 08:00 UTC"),
    (NOW - timedelta(days=2), NOW - timedelta(days=1), "when the case's stall clock fell due"),
])
def test_an_activity_cannot_be_dated_ahead_before_the_last_change_or_before_a_passed_deadline(
        at: datetime, stall_due: datetime | None, message: str) -> None:
    with pytest.raises(InvalidValue, match=message) as refused:
        log(case_at(), at, stall_due)
    assert refused.value.field == "at"


def test_a_deadline_still_ahead_does_not_bound_the_date() -> None:
    at = NOW - timedelta(days=2)
    assert log(case_at(), at, stall_due=NOW + timedelta(days=3))[0].occurred_at == at
