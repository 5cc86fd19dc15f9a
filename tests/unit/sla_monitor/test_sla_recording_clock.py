"""The recording clock: from the incident's report time until the case is recorded."""

from __future__ import annotations

from sla_builders import USEC, Run, case_event, day, levels


def registered(run: Run, at: float = 1, reported: float = 0, **fields: object) -> None:
    run.apply(case_event("CaseRegistered", day(at), reported_at=day(reported), **fields))


def test_recording_warning_reaches_the_assigned_hro_after_three_days() -> None:
    run = Run()
    registered(run, assignee="hro1")
    assert run.tick(day(3) - USEC) == []
    [warning] = run.tick(day(3))
    assert (warning.type, warning.level, warning.period) == ("SlaWarning", "warning", 0)
    assert (warning.recipient_role, warning.assignee) == ("hro", "hro1")
    assert warning.due_at == warning.occurred_at == day(3)


def test_recording_warning_goes_to_the_team_leader_when_nobody_is_assigned() -> None:
    run = Run()
    registered(run)
    [warning] = run.tick(day(3))
    assert warning.recipient_role == "team_leader"


def test_recording_breach_reaches_team_leader_after_four_days() -> None:
    run = Run()
    registered(run, assignee="hro1")
    run.tick(day(4) - USEC)
    [breach] = run.tick(day(4))
    assert (breach.type, breach.period, breach.recipient_role) == ("SlaBreached", 1, "team_leader")
    assert breach.started_at == day(0)


def test_recording_escalates_to_the_director_after_eight_days() -> None:
    run = Run()
    registered(run)
    run.tick(day(8) - USEC)
    [escalation] = run.tick(day(8))
    assert (escalation.type, escalation.recipient_role) == ("SlaEscalated", "director")


def test_recording_deadlines_count_from_the_report_time_not_from_arrival() -> None:
    run = Run()
    registered(run, at=2.5, reported=0)
    assert levels(run.tick(day(3))) == [("recording", "warning", 0)]


def test_a_case_registered_after_its_deadlines_fires_them_at_once_at_their_own_times() -> None:
    run = Run()
    out = run.apply(case_event("CaseRegistered", day(9), reported_at=day(0)))
    assert levels(out) == [("recording", "warning", 0), ("recording", "breach", 1), ("recording", "escalation", 1)]
    assert [e.occurred_at for e in out] == [day(3), day(4), day(8)]


def test_recording_thresholds_are_not_repeated() -> None:
    run = Run()
    registered(run)
    assert len(run.tick(day(400))) == 3
    assert run.tick(day(800)) == []
    assert run.clock("recording").next_due is None


def test_recording_a_case_after_a_breach_clears_the_recording_clock() -> None:
    run = Run()
    registered(run, assignee="hro1")
    run.tick(day(5))
    [cleared] = run.apply(case_event("CaseRecorded", day(6), assignee="hro1"))
    assert (cleared.type, cleared.reason, cleared.period) == ("SlaCleared", "recorded", 1)
    assert (cleared.occurred_at, cleared.due_at, cleared.stage) == (day(6), day(4), "preliminary")
    assert cleared.recipient_role == "team_leader"


def test_recording_a_case_before_any_threshold_emits_no_clear() -> None:
    run = Run()
    registered(run)
    assert run.apply(case_event("CaseRecorded", day(2.9))) == []


def test_recording_a_case_stops_the_recording_clock_and_starts_stall_and_review_at_that_time() -> None:
    run = Run()
    registered(run)
    run.apply(case_event("CaseRecorded", day(2)))
    assert not run.clock("recording").running
    assert run.clock("recording").next_due is None
    assert run.clock("stall").started_at == run.clock("review").started_at == day(2)
    assert run.clock("stall").next_due == day(32)
    assert run.clock("review").next_due == day(92)


def test_an_assignment_changes_who_receives_the_recording_warning() -> None:
    run = Run()
    registered(run)
    run.apply(case_event("CaseAssigned", day(2), stage="reported", assignee="hro7"))
    [warning] = run.tick(day(3))
    assert (warning.recipient_role, warning.assignee) == ("hro", "hro7")


def test_every_sla_event_carries_the_case_context_and_the_policy_version() -> None:
    run = Run()
    registered(run)
    [warning] = run.tick(day(3))
    assert (warning.case_id, warning.reference, warning.office, warning.stage) == (
        "c-0001", "MOP-2024-0001", "Mopti", "reported")
    assert warning.policy_version == run.policy.version == run.clock("recording").policy_version
