"""The case read model is what its rules give: random histories of incidents, officers' commands and the monitor's
schedules (some arriving before their case is registered) through casework's real handlers, then every row of
case_summaries equals summary_of(the case folded from its own history) merged with deadline_of(its schedules)."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, select, text

from schemas.registry import latest_version, load_payload
from schemas.topics import INCIDENTS, SLA_EVENTS
from services.casework import bootstrap
from services.casework.adapters import repository as repo
from services.casework.adapters import schedules as schedule_store
from services.casework.adapters import summary_check
from services.casework.adapters.case_lists import rows
from services.casework.adapters.summaries import FAR
from services.casework.adapters.tables import case_summaries
from services.casework.domain import commands as c
from services.casework.domain.case import Case, Event, apply, registered
from services.casework.domain.errors import CommandRefused
from services.casework.domain.reference import case_id_for
from services.casework.domain.roles import User
from services.casework.domain.summaries import deadline_of, summary_of
from services.casework.handlers import DETAIL_FIELDS
from services.messaging.ports import Message
from services.messaging.processing import emit
from services.messaging.sqlite import sqlite_engine
from services.messaging.times import as_utc
from services.sla_monitor.domain.schedules import Schedule, batches
from services.sla_monitor.handlers import outgoing
from services.vault import IdentityVault

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
VAULT = IdentityVault.generate()
USERS = [User("awa", "hro", "Mopti"), User("bakary", "hro", "Mopti"), User("tl_mopti", "team_leader", "Mopti"),
         User("director", "director", "Bamako"), User("deputy", "director", "Bamako")]
PLACES = ("Konna", "Mopti", "Sevare", "somewhere by the river")
INCIDENTS_N = 3


def incident(n: int) -> dict[str, Any]:
    return {"incident_key": f"SR-1#{n}", "sitrep_id": "SR-1", "incident_number": n + 1, "reported_at": T0,
            "occurred_at": T0 - timedelta(days=1), "office": "Mopti", "location": PLACES[n % len(PLACES)],
            "violation_types": ["abduction", "killing"][: 1 + n % 2], "perpetrator_category": "unidentified",
            "victims": {"female_adult": 1 + n}, "source_type": "ngo", "summary": f"incident {n} on the road " * 20,
            "assignee": None, "identities": VAULT.seal({})}


def command(action: str, case: Case, at: datetime, pick: int) -> c.Command | None:
    cid = case.case_id
    return {
        "record": lambda: c.RecordCase(cid, "tl_mopti"),
        "assign": lambda: c.AssignCase(cid, "tl_mopti", ("awa", "bakary")[pick % 2]),
        "activity": lambda: c.LogActivity(cid, case.assignee or "tl_mopti", "went to see"),
        "advance": lambda: c.AdvanceStage(cid, "tl_mopti", ("investigation", "concluded")[pick % 2]),
        "delay": lambda: c.JustifyDelay(cid, "tl_mopti", "security", at + timedelta(days=5)),
        "request": lambda: c.RequestClosure(cid, "tl_mopti", "concluded", "done"),
        "approve": lambda: c.ApproveClosure(cid, ("director", "deputy")[pick % 2]),
        "reject": lambda: c.RejectClosure(cid, "director", "not yet"),
        "follow_up": lambda: c.RecordFollowUp(cid, case.assignee or "tl_mopti", "advocacy"),
        "reopen": lambda: c.ReopenCase(cid, "director", "new facts"),
        "amend": lambda: c.AmendIncident(cid, "tl_mopti", "the place was wrong", {
            "location": {"old": case.details.get("location"), "new": PLACES[pick % len(PLACES)]}}),
    }[action]()


COMMANDS = ("record", "assign", "activity", "advance", "delay", "request", "approve", "reject", "follow_up", "reopen",
            "amend")
steps = st.lists(st.one_of(
    st.tuples(st.just("register"), st.integers(0, INCIDENTS_N - 1), st.integers(0, 3)),
    st.tuples(st.sampled_from(("recording", "stall", "review")), st.integers(0, INCIDENTS_N - 1),
              st.integers(-3, 12)),
    st.tuples(st.sampled_from(COMMANDS), st.integers(0, INCIDENTS_N - 1), st.integers(0, 3)),
), min_size=1, max_size=30)


class Run:
    """A history played through casework: messages on their topics in order, commands at their times."""

    def __init__(self, engine: Engine, schema: str | None = None) -> None:
        bootstrap.migrate(engine, schema)
        self.casework = bootstrap.build(engine, vault=VAULT)
        self.casework.write(lambda conn: [repo.save_user(conn, u) for u in USERS])
        self.offsets = {INCIDENTS: 0, SLA_EVENTS: 0}
        self.now = T0

    def message(self, topic: str, key: str, out: Any) -> None:
        self.offsets[topic] += 1
        self.casework.processor.process([Message(topic, 0, self.offsets[topic], key, out.value, out.headers)],
                                        self.now)

    def register(self, n: int) -> None:
        key = f"SR-1#{n}"
        self.message(INCIDENTS, key, emit(INCIDENTS, "IncidentAccepted", occurred_at=self.now, key=key,
                                          producer="intake", payload=incident(n),
                                          event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"test:{key}"))))

    def schedule(self, clock: str, n: int, due_days: int) -> None:
        """The monitor's latest schedule of a clock: running, or (a negative number) stopped met or missed."""
        case_id = case_id_for(f"SR-1#{n}")
        stopped = due_days < 0
        item = Schedule(case_id=case_id, clock=clock, episode=self.now.isoformat(), reference="MOP-2026-0000",
                        office="Mopti", stage="reported", assignee=None, started_at=self.now,
                        state="stopped" if stopped else ("paused" if due_days == 0 else "running"),
                        due_at=self.now + timedelta(days=abs(due_days) + 1), warn_at=self.now + timedelta(days=1),
                        escalate_at=None, paused_until=self.now + timedelta(days=2) if due_days == 0 else None,
                        policy_version="default", occurred_at=self.now,
                        stopped_at=self.now if stopped else None,
                        outcome=("met" if due_days % 2 else "missed") if stopped else None)
        [published] = batches("schedules:case-events:0", [item], 500)
        self.message(SLA_EVENTS, case_id, outgoing(published))

    def command(self, action: str, n: int, pick: int) -> None:
        case = self.casework.read(lambda conn: repo.get_case(conn, case_id_for(f"SR-1#{n}")))
        if case is None:
            return
        # A step the workflow does not allow here is refused: the history goes on without it.
        with contextlib.suppress(CommandRefused):
            self.casework.execute(command(action, case, self.now, pick), self.now)

    def play(self, history: list[tuple[str, int, int]]) -> None:
        for kind, n, value in history:
            self.now += timedelta(hours=7)
            if kind == "register":
                self.register(n)
            elif kind in ("recording", "stall", "review"):
                self.schedule(kind, n, value)
            else:
                self.command(kind, n, value)


def expected(conn: Connection) -> dict[str, dict[str, Any]]:
    """Each case's row from its history alone (folded from CaseRegistered with its registration details) and the
    schedules casework holds."""
    out = {}
    for case_id in conn.scalars(select(case_summaries.c.case_id)):
        history = repo.history(conn, case_id)
        events = [Event(r["type"], load_payload(r["type"], latest_version(r["type"]), r["payload"]), r["occurred_at"])
                  for r in history]
        first = events[0].payload
        n = int(first["incident_key"].split("#")[1])
        details = {k: v for k, v in history[0]["payload"].items() if k in DETAIL_FIELDS}
        details |= {"summary": incident(n)["summary"], "source_type": "ngo"}
        case = registered(events[0], details)
        for event in events[1:]:
            case = apply(case, event)
        row = {**summary_of(case), **deadline_of(schedule_store.for_cases(conn, [case_id])[case_id])}
        row["urgency_at"] = row["next_due_at"] or FAR
        out[case_id] = {k: as_utc(v) if isinstance(v, datetime) else v for k, v in row.items()}
    return out


def check(engine: Engine, history: list[tuple[str, int, int]], schema: str | None = None) -> None:
    run = Run(engine, schema)
    run.play(history)

    def compare(conn: Connection) -> None:
        kept = {r["case_id"]: r for r in rows(conn.execute(select(case_summaries)))}
        registered_ids = {case_id_for(f"SR-1#{n}") for kind, n, _ in history if kind == "register"}
        assert set(kept) == registered_ids
        for case_id, want in expected(conn).items():
            assert {k: kept[case_id][k] for k in want} == want
        assert summary_check.differences(conn) == []
        assert summary_check.count_differences(conn) == []  # the counts by office and stage follow the rows

    run.casework.read(compare)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_every_row_is_what_its_history_and_schedules_give(history: list[tuple[str, int, int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = sqlite_engine(Path(folder) / "casework.sqlite")
        try:
            check(engine, history)
        finally:
            engine.dispose()


LIFE = [("recording", 0, 4), ("register", 0, 0), ("register", 1, 0), ("assign", 0, 1), ("record", 0, 0),
        ("stall", 0, 9), ("activity", 0, 0), ("delay", 0, 0), ("advance", 0, 0), ("advance", 0, 1),
        ("follow_up", 0, 0), ("amend", 0, 1), ("request", 0, 0), ("reject", 0, 0), ("request", 0, 0),
        ("approve", 0, 1), ("recording", 1, -3), ("reopen", 0, 0), ("stall", 1, 0)]


def test_a_whole_life_gives_its_rows_on_postgresql(postgres: tuple[Engine, str]) -> None:
    engine, schema = postgres
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    check(engine.execution_options(schema_translate_map={None: schema}), LIFE, schema)
