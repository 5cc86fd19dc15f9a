"""Recorded on time over every incident whose goal has come, recorded or not; the unrecorded past it counted, aged."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.reporting.domain.cases import CaseFacts
from services.reporting.domain.compliance import on_time_text, overdue_text
from services.reporting.domain.recording import delay_chart, delay_distribution, overdue_unrecorded, recording_goal

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
GOAL = 4 * DAY


def schedule(reported: datetime, stopped: datetime | None = None, outcome: str | None = None) -> dict[str, Any]:
    """The monitor's schedule of a recording clock, as it publishes it (its verdict given, never worked out here)."""
    return {"clock": "recording", "state": "stopped" if stopped else "running", "started_at": reported,
            "due_at": reported + GOAL, "warn_at": reported + 3 * DAY, "stopped_at": stopped, "outcome": outcome}


def case(n: int, reported: datetime, recorded: datetime | None = None, outcome: str | None = None,
         scheduled: bool = True) -> CaseFacts:
    clocks = {"recording": schedule(reported, recorded, outcome)} if scheduled else {}
    return CaseFacts(case_id=f"c-{n}", reference=f"MOP-2026-{n:04d}", office="Mopti", incident_key=f"SR#{n}",
                     sitrep_id="SR", location="Konna", violation_types=("killing",), reported_at=reported,
                     registered_at=reported, stage="preliminary" if recorded else "reported",
                     stage_since=recorded or reported, recorded_at=recorded, clocks=clocks)


def test_the_share_counts_the_unrecorded_past_their_goal_where_the_old_one_counted_the_recorded_only() -> None:
    now = T0 + 40 * DAY
    cases = [case(1, T0, T0 + DAY, "met"), case(2, T0, T0 + 2 * DAY, "met"),
             *[case(n, T0 + n * DAY, None) for n in range(3, 8)],  # past their goal: due T0 + 7..11 days
             case(9, now - 2 * DAY)]  # its goal still ahead: counted neither way
    goal = recording_goal(cases, now)
    assert (goal.on_time, goal.goal_passed, goal.overdue, goal.pending) == (2, 7, 5, 1)
    assert goal.share == pytest.approx(2 / 7)  # the recorded alone would have said 2 of 2: 100%
    assert goal.overdue_days == (33.0, 32.0, 31.0, 30.0, 29.0)  # oldest first
    assert (goal.oldest_overdue_days, goal.median_overdue_days) == (33.0, 31.0)


def test_the_goal_comes_at_its_due_instant_as_the_monitor_fires_its_breach() -> None:
    unrecorded = case(1, T0)
    assert recording_goal([unrecorded], T0 + GOAL - timedelta(microseconds=1)).goal_passed == 0
    assert recording_goal([unrecorded], T0 + GOAL).overdue_days == (0.0,)


def test_the_monitors_verdict_decides_on_time_and_a_recording_still_unjudged_never_counts_as_on_time() -> None:
    now = T0 + 10 * DAY
    late = case(1, T0, T0 + GOAL, "missed")  # at the due instant: late
    unjudged = replace_clock(case(2, T0, T0 + DAY), state="running")  # the monitor's verdict has not arrived
    early_unjudged = replace_clock(case(3, now - DAY, now), state="running")
    goal = recording_goal([late, unjudged, early_unjudged], now)
    assert (goal.on_time, goal.late, goal.unjudged, goal.pending, goal.goal_passed) == (0, 1, 1, 1, 2)


def test_without_a_schedule_an_incident_is_counted_apart_and_no_deadline_is_worked_out() -> None:
    goal = recording_goal([case(1, T0, scheduled=False)], T0 + 30 * DAY)
    assert (goal.unscheduled, goal.goal_passed, goal.share) == (1, 0, None)


def test_the_overdue_list_starts_with_the_longest_overdue() -> None:
    cases = [case(1, T0 + 5 * DAY), case(2, T0), case(3, T0 + DAY, T0 + 2 * DAY, "met")]
    assert [c.reference for c in overdue_unrecorded(cases, T0 + 20 * DAY)] == ["MOP-2026-0002", "MOP-2026-0001"]


def test_the_words_name_the_denominator_and_the_oldest() -> None:
    f = {"within_goal": 4, "goal_passed": 19, "within_goal_share": 4 / 19, "overdue_unrecorded": 15,
         "oldest_overdue_days": 33.0, "median_overdue_days": 12.0}
    assert on_time_text(f, 4) == "4 of 19 incidents whose 4 days have passed (21%)"
    assert overdue_text(f) == "15 not recorded and past the goal, the oldest by 33.0 days (median 12.0)."
    assert overdue_text({**f, "overdue_unrecorded": 0}) == "No incident is past its recording goal unrecorded."


def test_the_delay_chart_puts_the_unrecorded_past_their_goal_beside_the_recorded_as_overdue() -> None:
    cases = [case(1, T0, T0 + DAY, "met"), case(2, T0, T0 + 10 * DAY, "missed"), case(3, T0), case(4, T0)]
    chart = delay_chart(delay_distribution(cases), recording_goal(cases, T0 + 30 * DAY).overdue)
    bars = dict(zip(chart.categories, zip(chart.series[0][1], chart.meanings, strict=True), strict=True))
    assert bars["within 4 days"] == (1, "on_time") and bars["5 to 30 days"] == (1, "late")
    assert bars["not recorded, past the goal"] == (2, "overdue")


def replace_clock(facts: CaseFacts, **changes: Any) -> CaseFacts:
    return replace(facts, clocks={"recording": {**facts.clocks["recording"], **changes}})


def test_a_verdict_kept_for_one_date_is_never_given_for_another_or_for_a_changed_case() -> None:
    unrecorded = case(1, T0)
    assert unrecorded.recording_verdict(T0) == "pending"
    assert unrecorded.recording_verdict(T0 + GOAL) == "overdue"  # the report asks each case many times, at one date
    assert unrecorded.recording_verdict(T0) == "pending"
    recorded = replace(unrecorded, recorded_at=T0 + DAY, stage="preliminary", stage_since=T0 + DAY,
                       clocks={"recording": schedule(T0, T0 + DAY, "met")})
    assert recorded.recording_verdict(T0 + GOAL) == "met"
    assert recorded == case(1, T0, T0 + DAY, "met") and unrecorded == case(1, T0)  # the kept verdict is no fact
