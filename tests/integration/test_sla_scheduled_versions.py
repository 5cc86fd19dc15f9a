"""SlaScheduled version 1 (one schedule, keyed by case id; older logs) is read as a batch of one wherever version 2 is:
by casework, by the reports and by the metrics, to the same effect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from schemas.topics import SLA_EVENTS
from services.casework import bootstrap as casework_boot
from services.casework.adapters import schedules as schedule_store
from services.messaging.ports import Message
from services.messaging.processing import emit
from services.messaging.sqlite import sqlite_engine
from services.metrics import Metrics
from services.reporting.adapters.log_source import history_of
from services.sla_monitor.domain.schedules import Schedule, batches
from services.sla_monitor.handlers import outgoing

T0 = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)


def schedule(case_id: str, state: str = "running", outcome: str | None = None, at: float = 0) -> Schedule:
    return Schedule(case_id=case_id, clock="recording", episode=T0.isoformat(), reference=f"MOP-2024-{case_id[-4:]}",
                    office="Mopti", stage="reported", assignee=None, started_at=T0, state=state,
                    due_at=T0 + timedelta(days=4), warn_at=T0 + timedelta(days=3), escalate_at=T0 + timedelta(days=30),
                    paused_until=None, policy_version="default", occurred_at=T0 + timedelta(days=at),
                    stopped_at=T0 + timedelta(days=at) if state == "stopped" else None, outcome=outcome)


def version_1(s: Schedule, offset: int) -> Message:
    """As the monitor published a schedule before ADR 16."""
    out = emit(SLA_EVENTS, "SlaScheduled", occurred_at=s.occurred_at, key=s.case_id, producer="sla_monitor",
               payload=s.payload(), event_id=s.event_id)
    return Message(SLA_EVENTS, 0, offset, out.key, out.value, out.headers)


def version_2(items: list[Schedule], offset: int) -> Message:
    [published] = batches("schedules:case-events:0", items, 500)
    out = outgoing(published)
    return Message(SLA_EVENTS, 0, offset, out.key, out.value, out.headers)


def test_casework_keeps_the_same_schedules_from_either_version(tmp_path: Path) -> None:
    kept = {}
    for version, records in (
        (1, [version_1(schedule("c-0001"), 1), version_1(schedule("c-0001", "stopped", "missed", at=5), 2),
             version_1(schedule("c-0002"), 3)]),
        (2, [version_2([schedule("c-0001"), schedule("c-0001", "stopped", "missed", at=5)], 1),
             version_2([schedule("c-0002")], 2)]),
    ):
        engine = sqlite_engine(tmp_path / f"casework-v{version}.sqlite")
        casework_boot.migrate(engine)
        casework = casework_boot.build(engine)
        casework.processor.process(records, T0 + timedelta(days=6))
        with engine.connect() as conn:
            kept[version] = schedule_store.all_schedules(conn)
        engine.dispose()
    assert sorted((s.case_id, s.state, s.outcome) for s in kept[1]) == [
        ("c-0001", "stopped", "missed"), ("c-0002", "running", None)]
    assert sorted(kept[1], key=lambda s: s.case_id) == sorted(kept[2], key=lambda s: s.case_id)


def test_reports_read_each_schedule_of_either_version_with_its_own_time_in_the_monitor_s_order() -> None:
    first, stopped = schedule("c-0001"), schedule("c-0001", "stopped", "met", at=2)
    old = history_of([version_1(first, 1), version_1(stopped, 2)]).schedules
    new = history_of([version_2([first, stopped], 1)]).schedules
    for events in (old, new):
        assert [(e.key, e.occurred_at, e.payload["state"], e.payload["outcome"]) for e in events] == [
            ("c-0001", T0, "running", None), ("c-0001", T0 + timedelta(days=2), "stopped", "met")]


def test_the_outcome_counter_counts_each_stopped_clock_of_either_version_once() -> None:
    metrics = Metrics()
    observe = metrics.observer("casework")
    stops = [schedule("c-0001", "stopped", "met", at=2), schedule("c-0002", "stopped", "missed", at=6)]
    for message in (version_1(stops[0], 1), version_1(stops[1], 2), version_2([schedule("c-0003"), *stops], 3)):
        observe(message, [], None, 0.001)
    page = generate_latest(metrics.registry).decode()
    counted = {(s.labels["outcome"], s.labels["office"]): s.value for f in text_string_to_metric_families(page)
               for s in f.samples if s.name == "hrcase_sla_outcomes_total" and s.value}
    assert counted == {("met", "Mopti"): 2, ("missed", "Mopti"): 2}


class Kept:
    def __init__(self) -> None:
        self.records: list = []

    def publish(self, records: list) -> None:
        self.records.extend(records)


def test_a_restore_publishes_only_the_schedules_the_log_does_not_hold_yet() -> None:
    from services.reporting.rebuild import _NewSchedulesOnly, _schedule_key, _schedules

    old, new = schedule("c-0001"), schedule("c-0001", "stopped", "met", at=2)
    on_the_log = version_2([old], 1)
    kept = Kept()
    publisher = _NewSchedulesOnly(kept, {_schedule_key(s) for s in _schedules(on_the_log.value)})
    rebatched = outgoing(batches("schedules:case-events:0", [old, new], 500)[0])
    publisher.publish([rebatched, outgoing(batches("schedules:case-events:0", [old], 500)[0])])
    [published] = kept.records
    assert [(s["state"], s["outcome"]) for s in _schedules(published.value)] == [("stopped", "met")]
