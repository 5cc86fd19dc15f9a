"""What casework shows and sorts by: the schedules the monitor published for the case, nothing worked out again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.casework.domain.schedules import Schedule, from_event, next_deadline, running, sla_state
from tests.unit.sla_monitor.sla_builders import Run, case_event, day


def shown(run: Run, case_id: str = "c-0001") -> list[Schedule]:
    """As casework keeps them: the latest published schedule of each clock."""
    latest: dict[str, Schedule] = {}
    for s in run.schedules:
        if s.case_id == case_id:
            latest[s.clock] = from_event(s.payload())
    return list(latest.values())


def history(*events: tuple[str, float, dict]) -> Run:
    run = Run()
    for type_, at, fields in events:
        run.apply(case_event(type_, day(at), **fields))
    return run


REGISTERED = ("CaseRegistered", 0, {})


def recorded(at: float) -> tuple[str, float, dict]:
    return "CaseRecorded", at, {"reported_at": day(0)}


def test_a_reported_case_runs_against_the_recording_goal_from_its_report_time() -> None:
    deadline = next_deadline(shown(history(REGISTERED)))
    assert deadline is not None and (deadline.clock, deadline.due_at) == ("recording", day(4))
    assert [sla_state(deadline, day(d)) for d in (1, 3, 4, 10)] == ["on_track", "due_soon", "overdue", "overdue"]


@pytest.mark.parametrize(("stage", "goal"), [("preliminary", 30), ("investigation", 60), ("concluded", 30)])
def test_an_open_case_runs_against_its_stage_stall_goal_from_the_last_activity(stage: str, goal: int) -> None:
    run = history(REGISTERED, recorded(1), ("ActivityLogged", 5, {"stage": stage}))
    stall = next(s for s in shown(run) if s.clock == "stall")
    assert stall.due_at == day(5 + goal) and stall.warn_at == day(5 + goal) - timedelta(days=goal) / 4


def test_a_justified_delay_moves_the_stall_deadline_and_shows_the_case_as_paused() -> None:
    run = history(REGISTERED, recorded(1), ("StageChanged", 5, {}),
                  ("DelayJustified", 10, {"stage": "investigation", "until": day(25)}))
    stall = next(s for s in shown(run) if s.clock == "stall")
    assert stall.due_at == day(5 + 60 + 15) and stall.paused_until == day(25)
    assert (sla_state(stall, day(20)), sla_state(stall, day(26))) == ("paused", "on_track")


def test_overlapping_delays_count_once_as_the_monitor_counts_them() -> None:
    run = history(REGISTERED, recorded(1), ("StageChanged", 5, {}),
                  ("DelayJustified", 10, {"stage": "investigation", "until": day(25)}),
                  ("DelayJustified", 20, {"stage": "investigation", "until": day(30)}))
    stall = next(s for s in shown(run) if s.clock == "stall")
    assert stall.due_at == day(5 + 60 + 15 + 5)  # the second moves it only by the part beyond the first


def test_the_review_clock_comes_first_when_activity_is_frequent_but_reviews_are_not() -> None:
    run = history(REGISTERED, recorded(1), ("StageChanged", 5, {}),
                  ("ActivityLogged", 80, {"stage": "investigation"}))
    deadline = next_deadline(shown(run))
    assert deadline is not None and (deadline.clock, deadline.due_at) == ("review", day(91))


def test_a_closure_request_waits_on_the_director_and_a_closed_case_has_no_clock() -> None:
    waiting = history(REGISTERED, recorded(1), ("ClosureRequested", 3, {}))
    deadline = next_deadline(shown(waiting))
    assert deadline is not None and (deadline.clock, deadline.due_at) == ("closure_approval", day(10))
    closed = history(REGISTERED, recorded(1), ("ClosureRequested", 3, {}), ("ClosureApproved", 4, {}))
    assert running(shown(closed)) == [] and next_deadline(shown(closed)) is None
    assert sla_state(None, day(1)) == "none"


def test_a_case_reopened_on_day_200_is_due_for_review_a_full_period_later_not_at_once() -> None:
    run = history(REGISTERED, recorded(1), ("ClosureRequested", 3, {}), ("ClosureApproved", 4, {}),
                  ("CaseReopened", 200, {}))
    review = next(s for s in shown(run) if s.clock == "review")
    assert review.due_at == day(290) and sla_state(review, day(201)) == "on_track"


def test_a_clock_stays_overdue_when_its_breach_repeats() -> None:
    run = history(REGISTERED, recorded(1))
    run.tick(day(200))  # the stall breaches every 30 days; its goal stays the first one
    stall = next(s for s in shown(run) if s.clock == "stall")
    assert stall.due_at == day(31) and sla_state(stall, day(200)) == "overdue"


def test_a_pause_after_a_breach_leaves_the_clock_overdue() -> None:
    run = history(REGISTERED, recorded(1))
    run.tick(day(35))
    run.apply(case_event("DelayJustified", day(35), until=day(50)))
    stall = next(s for s in shown(run) if s.clock == "stall")
    assert stall.due_at == day(31) and sla_state(stall, day(40)) == "overdue"
    assert [e.due_at for e in run.emitted if e.clock == "stall" and e.level == "breach"] == [day(31)]


