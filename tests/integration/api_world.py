"""A small world for the API tests: two offices, every role in each, cases at every stage, one token each."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, select

from schemas.topics import INCIDENTS, SLA_EVENTS
from services.casework import bootstrap
from services.casework.adapters import repository as repo
from services.casework.adapters import tables, token_store
from services.casework.api.app import create_app
from services.casework.api.server import context_for
from services.casework.bootstrap import Casework
from services.casework.domain import commands as c
from services.casework.domain.roles import User
from services.clock import SimulatedClock
from services.messaging.ports import Message
from services.messaging.processing import emit
from services.messaging.sqlite import sqlite_engine
from services.vault import IdentityVault
from sitreps.key import incident_key
from tests.integration.sla_pump import pump_schedules

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=2)
KEY = IdentityVault.generate()
VICTIM, WITNESS, CONTACT = "Fatoumata Hidden-Victim", "Sekou Quiet-Witness", "+223 7000 1234"

USERS = (
    User("awa", "hro", "Mopti"), User("bakary", "hro", "Mopti"), User("tl_mopti", "team_leader", "Mopti"),
    User("dir_mopti", "director", "Mopti"), User("aud_mopti", "auditor", "Mopti"), User("adm_mopti", "admin", "Mopti"),
    User("garba", "hro", "Gao"), User("tl_gao", "team_leader", "Gao"), User("dir_gao", "director", "Gao"),
    User("aud_gao", "auditor", "Gao"), User("adm_gao", "admin", "Gao"),
)
CALLERS = tuple(u.username for u in USERS)
# Cases of Mopti, all assigned to awa: R reported, P preliminary, C concluded, Q closure requested (by dir_gao),
# X closed. A: a recording breach on R addressed to Mopti's Team Leader.
REFS = {"R": "MOP-2026-0001", "P": "MOP-2026-0002", "C": "MOP-2026-0003", "Q": "MOP-2026-0004",
        "X": "MOP-2026-0005"}


def incident_message(number: int, office: str = "Mopti", assignee: str | None = "awa") -> Message:
    key = incident_key("SR-1", number)
    payload = {
        "incident_key": key, "sitrep_id": "SR-1", "incident_number": number, "reported_at": T0,
        "occurred_at": T0 - timedelta(days=1), "office": office, "location": "Konna",
        "violation_types": ["abduction"], "perpetrator_category": "unidentified", "victims": {"female_adult": 1},
        "source_type": "ngo", "summary": "a woman abducted on the road", "assignee": assignee,
        # Sealed at the edge, as intake hands them on (ADR 10).
        "identities": KEY.seal({"victims": [{"name": VICTIM, "contact": CONTACT}], "witnesses": [{"name": WITNESS}]}),
        # Case P (number 2) records its victim as a person, whose consent officers record and withdraw.
        "people": [{"ref": "p1", "role": "victim", "sex": "female", "age_group": "adult"}] if number == 2 else [],
    }
    out = emit(INCIDENTS, "IncidentAccepted", occurred_at=T0, key=key, producer="intake", payload=payload,
               event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"test:{key}")))
    return Message(INCIDENTS, 0, number, key, out.value, {"event_id": out.headers["event_id"]})


def breach_message(case_id: str, reference: str) -> Message:
    payload = {"case_id": case_id, "reference": reference, "office": "Mopti", "stage": "reported",
               "clock": "recording", "level": "breach", "period": 1, "started_at": T0, "due_at": T0 + timedelta(days=4),
               "recipient_role": "team_leader", "assignee": "awa", "policy_version": "2026-1"}
    out = emit(SLA_EVENTS, "SlaBreached", occurred_at=T0 + timedelta(days=1), key=case_id, producer="sla_monitor",
               payload=payload, event_id="alert-R")
    return Message(SLA_EVENTS, 0, 1, case_id, out.value, {"event_id": out.headers["event_id"]})


def build_template(path: Path) -> dict[str, str]:
    """Migrate, enrol everyone, open the cases and the alert; returns username -> token (shown once)."""
    engine = sqlite_engine(path)
    bootstrap.migrate(engine)
    tokens = populate(engine)
    engine.dispose()
    return tokens


def populate(engine: Engine) -> dict[str, str]:
    casework = bootstrap.build(engine, vault=KEY)

    def enrol(conn: Connection) -> dict[str, str]:
        for user in USERS:
            repo.save_user(conn, user)
        return {u.username: token_store.create(conn, u.username, T0).value for u in USERS}

    tokens = casework.write(enrol)
    casework.processor.process([incident_message(n) for n in range(1, 6)], T0 + timedelta(hours=1))
    ids = {k: casework.read(lambda conn, r=ref: repo.get_case(conn, r)).case_id for k, ref in REFS.items()}  # type: ignore[union-attr]
    run = casework.execute
    at = T0 + timedelta(hours=2)
    for key in ("P", "C", "Q", "X"):
        run(c.RecordCase(ids[key], "awa"), at)
    for key in ("C", "X"):
        run(c.AdvanceStage(ids[key], "awa", "investigation"), at)
        run(c.AdvanceStage(ids[key], "awa", "concluded"), at)
    run(c.RequestClosure(ids["Q"], "dir_gao", "unsubstantiated", "no second source"), at)
    run(c.RequestClosure(ids["X"], "awa", "concluded", "findings handed over"), at)
    run(c.ApproveClosure(ids["X"], "dir_gao"), at)
    with tempfile.TemporaryDirectory() as folder:  # the deadlines the pages show, as the monitor publishes them
        pump_schedules(casework, Path(folder) / "sla_monitor.sqlite", at)
    casework.processor.process([breach_message(ids["R"], REFS["R"])], T0 + timedelta(days=1))
    with engine.begin() as conn:
        conn.execute(tables.outbox.delete())
    return tokens


@dataclass
class World:
    casework: Casework
    client: FlaskClient
    clock: SimulatedClock
    tokens: dict[str, str]

    def call(self, method: str, path: str, caller: str | None, body: Any = None, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[caller]}"} if caller else {}
        return self.client.open(path, method=method, headers=headers, json=body, **kw)

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every table but the access log (which records refused calls too)."""
        with self.casework.engine.connect() as conn:
            return {t.name: [tuple(r) for r in conn.execute(select(t))]
                    for t in tables.metadata.sorted_tables if t.name != "access_log"}

    def case_id(self, key: str) -> str:
        found = self.casework.read(lambda conn: repo.get_case(conn, REFS[key]))
        assert found is not None
        return found.case_id

    def outbox(self) -> list[dict[str, Any]]:
        with self.casework.engine.connect() as conn:
            return [{"topic": r.topic, "key": r.key, "value": json.loads(r.value)}
                    for r in conn.execute(select(tables.outbox).order_by(tables.outbox.c.id))]


def open_world(template: Path, tokens: dict[str, str], folder: Path, now: datetime = NOW) -> Iterator[World]:
    path = folder / "casework.sqlite"
    shutil.copy(template, path)
    engine = sqlite_engine(path)
    casework = bootstrap.build(engine, vault=KEY)
    clock = SimulatedClock(now)
    app = create_app(context_for(casework, clock=clock))
    app.config["TESTING"] = True
    yield World(casework, app.test_client(), clock, tokens)
    engine.dispose()
