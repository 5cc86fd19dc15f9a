"""The casework repository, one suite on both of its databases: a SQLite file and PostgreSQL in its own schema."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, select, text

from services.casework.adapters import inbox, tables
from services.casework.adapters import repository as repo
from services.casework.adapters import schedules as schedule_store
from services.casework.adapters.schedules import BatchSchedules
from services.casework.bootstrap import migrate
from services.casework.domain.alerts import Alert
from services.casework.domain.case import Case
from services.casework.domain.roles import User
from services.casework.domain.schedules import Schedule
from services.messaging.sqlite import sqlite_engine
from services.messaging.times import as_utc
from sitreps.key import incident_key

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BAMAKO = timezone(timedelta(hours=0), "Africa/Bamako")
PLUS_TWO = timezone(timedelta(hours=2))
MINUS_FIVE = timezone(timedelta(hours=-5))


@dataclass
class Backend:
    name: str
    schema: str | None
    engine: Engine  # what the service is built on
    reflecting: Engine  # what Alembic compares with: reflection ignores schema_translate_map


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        engine = sqlite_engine(tmp_path / "casework.sqlite")
        migrate(engine)
        yield Backend("sqlite", None, engine, engine)
        engine.dispose()
        return
    server, schema = request.getfixturevalue("postgres")
    migrate(server, schema)
    searching = create_engine(server.url, connect_args={"options": f"-csearch_path={schema}"})
    yield Backend("postgresql", schema, server.execution_options(schema_translate_map={None: schema}), searching)
    searching.dispose()


def a_case(n: int, office: str = "Mopti", reported_at: datetime = T0, **changes: Any) -> Case:
    case = Case(
        case_id=f"c-{n:04d}", reference=f"{office[:3].upper()}-2026-{n:04d}", incident_key=incident_key("SR-1", n),
        office=office, stage="reported", reported_at=reported_at, registered_at=reported_at + timedelta(hours=1),
        assignee="awa", version=1, details={"location": "Konna", "violation_types": ["abduction"]},
    )
    return replace(case, **changes)


def an_alert(alert_id: str, case_id: str = "c-0001", *, kind: str = "stall", role: str = "team_leader",
             office: str = "Mopti", assignee: str | None = "awa", due_at: datetime = T0) -> Alert:
    return Alert(
        alert_id=alert_id, case_id=case_id, reference="MOP-2026-0001", office=office, kind=kind, level="breach",
        recipient_role=role, assignee=assignee, period=1, due_at=due_at, opened_at=due_at,
        message=f"Overdue: {alert_id}",
    )


def insert_cases(conn: Connection, *cases: Case) -> None:
    batch = repo.BatchCases()
    for case in cases:
        batch.insert_case(case)
    batch.flush(conn)


def add_alerts(conn: Connection, *alerts: Alert) -> None:
    batch = repo.BatchAlerts()
    for alert in alerts:
        batch.add(alert)
    batch.flush(conn)


def resolve_alerts(conn: Connection, case_id: str, kind: str, at: datetime, resolution: str) -> None:
    batch = repo.BatchAlerts()
    batch.resolve(conn, case_id, kind, at, resolution)
    batch.flush(conn)


LEVEL_EVENT = {"warning": "SlaWarning", "breach": "SlaBreached", "escalation": "SlaEscalated"}
RECIPIENT = {"warning": "hro", "breach": "team_leader", "escalation": "director"}


def sla_step(event_id: str, level: str, at: datetime, case_id: str = "c-0001", clock: str = "stall",
             period: int = 1) -> tuple[str, str, dict[str, Any], datetime]:
    """What on_sla_event hands the batch for one SLA event of a clock."""
    return event_id, LEVEL_EVENT[level], {
        "case_id": case_id, "reference": "MOP-2026-0001", "office": "Mopti", "stage": "preliminary", "clock": clock,
        "level": level, "period": period, "started_at": T0, "due_at": at, "recipient_role": RECIPIENT[level],
        "assignee": "awa", "policy_version": "2026-1"}, at


def fold_events(conn: Connection, *steps: tuple[str, str, dict[str, Any], datetime]) -> None:
    batch = repo.BatchAlerts()
    for step in steps:
        batch.on_sla_event(conn, *step)
    batch.flush(conn)


def history_row(event_id: str, occurred_at: datetime, case_id: str = "c-0001", type_: str = "ActivityLogged",
                ) -> dict[str, Any]:
    return {"event_id": event_id, "case_id": case_id, "type": type_, "occurred_at": occurred_at, "actor": "awa",
            "payload": json.dumps({"note": event_id})}


def is_aware_utc(value: datetime | None) -> bool:
    return value is not None and value.tzinfo is not None and value.utcoffset() == timedelta(0)


def test_a_case_is_read_back_by_id_and_by_reference_exactly_as_inserted(backend: Backend) -> None:
    case = a_case(1, recorded_at=T0 + timedelta(days=1), last_activity_at=T0 + timedelta(days=2), stage="preliminary")
    with backend.engine.begin() as conn:
        insert_cases(conn, case)
    with backend.engine.connect() as conn:
        assert repo.get_case(conn, "c-0001") == case
        assert repo.get_case(conn, "MOP-2026-0001") == case
        assert repo.get_case(conn, "MOP-2026-0002") is None
        assert repo.case_exists_for(conn, "SR-1#1")
        assert not repo.case_exists_for(conn, "SR-1#2")


def test_an_update_from_the_current_version_is_saved(backend: Backend) -> None:
    case = a_case(1)
    recorded = replace(case, stage="preliminary", recorded_at=T0 + timedelta(days=1), version=2)
    with backend.engine.begin() as conn:
        insert_cases(conn, case)
    with backend.engine.begin() as conn:
        repo.update_case(conn, case, recorded)
    with backend.engine.connect() as conn:
        assert repo.get_case(conn, case.case_id) == recorded
        assert repo.list_cases(conn, stage="preliminary") == [recorded]
        assert repo.count_cases(conn) == [("Mopti", "preliminary", 1)]


def test_an_update_from_a_stale_version_is_refused_and_leaves_the_case_as_the_winner_saved_it(
    backend: Backend,
) -> None:
    case = a_case(1)
    with backend.engine.begin() as conn:
        insert_cases(conn, case)
    winner = replace(case, stage="preliminary", version=2)
    loser = replace(case, assignee="bakary", version=2)
    with backend.engine.begin() as conn:
        repo.update_case(conn, case, winner)
    with pytest.raises(repo.StaleCase), backend.engine.begin() as conn:
        repo.update_case(conn, case, loser)
    with backend.engine.connect() as conn:
        assert repo.get_case(conn, case.case_id) == winner


def test_history_comes_back_in_the_order_it_was_appended_whatever_the_event_times(backend: Backend) -> None:
    times = [T0 + timedelta(days=3), T0 + timedelta(days=1), T0 + timedelta(days=2)]  # as a late event arrives
    with backend.engine.begin() as conn:
        repo.append_history(conn, [history_row("e-1", times[0]), history_row("e-2", times[1])])
        repo.append_history(conn, [history_row("other", T0, case_id="c-0002")])
    with backend.engine.begin() as conn:
        repo.append_history(conn, [history_row("e-3", times[2])])
    with backend.engine.connect() as conn:
        rows = repo.history(conn, "c-0001")
    assert [(r["event_id"], r["occurred_at"], r["payload"]) for r in rows] == [
        ("e-1", times[0], {"note": "e-1"}), ("e-2", times[1], {"note": "e-2"}), ("e-3", times[2], {"note": "e-3"}),
    ]


def test_times_written_with_any_offset_come_back_as_the_same_instant_in_aware_utc(backend: Backend) -> None:
    at = datetime(2026, 3, 2, 10, 0, tzinfo=PLUS_TWO)  # 08:00 UTC
    alert = replace(an_alert("a-1", due_at=at), opened_at=at.astimezone(MINUS_FIVE))
    with backend.engine.begin() as conn:
        repo.append_history(conn, [history_row("e-1", at)])
        add_alerts(conn, alert)
        repo.save_alert(conn, replace(alert, acknowledged_by="tl_mopti", acknowledged_at=at.astimezone(BAMAKO)))
    with backend.engine.connect() as conn:
        occurred = repo.history(conn, "c-0001")[0]["occurred_at"]
        stored = repo.get_alert(conn, "a-1")
    assert stored is not None
    for value in (occurred, stored.due_at, stored.opened_at, stored.acknowledged_at):
        assert value == T0
        assert is_aware_utc(value)


def test_cases_are_listed_by_the_instant_they_were_reported_whatever_offset_they_carry(backend: Backend) -> None:
    early = a_case(1, reported_at=datetime(2026, 3, 2, 10, 0, tzinfo=PLUS_TWO))  # 08:00 UTC
    late = a_case(2, reported_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with backend.engine.begin() as conn:
        insert_cases(conn, late, early)
    with backend.engine.connect() as conn:
        assert [c.case_id for c in repo.list_cases(conn)] == ["c-0001", "c-0002"]
        stored = conn.execute(select(tables.cases.c.reported_at).order_by(tables.cases.c.case_id)).scalars().all()
    assert [as_utc(v) for v in stored] == [T0, T0 + timedelta(hours=1)]


def test_users_are_saved_updated_and_listed_by_office_then_name(backend: Backend) -> None:
    with backend.engine.begin() as conn:
        for user in (User("tl_mopti", "team_leader", "Mopti"), User("awa", "hro", "Mopti", "Awa Traoré"),
                     User("director", "director", "Bamako")):
            repo.save_user(conn, user)
    with backend.engine.begin() as conn:
        repo.save_user(conn, User("awa", "hro", "Gao", "Awa Traoré", active=False))
    with backend.engine.connect() as conn:
        assert repo.get_user(conn, "awa") == User("awa", "hro", "Gao", "Awa Traoré", active=False)
        assert repo.get_user(conn, "nobody") is None
        assert [u.username for u in repo.list_users(conn)] == ["director", "awa", "tl_mopti"]


def test_an_alert_is_added_once_and_a_redelivered_one_is_ignored(backend: Backend) -> None:
    alert = an_alert("a-1")
    with backend.engine.begin() as conn:
        add_alerts(conn, alert, replace(alert, message="the same SLA event, delivered again in the batch"))
    with backend.engine.begin() as conn:
        add_alerts(conn, replace(alert, message="the same SLA event, delivered again later"))
    with backend.engine.connect() as conn:
        assert repo.get_alert(conn, "a-1") == alert
        assert repo.get_alert(conn, "a-2") is None


def test_resolving_closes_the_live_alert_of_that_case_and_clock_acknowledged_or_not(backend: Backend) -> None:
    resolved_at, day = T0 + timedelta(days=5), timedelta(days=1)
    with backend.engine.begin() as conn:
        fold_events(conn, sla_step("s-1", "breach", T0), sla_step("s-2", "breach", T0 + day, period=2),
                    sla_step("r-1", "breach", T0, clock="review"), sla_step("o-1", "breach", T0, case_id="c-0002"),
                    sla_step("t-1", "breach", T0, case_id="c-0003"))
        repo.save_alert(conn, replace(repo.get_alert(conn, "t-1"), acknowledged_by="tl_mopti", acknowledged_at=T0))
    with backend.engine.begin() as conn:
        resolve_alerts(conn, "c-0001", "stall", resolved_at, "activity logged")
        resolve_alerts(conn, "c-0003", "stall", resolved_at, "stage changed")
    with backend.engine.connect() as conn:
        after = {a.alert_id: a for a in repo.list_alerts(conn, open_only=False)}
    assert set(after) == {"s-1", "r-1", "o-1", "t-1"}  # the stall's second breach is a reminder of its alert
    assert {k for k, a in after.items() if a.resolved_at is not None} == {"s-1", "t-1"}
    assert (after["s-1"].resolved_at, after["s-1"].resolution, after["s-1"].reminders) == (
        resolved_at, "activity logged", 2)
    assert after["t-1"].acknowledged_by == "tl_mopti"  # taken in hand, then done with


def test_five_breaches_of_one_clock_are_one_alert_holding_five_reminders(backend: Backend) -> None:
    day = timedelta(days=30)
    with backend.engine.begin() as conn:
        fold_events(conn, *(sla_step(f"b-{n}", "breach", T0 + n * day, period=n + 1) for n in range(3)))
    with backend.engine.begin() as conn:  # the next two in a later batch
        fold_events(conn, *(sla_step(f"b-{n}", "breach", T0 + n * day, period=n + 1) for n in range(3, 5)))
    with backend.engine.connect() as conn:
        [alert] = repo.list_alerts(conn, open_only=False)
        by_a_later_id = repo.get_alert(conn, "b-4")
    assert (alert.alert_id, alert.level, alert.reminders, alert.period) == ("b-0", "breach", 5, 5)
    assert (alert.opened_at, alert.latest_at, alert.due_at) == (T0, T0 + 4 * day, T0)  # overdue since the first
    assert by_a_later_id == alert  # each SLA event it holds names it


def test_a_warning_then_a_breach_then_an_escalation_are_one_alert_at_escalation_reaching_every_role(
        backend: Backend) -> None:
    day = timedelta(days=1)
    with backend.engine.begin() as conn:
        fold_events(conn, sla_step("w", "warning", T0 + 3 * day, clock="recording"),
                    sla_step("b", "breach", T0 + 4 * day, clock="recording"))
    with backend.engine.begin() as conn:
        fold_events(conn, sla_step("e", "escalation", T0 + 8 * day, clock="recording"))
    with backend.engine.connect() as conn:
        [alert] = repo.list_alerts(conn, open_only=False)
        inboxes = {u.role: [a.alert_id for a in repo.inbox_for(conn, u)] for u in (
            User("awa", "hro", "Mopti"), User("tl_mopti", "team_leader", "Mopti"), User("d", "director", "Bamako"))}
    assert (alert.level, alert.recipient_role, alert.reminders) == ("escalation", "director", 3)
    assert alert.reached == ("hro", "team_leader", "director")
    assert alert.due_at == T0 + 4 * day  # the goal: a warning's instant is its own, an escalation's moves nothing
    assert inboxes == {"hro": ["w"], "team_leader": ["w"], "director": ["w"]}


def test_a_new_reminder_after_an_acknowledgement_reopens_the_alert(backend: Backend) -> None:
    day = timedelta(days=30)
    with backend.engine.begin() as conn:
        fold_events(conn, sla_step("b-1", "breach", T0))
        repo.save_alert(conn, replace(repo.get_alert(conn, "b-1"), acknowledged_by="tl_mopti",
                                      acknowledged_at=T0 + timedelta(days=1)))
        taken = repo.get_alert(conn, "b-1")
    with backend.engine.begin() as conn:
        fold_events(conn, sla_step("b-2", "breach", T0 + day, period=2))
    with backend.engine.connect() as conn:
        again = repo.get_alert(conn, "b-1")
    assert taken is not None and again is not None and not taken.is_open
    assert (again.is_open, again.reminders, again.acknowledged_by) == (True, 2, None)


def test_a_batchs_alerts_are_opened_and_resolved_as_batches_of_one_would(backend: Backend) -> None:
    day = timedelta(days=1)
    steps: list[tuple[str, Any]] = [
        ("sla", sla_step("before-2", "breach", T0 + day, period=2)),
        ("resolve", ("c-0001", "stall", T0 + day, "activity logged")),
        ("sla", sla_step("new-1", "warning", T0 + 2 * day)), ("sla", sla_step("new-2", "breach", T0 + 3 * day)),
        ("sla", sla_step("rec-1", "breach", T0, clock="recording")),
        ("resolve", ("c-0001", "stall", T0 + 4 * day, "stage changed")),
        ("sla", sla_step("new-3", "breach", T0 + 5 * day)), ("add", an_alert("dup-c-0001", kind="possible_duplicate")),
        ("sla", sla_step("new-4", "escalation", T0 + 6 * day)),
    ]

    def table(batched: bool) -> dict[str, Alert]:
        with backend.engine.begin() as conn:
            conn.execute(tables.alerts.delete())
            conn.execute(tables.alert_aliases.delete())
            fold_events(conn, sla_step("before-1", "breach", T0))
        with backend.engine.begin() as conn:
            batch = repo.BatchAlerts()
            for what, item in steps:
                if what == "add":
                    batch.add(item)
                elif what == "sla":
                    batch.on_sla_event(conn, *item)
                else:
                    batch.resolve(conn, *item)
                if not batched:  # message by message: each a batch of its own
                    batch.flush(conn)
            batch.flush(conn)
        with backend.engine.connect() as conn:
            return {a.alert_id: a for a in repo.list_alerts(conn, open_only=False)}

    one_by_one = table(batched=False)
    assert {k: (a.level, a.reminders, a.resolution) for k, a in one_by_one.items()} == {
        "before-1": ("breach", 2, "activity logged"), "new-1": ("breach", 2, "stage changed"),
        "rec-1": ("breach", 1, ""), "new-3": ("escalation", 2, ""), "dup-c-0001": ("breach", 1, "")}
    assert table(batched=True) == one_by_one


def test_each_persons_inbox_holds_the_open_alerts_meant_for_them_soonest_due_first(backend: Backend) -> None:
    day = timedelta(days=1)
    alerts = [
        an_alert("mopti-late", due_at=T0 + 2 * day), an_alert("mopti-soon", due_at=T0),
        an_alert("gao", office="Gao"), an_alert("mopti-resolved", due_at=T0 + day),
        an_alert("mopti-acknowledged", due_at=T0 + 4 * day),
        an_alert("director-gao", role="director", office="Gao", due_at=T0 + day),
        an_alert("director-mopti", role="director", due_at=T0 + 3 * day),
        an_alert("awa", role="hro", assignee="awa"), an_alert("bakary", role="hro", assignee="bakary"),
    ]
    with backend.engine.begin() as conn:
        add_alerts(conn, *alerts)
        repo.save_alert(conn, replace(alerts[3], resolved_at=T0, resolution="cleared"))
        repo.save_alert(conn, replace(alerts[4], acknowledged_by="tl_mopti", acknowledged_at=T0))
    mopti_leader, director = User("tl_mopti", "team_leader", "Mopti"), User("deputy", "director", "Bamako")
    with backend.engine.connect() as conn:
        def inbox(user: User, open_only: bool = True) -> list[str]:
            return [a.alert_id for a in repo.inbox_for(conn, user, open_only)]

        assert inbox(mopti_leader) == ["mopti-soon", "mopti-late"]
        assert inbox(mopti_leader, open_only=False) == ["mopti-soon", "mopti-resolved", "mopti-late",
                                                        "mopti-acknowledged"]
        assert inbox(User("tl_gao", "team_leader", "Gao")) == ["gao"]
        assert inbox(director) == ["director-gao", "director-mopti"]
        assert inbox(User("awa", "hro", "Mopti")) == ["awa"]


def test_reference_numbers_count_up_per_office_and_year(backend: Backend) -> None:
    with backend.engine.begin() as conn:
        mopti_2026 = [repo.next_reference_number(conn, "Mopti", 2026) for _ in range(3)]
    with backend.engine.begin() as conn:
        mopti_2026.append(repo.next_reference_number(conn, "Mopti", 2026))
        gao_2026 = repo.next_reference_number(conn, "Gao", 2026)
        mopti_2027 = repo.next_reference_number(conn, "Mopti", 2027)
    assert (mopti_2026, gao_2026, mopti_2027) == ([1, 2, 3, 4], 1, 1)


def test_a_number_taken_in_a_transaction_that_rolls_back_is_given_again(backend: Backend) -> None:
    with backend.engine.begin() as conn:
        assert repo.next_reference_number(conn, "Mopti", 2026) == 1
    with backend.engine.connect() as conn, conn.begin() as tx:
        assert repo.next_reference_number(conn, "Mopti", 2026) == 2
        tx.rollback()
    with backend.engine.begin() as conn:
        assert repo.next_reference_number(conn, "Mopti", 2026) == 2


def _context(conn: Connection) -> MigrationContext:
    """Compared as declared: the search index's own objects are named by `tables.kept_by_metadata` (ADR 0021)."""
    return MigrationContext.configure(conn, opts={"include_object": tables.kept_by_metadata})


def test_the_migration_leaves_exactly_the_declared_tables_and_running_it_again_changes_nothing(
    backend: Backend,
) -> None:
    with backend.reflecting.connect() as conn:
        assert compare_metadata(_context(conn), tables.metadata) == []
    with backend.reflecting.begin() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    migrate(backend.reflecting, backend.schema)
    with backend.reflecting.connect() as conn:
        assert compare_metadata(_context(conn), tables.metadata) == []
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == revision


@pytest.mark.postgres
def test_on_postgresql_two_transactions_taking_a_number_at_once_get_different_numbers(
    postgres: tuple[Engine, str],
) -> None:
    server, schema = postgres
    migrate(server, schema)
    engine = server.execution_options(schema_translate_map={None: schema})
    with engine.begin() as conn:
        assert repo.next_reference_number(conn, "Mopti", 2026) == 1
    taken: dict[str, int] = {}
    failures: list[BaseException] = []
    with engine.connect() as first, engine.connect() as second:
        pid = second.scalar(text("SELECT pg_backend_pid()"))
        second.rollback()

        def take() -> None:
            try:
                with second.begin():
                    taken["second"] = repo.next_reference_number(second, "Mopti", 2026)
            except BaseException as exc:  # surfaced in the test's own thread below
                failures.append(exc)

        with first.begin():
            taken["first"] = repo.next_reference_number(first, "Mopti", 2026)
            worker = threading.Thread(target=take)
            worker.start()
            wait_until_blocked(engine, pid, worker)  # the second now waits for the first one's sequence row
        worker.join(timeout=30)
    assert not worker.is_alive()
    assert failures == []
    assert sorted(taken.values()) == [2, 3]


def wait_until_blocked(engine: Engine, pid: int | None, worker: threading.Thread, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    with engine.connect() as watcher:
        while time.monotonic() < deadline and worker.is_alive():
            waiting = watcher.scalar(
                text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            )
            watcher.rollback()  # a fresh snapshot of pg_stat_activity on the next read
            if waiting:
                return
            time.sleep(0.05)
    pytest.fail(f"backend {pid} never waited for the lock (worker finished: {not worker.is_alive()})")


def a_schedule(case_id: str, started_at: datetime, **changes: Any) -> Schedule:
    schedule = Schedule(case_id=case_id, clock="stall", episode=started_at.isoformat(), state="running",
                        started_at=started_at, due_at=started_at + timedelta(days=30),
                        warn_at=started_at + timedelta(days=22, hours=12), escalate_at=None, paused_until=None,
                        stopped_at=None, outcome=None, policy_version="2026-1")
    return replace(schedule, **changes)


def test_schedules_keep_the_latest_episode_of_each_clock_and_a_late_duplicate_of_an_earlier_one_changes_nothing(
        backend: Backend) -> None:
    first, later = T0.astimezone(PLUS_TWO), T0 + timedelta(days=9)
    batch = BatchSchedules()
    for n in range(1, 4):
        batch.add(a_schedule(f"c-{n:04d}", first))
    batch.add(a_schedule("c-0001", first, state="paused", paused_until=first + timedelta(days=5)))  # the last wins
    with backend.engine.begin() as conn:
        batch.flush(conn)
    with backend.engine.begin() as conn:  # a new episode of c-0002, then the old one again, delivered late
        schedule_store.save(conn, [a_schedule("c-0002", later)])
        schedule_store.save(conn, [a_schedule("c-0002", first, state="stopped", stopped_at=later, outcome="met")])
    with backend.engine.connect() as conn:
        found = {case_id: s for case_id, [s] in schedule_store.for_cases(conn, ["c-0001", "c-0002", "c-0003"]).items()}
    assert found["c-0001"].state == "paused" and found["c-0001"].paused_until == first + timedelta(days=5)
    assert found["c-0002"].started_at == later
    assert found["c-0002"].state == "running" and found["c-0002"].outcome is None
    assert found["c-0003"] == a_schedule("c-0003", first)
    assert found["c-0003"].due_at.utcoffset() == timedelta(0)  # read back in UTC, whatever zone it was written in


def test_the_worklist_is_one_line_per_case_ranked_by_level_then_longest_overdue_and_the_menu_counts_cases(
        backend: Backend) -> None:
    day = timedelta(days=1)
    with backend.engine.begin() as conn:
        fold_events(
            conn,
            sla_step("c1-stall", "breach", T0 + 5 * day), sla_step("c1-review", "breach", T0 + 2 * day, clock="review"),
            sla_step("c2-stall", "breach", T0, case_id="c-0002"),
            sla_step("c3-rec", "breach", T0 + 9 * day, case_id="c-0003", clock="recording"),
            sla_step("c3-rec-esc", "escalation", T0 + 12 * day, case_id="c-0003", clock="recording"),
            sla_step("c4-warn", "warning", T0, case_id="c-0004"),  # reached only the HRO
            sla_step("c5-stall", "breach", T0 + day, case_id="c-0005"))
        repo.save_alert(conn, replace(repo.get_alert(conn, "c5-stall"), acknowledged_by="tl", acknowledged_at=T0))
        add_alerts(conn, an_alert("gao", "c-0006", office="Gao"))
    leader = User("tl_mopti", "team_leader", "Mopti")
    with backend.engine.connect() as conn:
        listed = inbox.worklist_page(conn, leader, open_only=True, limit=2, offset=0)
        total, first = listed.total, listed.items
        second = inbox.worklist_page(conn, leader, open_only=True, limit=2, offset=2).items
        counted = inbox.cases_needing_action(conn, leader)
        everything = inbox.worklist_page(conn, leader, open_only=False, limit=10, offset=0).items
        bounded = inbox.worklist_page(conn, leader, open_only=True, limit=1, offset=0, bound=2)
        beyond = inbox.worklist_page(conn, leader, open_only=True, limit=1, offset=2, bound=1)
    # Escalated first; then the breaches, the longest overdue first (c-0002 due at T0; c-0001's review at T0+2d).
    assert [(i.case_id, i.level, [a.kind for a in i.alerts]) for i in first + second] == [
        ("c-0003", "escalation", ["recording"]), ("c-0002", "breach", ["stall"]),
        ("c-0001", "breach", ["review", "stall"])]
    assert (total, counted, listed.exact) == (3, 3, True)
    assert [i.case_id for i in everything] == ["c-0003", "c-0002", "c-0005", "c-0001"]  # with the acknowledged
    # Counted up to the bound, then "more than": the page still ranks every case (the third is c-0001's).
    assert (bounded.total, bounded.exact, [i.case_id for i in bounded.items]) == (2, False, ["c-0003"])
    assert (beyond.total, beyond.exact, [i.case_id for i in beyond.items]) == (3, True, ["c-0001"])
    # The open worklist counted to the menu's bound gives the menu's count; counted otherwise, it gives none.
    assert (listed.needing_action, bounded.needing_action, beyond.needing_action) == (counted, None, None)


def test_the_worklist_and_the_menu_count_read_the_alerts_by_an_index(backend: Backend) -> None:
    leader = User("tl_mopti", "team_leader", "Mopti")
    statements: list[tuple[str, Any]] = []
    with backend.engine.connect() as conn:
        from sqlalchemy import event
        listen = lambda *args: statements.append((args[2], args[3]))  # noqa: E731
        event.listen(conn, "before_cursor_execute", listen)
        inbox.cases_needing_action(conn, leader)
        inbox.worklist_page(conn, leader, open_only=True, limit=50, offset=0)
        event.remove(conn, "before_cursor_execute", listen)
        explain = "EXPLAIN QUERY PLAN " if backend.name == "sqlite" else "EXPLAIN "
        if backend.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))  # an empty table: ask whether an index *can* serve it
        plans = [" ".join(str(r[-1] if backend.name == "sqlite" else r[0])
                          for r in conn.exec_driver_sql(explain + sql, params).fetchall())
                 for sql, params in statements if "alerts" in sql]
    # The menu's count, the worklist's count, a walk of each level (no alert: no page of cases to read by case id).
    assert len(plans) == 6
    for plan in plans:  # by one of the alerts' indexes (the office's, or the open alerts'), never the whole table
        assert re.search(r"ix_alerts_(worklist|open|clock|case_id)", plan), plan
        assert "Seq Scan on alerts" not in plan and not re.search(r"SCAN alerts(?! USING)", plan), plan
    if backend.name == "sqlite":  # the counts test who each alert reached in the index: no alert's row is read
        assert "USING COVERING INDEX ix_alerts_worklist" in plans[0], plans[0]


def test_the_menu_counts_cases_up_to_its_bound_and_one_more_says_there_are_more(backend: Backend) -> None:
    with backend.engine.begin() as conn:
        add_alerts(conn, *(an_alert(f"a{n}", f"c-{n:04d}") for n in range(6)),
                   an_alert("a0-review", "c-0000", kind="review"))  # a second alert of one case counts once
    leader = User("tl_mopti", "team_leader", "Mopti")
    with backend.engine.connect() as conn:
        assert inbox.cases_needing_action(conn, leader) == 6
        assert inbox.cases_needing_action(conn, leader, bound=6) == 6
        assert inbox.cases_needing_action(conn, leader, bound=4) == 5  # "4+": more than the bound, not how many
