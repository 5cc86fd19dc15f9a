"""sla_monitor on a real SQLite file: case events and ticks emit each SLA event once, across redelivery and restarts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from schemas import decode, encode, new_envelope
from schemas.registry import load_payload
from schemas.topics import CASE_EVENTS, SLA_DEAD_LETTER, SLA_EVENTS
from services.messaging.ports import Message
from services.messaging.processing import emit
from services.messaging.sqlite import sqlite_engine
from services.sla_monitor.adapters import tables
from services.sla_monitor.bootstrap import SlaMonitor, build, migrate
from services.sla_monitor.domain.events import event_id
from services.sla_monitor.domain.policy import Policy, StallPolicy

T0 = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
CASE = "c-0001"
REGISTERED = {"incident_key": "sitrep-1#1", "sitrep_id": "sitrep-1", "occurred_at": T0 - timedelta(days=1),
              "location": "Sévaré", "violation_types": ["killing"], "perpetrator_category": "armed_group",
              "victims": {}}


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def message(offset: int, type_: str, at: datetime, stage: str, **fields: Any) -> Message:
    payload = {"case_id": CASE, "reference": "MOP-2024-0001", "office": "Mopti", "stage": stage, "actor": "hro1",
               "assignee": None, **fields}
    out = emit(CASE_EVENTS, type_, occurred_at=at, key=CASE, producer="casework", payload=payload)
    return Message(out.topic, 0, offset, out.key, out.value, out.headers)


def registered(offset: int, at: float, reported: float = 0) -> Message:
    return message(offset, "CaseRegistered", day(at), "reported", reported_at=day(reported), **REGISTERED)


def recorded(offset: int, at: float) -> Message:
    return message(offset, "CaseRecorded", day(at), "preliminary", reported_at=day(0))


def monitor(path: Path, policy: Policy | None = None) -> SlaMonitor:
    engine = sqlite_engine(path)
    migrate(engine)
    return build(engine, policy or Policy())


def outbox(m: SlaMonitor, schedules: bool = False, batched: bool = False) -> list[tuple[str, dict]]:
    """What the monitor emitted: its crossings and clears, or (with `schedules`) its SlaScheduled events only, one
    per schedule (each with its batch's envelope) unless `batched`."""
    with m.engine.connect() as conn:
        rows = conn.execute(select(tables.outbox).order_by(tables.outbox.c.id)).all()
    out = [(row.topic, json.loads(row.value)) for row in rows]
    chosen = [(topic, e) for topic, e in out if (e["type"] == "SlaScheduled") == schedules]
    if not schedules or batched:
        return chosen
    return [(topic, {**e, "payload": s}) for topic, e in chosen for s in e["payload"]["schedules"]]


def sla_events(m: SlaMonitor) -> list[tuple[str, str, int]]:
    return [(e["payload"]["clock"], e["payload"]["level"], e["payload"]["period"])
            for topic, e in outbox(m) if topic == SLA_EVENTS]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "sla_monitor.sqlite"


def test_a_batch_delivered_twice_emits_its_sla_events_once(db: Path) -> None:
    m = monitor(db)
    batch = [registered(1, at=9), recorded(2, at=10)]
    m.processor.process(batch, now=day(10))
    m.processor.process(batch, now=day(11))
    assert sla_events(m) == [("recording", "warning", 0), ("recording", "breach", 1),
                             ("recording", "escalation", 1), ("recording", "cleared", 1)]


def test_sla_events_in_the_outbox_are_valid_keyed_by_case_and_carry_deterministic_ids(db: Path) -> None:
    m = monitor(db)
    m.processor.process([registered(1, at=5)], now=day(5))
    [(topic, warning), (_, breach)] = outbox(m)
    assert topic == SLA_EVENTS
    env = decode(json.dumps(breach).encode())
    payload = load_payload(env.type, env.version, env.payload)
    assert (env.type, env.key, env.producer, env.occurred_at) == ("SlaBreached", CASE, "sla_monitor", day(4))
    assert payload["recipient_role"] == "team_leader"
    assert payload["due_at"] == day(4)
    assert env.event_id == event_id(CASE, "recording", day(0).isoformat(), 1, "breach")
    assert warning["type"] == "SlaWarning"


def test_a_tick_fires_what_fell_due_once_and_says_how_many(db: Path) -> None:
    m = monitor(db)
    m.processor.process([recorded(1, at=0)], now=day(0))
    assert m.tick(day(30) - timedelta(microseconds=1)) == 0
    assert m.tick(day(30)) == 1
    assert m.tick(day(30)) == 0
    assert m.tick(day(60)) == 2
    assert sla_events(m) == [("stall", "breach", 1), ("stall", "breach", 2), ("stall", "escalation", 2)]


def test_a_restart_on_the_same_file_keeps_the_clocks_and_emits_nothing_again(db: Path) -> None:
    first = monitor(db)
    batch = [recorded(1, at=0)]
    first.processor.process(batch, now=day(0))
    assert first.tick(day(31)) == 1
    first.engine.dispose()

    second = monitor(db)
    second.processor.process(batch, now=day(31))  # redelivered after the restart
    assert second.tick(day(31)) == 0
    assert second.tick(day(60)) == 2
    assert sla_events(second) == [("stall", "breach", 1), ("stall", "breach", 2), ("stall", "escalation", 2)]


def test_a_clock_set_back_in_time_cannot_let_a_crossing_out_twice(db: Path) -> None:
    m = monitor(db)
    m.processor.process([recorded(1, at=0)], now=day(0))
    assert m.tick(day(61)) == 3
    with m.engine.begin() as conn:  # as if the clocks table came back from an older backup
        conn.execute(update(tables.clocks).values(periods_fired=0, escalated=False, next_due=day(30)))
    assert m.tick(day(61)) == 0
    assert len(sla_events(m)) == 3


def test_rebuilding_from_the_log_into_an_empty_database_emits_the_same_event_ids(tmp_path: Path) -> None:
    batch = [registered(1, at=1), recorded(2, at=6),
             message(3, "ActivityLogged", day(50), "preliminary", description="visit")]
    ids = []
    for name in ("live.sqlite", "rebuilt.sqlite"):
        m = monitor(tmp_path / name)
        m.processor.process(batch, now=day(50))
        m.tick(day(100))
        ids.append([e["event_id"] for _, e in outbox(m)])
    assert ids[0] == ids[1]
    assert len(set(ids[0])) == len(ids[0]) == 7  # recording 3, stall 2 + 1, review 1


def test_an_event_delivered_late_fires_the_deadlines_before_it_first(db: Path) -> None:
    m = monitor(db)
    m.processor.process([recorded(1, at=0)], now=day(0))
    m.processor.process([message(2, "ActivityLogged", day(31), "preliminary", description="visit")], now=day(31))
    assert sla_events(m) == [("stall", "breach", 1), ("stall", "cleared", 1)]


def test_grace_holds_back_deadlines_until_events_in_flight_had_time_to_arrive(db: Path) -> None:
    m = monitor(db, Policy(grace_seconds=3600))
    m.processor.process([recorded(1, at=0)], now=day(0))
    assert m.next_due() == day(30) + timedelta(hours=1)
    assert m.tick(day(30) + timedelta(minutes=59)) == 0
    assert m.tick(day(30) + timedelta(hours=1)) == 1


def test_open_clocks_and_open_breaches_count_what_is_running_and_overdue(db: Path) -> None:
    m = monitor(db)
    assert (m.open_clocks(), m.open_breaches(), m.next_due()) == (0, {}, None)
    m.processor.process([registered(1, at=1)], now=day(1))
    m.tick(day(5))
    assert (m.open_clocks(), m.open_breaches()) == (1, {("recording", "Mopti"): 1})
    m.processor.process([recorded(2, at=6)], now=day(6))
    assert (m.open_clocks(), m.open_breaches(), m.next_due()) == (2, {}, day(36))


def test_an_invalid_case_event_is_dead_lettered_and_moves_no_clock(db: Path) -> None:
    m = monitor(db)
    bad = recorded(1, at=0)
    value = json.loads(bad.value)
    del value["payload"]["office"]
    m.processor.process([Message(bad.topic, 0, 1, bad.key, json.dumps(value).encode(), bad.headers)], now=day(0))
    [(topic, letter)] = outbox(m)
    assert topic == SLA_DEAD_LETTER
    assert "office" in letter["payload"]["reason"]
    assert m.open_clocks() == 0


def test_an_event_type_added_after_this_version_is_skipped_without_a_dead_letter(db: Path) -> None:
    m = monitor(db)
    env = new_envelope("CaseArchived", 1, occurred_at=day(1), key=CASE, producer="casework",
                       payload={"case_id": CASE})
    m.processor.process([Message(CASE_EVENTS, 0, 1, CASE, encode(env), {"event_id": env.event_id})], now=day(1))
    assert outbox(m) == []


def test_a_new_policy_version_reschedules_running_clocks_at_the_next_tick(db: Path) -> None:
    old = monitor(db)
    old.processor.process([recorded(1, at=0)], now=day(0))
    old.engine.dispose()
    stricter = Policy(version="2", stall=StallPolicy({"preliminary": 10, "investigation": 60, "concluded": 30}))
    new = monitor(db, stricter)
    assert new.tick(day(10)) == 1
    [(_, breach)] = outbox(new)
    assert (breach["payload"]["due_at"], breach["payload"]["policy_version"]) == (day(10).isoformat(), "2")


def test_a_new_policy_publishes_a_clock_s_schedule_behind_its_case_events_under_their_partition_s_key(
        db: Path) -> None:
    old = monitor(db)
    on_partition_3 = recorded(1, at=0)
    old.processor.process([Message(CASE_EVENTS, 3, 1, CASE, on_partition_3.value, on_partition_3.headers)], day(0))
    old.engine.dispose()
    stricter = Policy(version="2", stall=StallPolicy({"preliminary": 10, "investigation": 60, "concluded": 30}))
    new = monitor(db, stricter)
    new.tick(day(1))
    published = [(e["key"], [(s["clock"], s["due_at"], s["policy_version"]) for s in e["payload"]["schedules"]])
                 for _, e in outbox(new, schedules=True, batched=True)]
    assert published == [
        ("schedules:case-events:3",
         [("stall", day(30).isoformat(), "default"), ("review", day(90).isoformat(), "default")]),
        # Under the same key: casework takes them after the case events' schedules, whatever its lag per partition.
        ("schedules:case-events:3", [("review", day(90).isoformat(), "2"), ("stall", day(10).isoformat(), "2")]),
    ]


def test_clocks_come_back_from_the_database_exactly_as_the_domain_left_them(db: Path) -> None:
    from services.sla_monitor.adapters import repository

    m = monitor(db)
    m.processor.process([recorded(1, at=0),
                         message(2, "DelayJustified", day(3), "preliminary", reason="security", until=day(9)),
                         message(3, "CaseAssigned", day(4), "preliminary", assignee="hro2")], now=day(4))
    m.tick(day(40))
    with m.engine.connect() as conn:
        stall = repository.load_case(conn, CASE)["stall"]
    assert stall.started_at == day(0) and stall.started_at.tzinfo is not None
    assert (stall.pause_shift, stall.paused_until, stall.last_due) == (timedelta(days=6), day(9), day(36))
    assert (stall.next_due, stall.assignee, stall.periods_fired) == (day(66), "hro2", 1)


def test_the_outbox_and_inbox_commit_with_the_clocks(db: Path) -> None:
    m = monitor(db)
    m.processor.process([recorded(1, at=0)], now=day(0))
    with m.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(tables.inbox)) == 1
        assert conn.scalar(select(func.count()).select_from(tables.clocks)) == 2
    with m.engine.connect() as conn:
        assert m.mailboxes.backlog(conn) == 1  # no crossing: one record of the stall's and the review's schedules
    assert [e["payload"]["clock"] for _, e in outbox(m, schedules=True)] == ["stall", "review"]


def test_a_clock_that_starts_moves_and_stops_publishes_its_schedule_once_even_when_replayed(db: Path) -> None:
    m = monitor(db)
    batch = [registered(1, at=0), recorded(2, at=5)]
    m.processor.process(batch, now=day(5))
    m.processor.process([message(9, "CaseRecorded", day(5), "preliminary", reported_at=day(0))], now=day(5))
    m.processor.process(batch, now=day(5))
    published = [(e["payload"]["clock"], e["payload"]["state"], e["payload"]["due_at"], e["payload"]["outcome"])
                 for _, e in outbox(m, schedules=True)]
    assert published == [
        ("recording", "running", day(4).isoformat(), None),
        ("recording", "stopped", day(4).isoformat(), "missed"),  # recorded on day 5: at or after due is late
        ("stall", "running", day(35).isoformat(), None),
        ("review", "running", day(95).isoformat(), None),
    ]
    ids = [e["event_id"] for _, e in outbox(m, schedules=True, batched=True)]
    assert len(ids) == 1  # the first batch's schedules in one SlaScheduled; the replays published none
