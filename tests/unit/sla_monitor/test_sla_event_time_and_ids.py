"""Event time and identity: deadlines fire before later events, at their own times, with fixed ids."""

from __future__ import annotations

import uuid
from datetime import timedelta, timezone

import pytest
from sla_builders import Run, case_event, day, levels

from services.sla_monitor.domain.clocks import CaseEvent
from services.sla_monitor.domain.events import NAMESPACE, event_id


def test_an_event_first_fires_the_deadlines_that_fell_due_before_it() -> None:
    run = Run()
    run.apply(case_event("CaseRecorded", day(0)))
    out = run.apply(case_event("ActivityLogged", day(31)))  # no tick ran in between
    assert levels(out) == [("stall", "breach", 1), ("stall", "cleared", 1)]
    assert [e.occurred_at for e in out] == [day(30), day(31)]


def test_a_deadline_falling_exactly_at_an_event_fires_before_the_event_applies() -> None:
    run = Run()
    run.apply(case_event("CaseRecorded", day(0)))
    out = run.apply(case_event("ActivityLogged", day(30)))
    assert levels(out) == [("stall", "breach", 1), ("stall", "cleared", 1)]


def test_sla_events_occur_at_their_due_time_whenever_the_tick_runs() -> None:
    early, late = Run(), Run()
    for run in (early, late):
        run.apply(case_event("CaseRecorded", day(0)))
    early.tick(day(30))
    late.tick(day(59))
    assert early.emitted == late.emitted


def test_event_ids_are_uuid5_of_case_clock_episode_period_and_level() -> None:
    run = Run()
    run.apply(case_event("CaseRecorded", day(0)))
    [breach] = run.tick(day(30))
    episode = day(0).isoformat()
    assert breach.episode == episode
    assert breach.event_id == event_id("c-0001", "stall", episode, 1, "breach")
    assert breach.event_id == str(uuid.uuid5(NAMESPACE, f"c-0001:stall:{episode}:1:breach"))


@pytest.mark.parametrize("case_id", ["c-0001", "case-00000000", "Ségou/ünïcode-\u2603", "x" * 64, ""])
@pytest.mark.parametrize("period", [0, 1, 17, 1000])
def test_event_ids_are_exactly_what_the_uuid_module_makes_for_any_name(case_id: str, period: int) -> None:
    for clock, level in (("recording", "warning"), ("stall", "escalation"), ("closure_approval", "cleared")):
        name = f"{case_id}:{clock}:2024-03-04T08:00:00.250000+00:00:{period}:{level}"
        expected = str(uuid.uuid5(NAMESPACE, name))
        assert event_id(case_id, clock, "2024-03-04T08:00:00.250000+00:00", period, level) == expected


def test_the_episode_of_a_clock_is_its_anchor_in_utc_whatever_offset_the_event_carried() -> None:
    run = Run()
    same_instant_at_utc_plus_two = day(0).astimezone(timezone(timedelta(hours=2)))
    run.apply(case_event("CaseRecorded", same_instant_at_utc_plus_two))
    assert run.clock("stall").episode == "2024-03-04T08:00:00+00:00"


def test_an_alert_acknowledgement_moves_no_clock() -> None:
    run = Run()
    run.apply(case_event("CaseRecorded", day(0)))
    before = dict(run.clocks["c-0001"])
    assert run.apply(case_event("AlertAcknowledged", day(5))) == []
    assert run.clocks["c-0001"] == before


def test_an_event_type_this_version_does_not_know_moves_no_clock() -> None:
    run = Run()
    run.apply(case_event("CaseRecorded", day(0)))
    before = dict(run.clocks["c-0001"])
    unknown = CaseEvent("CaseArchived", day(40), {"case_id": "c-0001", "stage": "closed"})
    assert levels(run.apply(unknown)) == [("stall", "breach", 1)]  # time still passed
    assert run.clocks["c-0001"]["review"] == before["review"]
    assert run.clocks["c-0001"]["stall"].stage == "preliminary"


def test_a_restart_at_the_anchor_of_the_running_episode_keeps_that_episode() -> None:
    run = Run()
    run.apply(case_event("CaseRegistered", day(9), reported_at=day(0)))
    before = run.clock("recording")
    assert before.escalated
    assert run.apply(case_event("CaseRegistered", day(9), reported_at=day(0))) == []  # delivered again, new id
    assert run.clock("recording") == before
