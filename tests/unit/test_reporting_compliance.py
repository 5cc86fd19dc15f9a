"""Report computations are pure: case events in, the audit's tables out, for any date, period and office."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.reporting.domain.cases import fold
from services.reporting.domain.compliance import build_report, table_named
from services.reporting.domain.events import Event, History
from services.reporting.domain.model import Pct, Scope, Targets
from services.reporting.domain.stats import median, percentile
from services.reporting.whatif import with_schedules
from services.sla_monitor.domain.policy import Policy, StallPolicy
from sitreps.key import incident_key

T0 = datetime(2018, 3, 2, 16, 0, tzinfo=UTC)
TARGETS = Targets("test")


class Log:
    """Case events as casework emits them, with log positions in the order they are added."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(self, type_: str, days: float, case: str, stage: str, actor: str = "hro1", **extra: Any) -> None:
        payload = {"case_id": case, "reference": f"MOP-2018-{case}", "office": extra.pop("office", "Mopti"),
                   "stage": stage, "actor": actor, "assignee": extra.pop("assignee", "hro1"), **extra}
        self.events.append(Event(type_, T0 + timedelta(days=days), case, payload, len(self.events) + 1))

    def register(self, case: str, days: float = 0, **extra: Any) -> None:
        self.add("CaseRegistered", days, case, "reported", "system", incident_key=incident_key("SR-1", case),
                 sitrep_id="SR-1", location="Koro", violation_types=["killing"],
                 reported_at=T0 + timedelta(days=days), **extra)

    def history(self, policy: Policy | None = None) -> History:
        """The case events, and the schedules sla_monitor publishes for them (its own rules, replayed)."""
        return with_schedules(History(case_events=tuple(self.events)), T0 + timedelta(days=3650), policy or Policy())


def test_a_case_is_folded_to_its_stage_since_when_and_its_last_work() -> None:
    log = Log()
    log.register("0001")
    log.add("CaseRecorded", 2, "0001", "preliminary")
    log.add("StageChanged", 10, "0001", "investigation")
    log.add("CaseReviewed", 12, "0001", "investigation", "tl1")
    log.add("DelayJustified", 20, "0001", "investigation", reason="security", until=T0 + timedelta(days=40))
    case = fold(log.events, T0 + timedelta(days=100))["0001"]
    assert (case.stage, case.stage_since, case.last_activity_at) == ("investigation", T0 + timedelta(days=10),
                                                                      T0 + timedelta(days=10))
    assert (case.recording_days, case.delay_reason, case.review_since) == (2, "security", T0 + timedelta(days=12))
    earlier = fold(log.events, T0 + timedelta(days=5))["0001"]
    assert (earlier.stage, earlier.delay_reason) == ("preliminary", None)


def test_activity_after_a_justified_delay_clears_the_reason() -> None:
    log = Log()
    log.register("0001")
    log.add("CaseRecorded", 1, "0001", "preliminary")
    log.add("DelayJustified", 5, "0001", "preliminary", reason="security", until=T0 + timedelta(days=30))
    log.add("ActivityLogged", 9, "0001", "preliminary", description="met the family")
    assert fold(log.events, T0 + timedelta(days=50))["0001"].delay_reason is None


def test_closures_are_told_apart_by_who_decided_and_whether_a_follow_up_was_recorded() -> None:
    log = Log()
    for case in ("0001", "0002", "0003", "0004"):
        log.register(case)
        log.add("CaseRecorded", 1, case, "preliminary")
    log.add("CaseMerged", 4, "0004", "closed", "tl1", pair_id="p1", previous_stage="preliminary",
            into_case_id="0001", into_reference="MOP-2024-0001")
    log.add("ClosureRequested", 5, "0001", "closure_requested", reason="unsubstantiated", note="n")
    log.add("ClosureApproved", 6, "0001", "closed", "director1", proposer="hro1")
    log.add("CaseClosedWithoutApproval", 6, "0002", "closed", "tl1", previous_stage="preliminary",
            reason="unsubstantiated", source="old.csv")
    log.add("StageChanged", 3, "0003", "investigation")
    log.add("StageChanged", 4, "0003", "concluded")
    log.add("FollowUpRecorded", 5, "0003", "concluded", kind="advocacy")
    log.add("ClosureRequested", 6, "0003", "closure_requested", reason="concluded", note="n")
    log.add("ClosureApproved", 7, "0003", "closed", "director1", proposer="hro1")
    report = build_report(log.history(), Scope(as_of=T0 + timedelta(days=30)), TARGETS)
    assert table_named(report, "closures").rows == (
        ("With the Director's or Deputy Director's approval", 2, 1, 1),
        ("Without it (imported history)", 1, 0, 1),
        ("Merged into another case as the same incident (a Team Leader's decision)", 1, 0, 1),
        ("Total", 4, 1, 3),
    )
    unapproved = table_named(report, "closures_without_approval").rows
    assert unapproved == (("MOP-2018-0002", "Mopti", "2018-03-08", "tl1", 0),)


def test_stalled_means_the_stall_clock_is_past_its_goal_as_the_monitor_scheduled_it() -> None:
    log = Log()
    for n, case in enumerate(("0001", "0002", "0003")):
        log.register(case)
        log.add("CaseRecorded", 1 + n, case, "preliminary")
    log.add("DelayJustified", 20, "0002", "preliminary", reason="access_constraints", until=T0 + timedelta(days=45))
    as_of = T0 + timedelta(days=33.5)  # 0001: 32.5 days idle, 0002: 31.5 but paused to day 57, 0003: 30.5
    stalled = table_named(build_report(log.history(), Scope(as_of=as_of), TARGETS), "stalled_cases")
    assert stalled.rows[0] == ("Preliminary information gathering", "30", 3, 2, Pct(2 / 3), 0, 2)
    shorter = Policy("t", stall=StallPolicy({"preliminary": 32, "investigation": 60, "concluded": 30}))
    report = build_report(log.history(shorter), Scope(as_of=as_of), TARGETS)
    assert table_named(report, "stalled_cases").rows[0][3] == 1


def test_recording_delay_statistics_use_the_median_of_the_two_middles_and_the_nearest_rank() -> None:
    assert median([1, 2, 3, 10]) == 2.5
    assert percentile([float(n) for n in range(1, 11)], 90) == 9
    assert percentile([1.0, 2.0, 30.0], 90) == 30
    log = Log()
    for n, days in enumerate((0.5, 3, 5, 60)):
        log.register(f"000{n}")
        log.add("CaseRecorded", days, f"000{n}", "preliminary")
    log.register("0009")
    f = build_report(log.history(), Scope(as_of=T0 + timedelta(days=90)), TARGETS).figures
    assert (f["incidents"], f["recorded"], f["unrecorded"], f["within_goal"]) == (5, 4, 1, 2)
    assert (f["mean_delay_days"], f["median_delay_days"], f["p90_delay_days"]) == (17.125, 4, 60)


def test_the_period_and_office_choose_the_cases_by_report_date_and_office() -> None:
    log = Log()
    log.register("0001", 0)
    log.register("0002", 400, office="Gao")
    log.register("0003", 800)
    as_of = T0 + timedelta(days=900)
    assert build_report(log.history(), Scope(as_of=as_of), TARGETS).figures["incidents"] == 3
    one_year = Scope(as_of=as_of, start=T0 + timedelta(days=100), end=T0 + timedelta(days=500))
    assert build_report(log.history(), one_year, TARGETS).figures["incidents"] == 1
    assert build_report(log.history(), Scope(as_of=as_of, office="Mopti"), TARGETS).figures["incidents"] == 2
    assert build_report(log.history(), Scope(as_of=T0 + timedelta(days=500)), TARGETS).figures["incidents"] == 2


def test_since_the_cut_year_counts_stage_entry_and_last_activity_up_to_its_last_day() -> None:
    log = Log()
    log.register("0001")
    log.add("CaseRecorded", 1, "0001", "preliminary")  # 2018: at preliminary since 2018
    log.register("0002")
    log.add("CaseRecorded", 1, "0002", "preliminary")
    log.add("StageChanged", 2, "0002", "investigation")  # idle since 2018
    log.register("0003")
    log.add("CaseRecorded", 1, "0003", "preliminary")
    log.add("StageChanged", 2, "0003", "investigation")
    log.add("ActivityLogged", 400, "0003", "investigation", description="interview")  # 2019
    f = build_report(log.history(), Scope(as_of=datetime(2020, 6, 30, tzinfo=UTC)), TARGETS).figures
    assert (f["preliminary"], f["preliminary_since_cut"]) == (1, 1)
    assert (f["investigation"], f["investigation_idle_since_cut"]) == (2, 1)
