"""The review and closure-approval clocks, and how closure requests and decisions move every clock."""

from __future__ import annotations

from sla_builders import USEC, Run, case_event, day, levels


def open_case(run: Run, at: float = 0) -> None:
    run.apply(case_event("CaseRecorded", day(at)))


def test_review_reminder_reaches_the_team_leader_every_ninety_days() -> None:
    run = Run()
    open_case(run)
    run.apply(case_event("ActivityLogged", day(85)))  # activity is no review
    assert [e for e in run.tick(day(90) - USEC) if e.clock == "review"] == []
    reminders = [e for e in run.tick(day(180)) if e.clock == "review"]
    assert [(e.level, e.period, e.due_at, e.recipient_role) for e in reminders] == [
        ("breach", 1, day(90), "team_leader"), ("breach", 2, day(180), "team_leader")]


def test_a_review_restarts_the_review_clock_and_clears_the_reminder() -> None:
    run = Run()
    open_case(run)
    run.tick(day(91))
    out = run.apply(case_event("CaseReviewed", day(100)))
    assert [(e.clock, e.level, e.reason) for e in out] == [("review", "cleared", "reviewed")]
    assert run.clock("review").next_due == day(190)


def test_a_closure_request_stops_stall_and_review_and_starts_closure_approval() -> None:
    run = Run()
    open_case(run)
    run.tick(day(31))
    out = run.apply(case_event("ClosureRequested", day(35)))
    assert [(e.clock, e.level, e.reason) for e in out] == [("stall", "cleared", "closure requested")]
    assert not run.clock("stall").running
    assert not run.clock("review").running
    assert run.clock("closure_approval").next_due == day(42)


def test_closure_approval_breach_reaches_the_director_every_seven_days() -> None:
    run = Run()
    open_case(run)
    run.apply(case_event("ClosureRequested", day(10)))
    out = run.tick(day(24))
    assert [(e.clock, e.level, e.period, e.recipient_role, e.stage) for e in out] == [
        ("closure_approval", "breach", 1, "director", "closure_requested"),
        ("closure_approval", "breach", 2, "director", "closure_requested")]


def test_a_rejected_closure_restarts_stall_and_review_in_the_stage_it_returns_to() -> None:
    run = Run()
    open_case(run)
    run.apply(case_event("ClosureRequested", day(10)))
    run.tick(day(18))
    out = run.apply(case_event("ClosureRejected", day(20), stage="investigation"))
    assert [(e.clock, e.level, e.reason) for e in out] == [("closure_approval", "cleared", "closure rejected")]
    assert (run.clock("stall").stage, run.clock("stall").next_due) == ("investigation", day(80))
    assert run.clock("review").next_due == day(110)
    assert not run.clock("closure_approval").running


def test_an_approved_closure_stops_every_clock() -> None:
    run = Run()
    open_case(run)
    run.apply(case_event("ClosureRequested", day(10)))
    run.tick(day(18))
    out = run.apply(case_event("ClosureApproved", day(19)))
    assert [(e.clock, e.level, e.reason, e.stage) for e in out] == [
        ("closure_approval", "cleared", "closed", "closed")]
    assert not any(c.running for c in run.clocks["c-0001"].values())
    assert run.tick(day(1000)) == []


def test_closing_an_unrecorded_case_clears_its_recording_breach() -> None:
    run = Run()
    run.apply(case_event("CaseRegistered", day(0)))
    run.tick(day(5))
    out = run.apply(case_event("ClosureApproved", day(6)))
    assert levels(out) == [("recording", "cleared", 1)]


def test_reopening_a_closed_case_restarts_stall_and_review() -> None:
    run = Run()
    open_case(run)
    run.apply(case_event("ClosureRequested", day(10)))
    run.apply(case_event("ClosureApproved", day(11)))
    assert run.apply(case_event("CaseReopened", day(200))) == []
    assert run.clock("stall").next_due == day(260)
    assert run.clock("review").next_due == day(290)


def test_reviewing_a_case_awaiting_closure_starts_no_review_clock() -> None:
    run = Run()
    open_case(run)
    run.apply(case_event("ClosureRequested", day(10)))
    run.apply(case_event("CaseReviewed", day(11), stage="closure_requested"))
    assert not run.clock("review").running


def test_a_follow_up_on_a_closed_case_starts_no_stall_clock() -> None:
    run = Run()
    open_case(run)
    run.apply(case_event("ClosureRequested", day(10)))
    run.apply(case_event("ClosureApproved", day(11)))
    run.apply(case_event("FollowUpRecorded", day(12), stage="closed"))
    assert not run.clock("stall").running
