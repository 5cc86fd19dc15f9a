"""A scenario on the embedded runtime, then /metrics read back: every value matches what happened, and a restart
brings the gauges back as they were while the counters start again."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.utils import floatToGoString
from sqlalchemy import text

from schemas.topics import SLA_EVENTS
from services.casework.adapters import repository as repo
from services.casework.domain import commands as c
from services.casework.domain.reference import case_id_for
from services.casework.domain.roles import User
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.metrics import DAY
from services.sealing import sitrep_outgoing
from sitreps.files import read_sitrep
from sitreps.key import incident_key
from tests.factories import incident

R = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # when every incident of the scenario was reported
END = R + timedelta(days=9)
USERS = (User("tl.mopti", "team_leader", "Mopti", "TL Mopti"), User("tl.gao", "team_leader", "Gao", "TL Gao"),
         User("dir.a", "director", "Bamako", "Director"), User("dir.b", "director", "Bamako", "Deputy"))
MOP, GAO, TBK = "SR-MOP-2026-W10", "SR-GAO-2026-W10", "SR-TBK-2026-W10"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(runtime: EmbeddedRuntime) -> Samples:
    """The exposition text, parsed back as Prometheus would read it."""
    page = generate_latest(runtime.metrics.registry).decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(page) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum over every series of `name` whose labels include `labels`."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= ls)


def sitrep_file(path: Path) -> Path:
    occurred = (R - timedelta(days=2)).isoformat()
    rows = [incident(MOP, n, R, "Mopti", location=f"Village M{n}") for n in range(1, 5)]
    rows += [incident(GAO, n, R, "Gao", location=f"Village G{n}") for n in range(1, 4)]
    rows += [
        incident(TBK, 1, R, "Timbuktu", location="Village G1", occurred_at=occurred),  # likely duplicate of GAO#1
        incident(MOP, 5, R, "Mopti", occurred_at=(R + timedelta(days=1)).isoformat()),  # invalid: after report
        incident(MOP, 1, R, "Mopti", location="Village M1"),  # the same incident again: a repeat
        incident(GAO, 2, R, "Gao", location="Somewhere else"),  # same key, other content: a conflict
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def run_scenario(runtime: EmbeddedRuntime, tmp_path: Path) -> None:
    def enrol(conn) -> None:  # type: ignore[no-untyped-def]
        for user in USERS:
            repo.save_user(conn, user)

    def do(command: c.Command, at: datetime) -> None:
        runtime.run_until_idle(at)
        runtime.casework.execute(command, at)
        runtime.run_until_idle(at)

    runtime.casework.write(enrol)
    runtime.submit(map(sitrep_outgoing, read_sitrep(sitrep_file(tmp_path / "sitreps.jsonl"))))
    runtime.run_until_idle(R + timedelta(hours=1))
    mop, gao = (lambda n: case_id_for(incident_key(MOP, n))), (lambda n: case_id_for(incident_key(GAO, n)))
    do(c.RecordCase(mop(1), "tl.mopti"), R + timedelta(days=1))
    do(c.RecordCase(mop(2), "tl.mopti"), R + timedelta(days=1))
    do(c.RecordCase(gao(1), "tl.gao"), R + timedelta(days=2))
    do(c.RecordCase(mop(3), "tl.mopti"), R + timedelta(days=5))  # after its warning and breach: cleared
    breach = next(a for a in runtime.casework.read(lambda conn: repo.list_alerts(conn, office="Gao"))
                  if a.case_id == gao(2) and a.level == "breach")
    do(c.AcknowledgeAlert(gao(2), "tl.gao", breach.alert_id), R + timedelta(days=5, hours=1))
    for case_id, actor in ((mop(1), "tl.mopti"), (mop(2), "tl.mopti"), (gao(1), "tl.gao")):
        do(c.RequestClosure(case_id, actor, "unsubstantiated", "no corroboration"), R + timedelta(days=6))
    do(c.ApproveClosure(mop(1), "dir.a"), R + timedelta(days=7))
    do(c.RejectClosure(mop(2), "dir.a", "interview the second witness first"), R + timedelta(days=7))
    runtime.run_until_idle(END)  # recording escalations fall due at eight days


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Samples, Samples]:
    """The scenario's data directory, /metrics after it, and /metrics of a fresh runtime on the same data."""
    tmp = tmp_path_factory.mktemp("metrics")
    settings = Settings(data_dir=tmp / "data")
    runtime = EmbeddedRuntime(settings)
    run_scenario(runtime, tmp)
    before = scrape(runtime)
    return settings.data_dir, before, scrape(EmbeddedRuntime(settings))


def test_intake_counters_match_the_records_of_the_situation_reports(world: tuple[Path, Samples, Samples]) -> None:
    _, m, _ = world
    assert value(m, "hrcase_incidents_received_total") == 11
    assert {o: value(m, "hrcase_incidents_accepted_total", office=o) for o in ("Mopti", "Gao", "Timbuktu")} == {
        "Mopti": 4, "Gao": 3, "Timbuktu": 1}
    assert value(m, "hrcase_incidents_rejected_total", reason="invalid") == 1
    assert value(m, "hrcase_incidents_rejected_total", reason="conflict") == 1
    assert value(m, "hrcase_incidents_repeated_total") == 1
    assert value(m, "hrcase_incidents_flagged_duplicate_total", office="Timbuktu") == 1
    assert total(m, "hrcase_incidents_flagged_duplicate_total") == 1
    assert value(m, "hrcase_dead_letters_total", service="intake", reason="invalid") == 1
    assert value(m, "hrcase_dead_letters_total", service="intake", reason="conflict") == 1
    assert total(m, "hrcase_cases_registered_total") == 8
    assert value(m, "hrcase_cases_registered_total", office="Gao") == 3


def test_the_recording_delay_histogram_counts_each_recorded_case_in_its_bucket(
        world: tuple[Path, Samples, Samples]) -> None:
    _, m, _ = world
    bucket = {days: total(m, "hrcase_recording_delay_seconds_bucket", le=floatToGoString(days * DAY))
              for days in (1, 2, 3, 4, 4.5, 5)}
    assert bucket == {1: 2, 2: 3, 3: 3, 4: 3, 4.5: 3, 5: 4}  # 1, 1, 2 and 5 days
    assert total(m, "hrcase_recording_delay_seconds_count") == 4
    assert total(m, "hrcase_recording_delay_seconds_sum") == 9 * DAY
    assert value(m, "hrcase_recording_delay_seconds_count", office="Mopti") == 3


def test_sla_counters_and_open_breaches_match_the_sla_events_on_the_log(
        world: tuple[Path, Samples, Samples]) -> None:
    data, m, _ = world
    records = [json.loads(r.value) for r in EmbeddedRuntime(Settings(data_dir=data)).log.read_topic(SLA_EVENTS)]
    events = [r["payload"] for r in records if r["type"] != "SlaScheduled"]  # schedules are no crossing
    happened = Counter((e["clock"], e["level"], e["office"]) for e in events)
    counted = {(dict(ls)["clock"], dict(ls)["level"], dict(ls)["office"]): v
               for (n, ls), v in m.items() if n == "hrcase_sla_events_total" and v}
    assert counted == happened
    # Series start at zero for every configured office, so that a rule's increase() sees the first event.
    assert value(m, "hrcase_sla_events_total", clock="review", level="breach", office="Kidal") == 0
    # Five incidents unrecorded at three and four days; one recorded at five; four left to escalate at eight.
    assert {lvl: total(m, "hrcase_sla_events_total", clock="recording", level=lvl)
            for lvl in ("warning", "breach", "cleared", "escalation")} == {
        "warning": 5, "breach": 5, "cleared": 1, "escalation": 4}
    # Recordings at 1, 1 and 2 days met the goal, the one at 5 days missed it: the monitor's verdicts, counted.
    assert {o: total(m, "hrcase_sla_outcomes_total", clock="recording", outcome=o) for o in ("met", "missed")} == {
        "met": 3, "missed": 1}
    assert {o: value(m, "hrcase_sla_open_breaches", clock="recording", office=o)
            for o in ("Mopti", "Gao", "Timbuktu", "Bamako")} == {"Mopti": 1, "Gao": 2, "Timbuktu": 1, "Bamako": 0}


def test_case_gauges_show_open_cases_by_office_and_stage_and_closures(world: tuple[Path, Samples, Samples]) -> None:
    _, m, _ = world
    open_cases = {(dict(ls)["office"], dict(ls)["stage"]): v for (n, ls), v in m.items()
                  if n == "hrcase_open_cases" and v}
    assert open_cases == {("Mopti", "preliminary"): 2, ("Mopti", "reported"): 1, ("Gao", "closure_requested"): 1,
                          ("Gao", "reported"): 2, ("Timbuktu", "reported"): 1}
    assert value(m, "hrcase_open_cases", office="Kidal", stage="investigation") == 0  # configured: always there
    assert value(m, "hrcase_closures_pending", office="Gao") == 1
    assert total(m, "hrcase_closures_pending") == 1
    assert {d: total(m, "hrcase_closures_total", decision=d) for d in ("requested", "approved", "rejected")} == {
        "requested": 3, "approved": 1, "rejected": 1}
    assert value(m, "hrcase_case_events_total", type="CaseRecorded") == 4


def test_unacknowledged_alerts_match_the_open_alerts_of_casework(world: tuple[Path, Samples, Samples]) -> None:
    data, m, _ = world
    runtime = EmbeddedRuntime(Settings(data_dir=data))
    open_alerts = runtime.casework.read(lambda conn: repo.list_alerts(conn, limit=10_000))
    expected = Counter((a.office, a.kind, a.recipient_role) for a in open_alerts)
    counted = {(dict(ls)["office"], dict(ls)["kind"], dict(ls)["recipient_role"]): v
               for (n, ls), v in m.items() if n == "hrcase_alerts_unacknowledged" and v}
    assert counted == expected
    assert value(m, "hrcase_alerts_unacknowledged", office="Timbuktu", kind="possible_duplicate",
                 recipient_role="team_leader") == 1
    # Gao: two cases warned, breached and escalated: one alert per case and clock (ADR 0015), each at escalation
    # holding three reminders (it was six cards). The breach acknowledged escalated afterwards: open again, so that
    # nothing escalating hides behind an acknowledgement.
    assert total(m, "hrcase_alerts_unacknowledged", office="Gao") == len(
        [a for a in open_alerts if a.office == "Gao"]) == 2
    assert sorted((a.level, a.reminders) for a in open_alerts if a.office == "Gao") == [
        ("escalation", 3), ("escalation", 3)]


def test_processing_time_is_observed_per_service_and_event_type(world: tuple[Path, Samples, Samples]) -> None:
    _, m, _ = world
    assert value(m, "hrcase_event_processing_seconds_count", service="intake", type="raw") == 11
    assert value(m, "hrcase_event_processing_seconds_count", service="casework", type="IncidentAccepted") == 8
    assert value(m, "hrcase_event_processing_seconds_count", service="sla_monitor", type="CaseRecorded") == 4
    assert value(m, "hrcase_event_processing_seconds_count", service="casework", type="SlaBreached") == 5


def test_backlog_and_lag_are_zero_once_everything_is_processed(world: tuple[Path, Samples, Samples]) -> None:
    _, m, _ = world
    assert {dict(ls)["service"]: v for (n, ls), v in m.items() if n == "hrcase_outbox_backlog"} == {
        "intake": 0, "casework": 0, "sla_monitor": 0}
    lag = {(dict(ls)["group"], dict(ls)["topic"]): v for (n, ls), v in m.items() if n == "hrcase_consumer_lag"}
    assert lag == {("intake", "sitrep-incidents"): 0, ("casework", "incidents"): 0, ("casework", "sla-events"): 0,
                   ("sla_monitor", "case-events"): 0}


def test_lag_and_backlog_count_what_is_waiting(tmp_path: Path) -> None:
    runtime = EmbeddedRuntime(Settings(data_dir=tmp_path / "data"))
    runtime.submit(map(sitrep_outgoing, read_sitrep(sitrep_file(tmp_path / "s.jsonl"))))
    assert value(scrape(runtime), "hrcase_consumer_lag", group="intake", topic="sitrep-incidents", partition="0") == 11
    runtime.intake.processor.process(runtime.consumers[0].subscriber.poll(100), R)
    with runtime.intake.engine.connect() as conn:
        waiting = conn.execute(text("select count(*) from outbox")).scalar()
    assert value(scrape(runtime), "hrcase_outbox_backlog", service="intake") == waiting == 10  # 8 + 2 dead letters


def test_after_a_restart_gauges_come_back_equal_and_counters_start_again(
        world: tuple[Path, Samples, Samples]) -> None:
    _, before, after = world
    gauges = ("hrcase_open_cases", "hrcase_closures_pending", "hrcase_alerts_unacknowledged",
              "hrcase_sla_open_breaches", "hrcase_sla_clocks_running", "hrcase_outbox_backlog", "hrcase_consumer_lag",
              "hrcase_open_case_oldest_activity_timestamp_seconds")
    for name in gauges:
        series = {k: v for k, v in before.items() if k[0] == name}
        assert series, name
        assert series == {k: v for k, v in after.items() if k[0] == name}, name
    assert value(after, "hrcase_incidents_received_total") == 0
    assert total(after, "hrcase_sla_events_total") == 0
    assert total(after, "hrcase_recording_delay_seconds_count") == 0


def test_no_label_value_is_personal_or_free_text(world: tuple[Path, Samples, Samples]) -> None:
    _, m, _ = world
    values = {v for (_n, ls) in m for _k, v in ls}
    allowed_words = {"Mopti", "Gao", "Timbuktu", "Bamako", "Kidal", "Menaka", "raw"}
    for v in values:
        assert v in allowed_words or v.replace("_", "").replace("-", "").isalnum() or v.replace(".", "").replace(
            "e+", "").isdigit() or v == "+Inf", v
    assert not [v for v in values if "Victim" in v or "Village" in v or "#" in v]
