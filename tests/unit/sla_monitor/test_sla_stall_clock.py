"""The stall clock: from the last activity or stage change in an open stage; breaches repeat, then escalate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sla_builders import USEC, Run, case_event, day, levels


def recorded(run: Run, at: float = 0) -> None:
    run.apply(case_event("CaseRecorded", day(at)))


def stall_events(events: list) -> list[tuple[str, str, int]]:
    return [x for x in levels(events) if x[0] == "stall"]


@pytest.mark.parametrize(("stage", "goal"), [("preliminary", 30), ("investigation", 60), ("concluded", 30)])
def test_stall_breach_falls_after_the_goal_of_the_stage(stage: str, goal: int) -> None:
    run = Run()
    run.apply(case_event("StageChanged", day(0), stage=stage))
    assert stall_events(run.tick(day(goal) - USEC)) == []
    [breach] = run.tick(day(goal))
    assert (breach.clock, breach.level, breach.period, breach.recipient_role) == ("stall", "breach", 1, "team_leader")
    assert breach.stage == stage


def test_stall_breaches_repeat_every_period_without_activity() -> None:
    run = Run()
    recorded(run)
    breaches = [e for e in run.tick(day(150)) if e.clock == "stall" and e.level == "breach"]
    assert [(e.period, e.due_at) for e in breaches] == [(n, day(30 * n)) for n in range(1, 6)]


def test_stall_escalates_to_the_director_together_with_the_second_breach() -> None:
    run = Run()
    recorded(run)
    assert stall_events(run.tick(day(60) - USEC)) == [("stall", "breach", 1)]
    out = run.tick(day(60))
    assert stall_events(out) == [("stall", "breach", 2), ("stall", "escalation", 2)]
    assert out[1].recipient_role == "director"
    assert out[1].occurred_at == day(60)


def test_stall_escalates_only_once_per_stall() -> None:
    run = Run()
    recorded(run)
    escalations = [e for e in run.tick(day(365)) if e.level == "escalation"]
    assert len(escalations) == 1


def test_activity_restarts_the_stall_clock_and_clears_its_breach() -> None:
    run = Run()
    recorded(run)
    run.tick(day(31))
    [cleared] = run.apply(case_event("ActivityLogged", day(40)))
    assert (cleared.clock, cleared.level, cleared.reason, cleared.period) == ("stall", "cleared", "activity logged", 1)
    assert (cleared.due_at, cleared.occurred_at) == (day(30), day(40))
    assert run.clock("stall").next_due == day(70)


def test_activity_before_any_breach_restarts_the_stall_clock_quietly() -> None:
    run = Run()
    recorded(run)
    assert run.apply(case_event("ActivityLogged", day(29))) == []
    assert run.clock("stall").next_due == day(59)


def test_a_new_stall_after_activity_gets_new_ids_and_can_escalate_again() -> None:
    run = Run()
    recorded(run)
    first = run.tick(day(60))
    run.apply(case_event("ActivityLogged", day(61)))
    second = run.tick(day(121))
    assert stall_events(second) == [("stall", "breach", 1), ("stall", "breach", 2), ("stall", "escalation", 2)]
    assert not {e.event_id for e in first} & {e.event_id for e in second}


def test_a_stage_change_restarts_the_stall_clock_with_the_goal_of_the_new_stage() -> None:
    run = Run()
    recorded(run)
    run.tick(day(45))
    [cleared] = run.apply(case_event("StageChanged", day(50), stage="investigation"))
    assert cleared.reason == "stage changed"
    assert run.clock("stall").next_due == day(110)


def test_a_follow_up_restarts_the_stall_clock() -> None:
    run = Run()
    run.apply(case_event("StageChanged", day(0), stage="concluded"))
    run.apply(case_event("FollowUpRecorded", day(20), stage="concluded"))
    assert run.clock("stall").next_due == day(50)


def test_a_justified_delay_moves_every_pending_stall_deadline_by_its_length() -> None:
    run = Run()
    recorded(run)
    assert run.apply(case_event("DelayJustified", day(10), until=day(25))) == []
    assert run.clock("stall").next_due == day(45)
    out = run.tick(day(75))
    assert stall_events(out) == [("stall", "breach", 1), ("stall", "breach", 2), ("stall", "escalation", 2)]
    assert [e.due_at for e in out if e.clock == "stall"] == [day(45), day(75), day(75)]


def test_a_justified_delay_after_a_breach_moves_only_the_deadlines_still_pending() -> None:
    run = Run()
    recorded(run)
    run.tick(day(31))
    run.apply(case_event("DelayJustified", day(35), until=day(40)))
    assert run.clock("stall").next_due == day(65)
    assert run.clock("stall").periods_fired == 1


def test_a_justified_delay_ending_in_the_past_changes_nothing() -> None:
    run = Run()
    recorded(run)
    before = run.clock("stall")
    run.apply(case_event("DelayJustified", day(10), until=day(10)))
    assert run.clock("stall") == before


def test_overlapping_delays_pause_the_stall_clock_only_once() -> None:
    run = Run()
    recorded(run)
    run.apply(case_event("DelayJustified", day(10), until=day(20)))
    run.apply(case_event("DelayJustified", day(15), until=day(25)))  # 10..25 paused: 15 days in all
    assert run.clock("stall").pause_shift == timedelta(days=15)
    assert run.clock("stall").next_due == day(45)


def test_a_justified_delay_moves_neither_review_nor_closure_approval() -> None:
    run = Run()
    recorded(run)
    run.apply(case_event("DelayJustified", day(10), until=day(30)))
    assert run.clock("review").next_due == day(90)


def test_activity_after_a_delay_starts_a_stall_with_no_pause() -> None:
    run = Run()
    recorded(run)
    run.apply(case_event("DelayJustified", day(10), until=day(30)))
    run.apply(case_event("ActivityLogged", day(12)))
    assert run.clock("stall").pause_shift == timedelta(0)
    assert run.clock("stall").next_due == day(42)
