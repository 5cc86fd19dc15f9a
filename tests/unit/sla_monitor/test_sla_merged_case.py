"""A case merged into another as the same incident (ADR 0022): every clock stops, as at a closure."""

from __future__ import annotations

from sla_builders import Run, case_event, day, levels


def test_merging_an_unrecorded_case_stops_its_recording_clock_and_clears_its_breach() -> None:
    run = Run()
    run.apply(case_event("CaseRegistered", day(0)))
    run.tick(day(5))
    out = run.apply(case_event("CaseMerged", day(6), previous_stage="reported"))
    assert levels(out) == [("recording", "cleared", 1)]
    assert [e.reason for e in out] == ["merged"]
    assert not any(c.running for c in run.clocks["c-0001"].values())
    assert run.tick(day(1000)) == []


def test_merging_a_case_under_investigation_stops_its_stall_and_review_clocks() -> None:
    run = Run()
    run.apply(case_event("CaseRecorded", day(0)))
    assert {n for n, c in run.clocks["c-0001"].items() if c.running} == {"stall", "review"}
    run.tick(day(40))  # the stall clock breached
    out = run.apply(case_event("CaseMerged", day(41)))
    assert [(e.clock, e.level, e.reason) for e in out] == [("stall", "cleared", "merged")]
    assert not any(c.running for c in run.clocks["c-0001"].values())
    assert {s.clock: s.outcome for s in run.schedules if s.stopped_at == day(41)} == {"stall": "missed",
                                                                                     "review": "met"}


def test_the_surviving_case_and_a_dismissed_pair_move_no_clock() -> None:
    run = Run()
    run.apply(case_event("CaseRecorded", day(0)))
    before = dict(run.clocks["c-0001"])
    assert run.apply(case_event("DuplicateAbsorbed", day(3))) == []
    assert run.apply(case_event("DuplicateDismissed", day(4))) == []
    assert {n: c.started_at for n, c in run.clocks["c-0001"].items()} == {n: c.started_at for n, c in before.items()}
    assert all(c.running for c in run.clocks["c-0001"].values())
