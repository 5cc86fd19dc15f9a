"""A case's next deadline and SLA state, as the API's lists sort and filter by them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.casework.domain.case import Case
from services.casework.domain.urgency import Goals, next_deadline, sla_state

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
GOALS = Goals()
CASE = Case("c1", "MOP-2026-0001", "SR-1#1", "Mopti", "reported", reported_at=T0, registered_at=T0)


def days(n: float) -> datetime:
    return T0 + timedelta(days=n)


def test_a_reported_case_runs_against_the_recording_goal_from_its_report_time() -> None:
    deadline = next_deadline(CASE, GOALS)
    assert deadline is not None and (deadline.clock, deadline.due_at) == ("recording", days(4))
    assert [sla_state(deadline, days(d)) for d in (1, 3, 4, 10)] == ["on_track", "due_soon", "overdue", "overdue"]


@pytest.mark.parametrize(("stage", "goal"), [("preliminary", 30), ("investigation", 60), ("concluded", 30)])
def test_an_open_case_runs_against_its_stage_stall_goal_from_the_last_activity(stage: str, goal: int) -> None:
    case = replace(CASE, stage=stage, recorded_at=days(1), last_activity_at=days(5))
    deadline = next_deadline(case, GOALS)
    assert deadline is not None and (deadline.clock, deadline.due_at) == ("stall", days(5 + goal))


def test_a_justified_delay_moves_the_stall_deadline_and_shows_the_case_as_paused() -> None:
    case = replace(CASE, stage="investigation", recorded_at=days(1), last_activity_at=days(5),
                   delay={"reason": "security", "until": days(25), "note": "", "at": days(10)})
    deadline = next_deadline(case, GOALS)
    assert deadline is not None and deadline.due_at == days(5 + 60 + 15)
    assert (sla_state(deadline, days(20)), sla_state(deadline, days(26))) == ("paused", "on_track")


def test_the_review_clock_comes_first_when_activity_is_frequent_but_reviews_are_not() -> None:
    case = replace(CASE, stage="investigation", recorded_at=days(1), last_activity_at=days(80))
    deadline = next_deadline(case, GOALS)
    assert deadline is not None and (deadline.clock, deadline.due_at) == ("review", days(91))


def test_a_closure_request_waits_on_the_director_and_a_closed_case_has_no_clock() -> None:
    waiting = replace(CASE, stage="closure_requested", closure={"requested_at": days(3), "proposer": "awa"})
    deadline = next_deadline(waiting, GOALS)
    assert deadline is not None and (deadline.clock, deadline.due_at) == ("closure_approval", days(10))
    assert next_deadline(replace(CASE, stage="closed"), GOALS) is None
    assert sla_state(None, days(1)) == "none"
