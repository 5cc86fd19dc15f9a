"""What the monitor does with an amended incident (nothing) and an activity dated in the past (restarts from it)."""

from __future__ import annotations

from sla_builders import Run, case_event, day, levels

AMENDMENT = {"reason": "the sitrep misspelt the town", "changes": {
    "location": {"old": "Sévaré", "new": "Mopti"},
    "occurred_at": {"old": "2024-03-03T08:00:00+00:00", "new": "2024-02-20T08:00:00+00:00"}}}


def test_an_amendment_even_of_when_it_happened_moves_no_deadline_and_fires_nothing() -> None:
    run = Run()
    run.apply(case_event("CaseRegistered", day(0)))
    due = run.clock("recording").next_due
    assert run.apply(case_event("IncidentAmended", day(1), stage="reported", **AMENDMENT)) == []
    assert run.clock("recording").next_due == due  # anchored on reported_at, which no amendment changes
    run.apply(case_event("CaseRecorded", day(2)))
    stall = run.clock("stall").next_due
    assert run.apply(case_event("IncidentAmended", day(10), **AMENDMENT)) == []
    assert run.clock("stall").next_due == stall  # not work on the case: the stall clock runs on


def test_an_activity_dated_in_the_past_restarts_the_stall_clock_from_its_own_time() -> None:
    run = Run()
    run.apply(case_event("CaseRecorded", day(0)))
    run.apply(case_event("ActivityLogged", day(20)))  # logged on day 25, dated day 20: the event's time is day 20
    assert run.clock("stall").next_due == day(50)


def test_why_a_dated_activity_may_not_precede_a_deadline_already_passed_a_replay_would_lose_the_breach() -> None:
    live = Run()
    live.apply(case_event("CaseRecorded", day(0)))
    live.tick(day(35))  # the breach at day 30 fires live
    live.apply(case_event("ActivityLogged", day(25)))  # an activity dated before it, were it allowed
    replay = Run()
    replay.apply(case_event("CaseRecorded", day(0)))
    replay.apply(case_event("ActivityLogged", day(25)))  # event time: nothing was due by day 25
    assert ("stall", "breach", 1) in levels(live.emitted)
    assert ("stall", "breach", 1) not in levels(replay.emitted)  # hence workflow.dating_refusal's third bound
