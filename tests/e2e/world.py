"""The data set the browser tests start from: users with passwords and cases whose clocks have passed.

Everything is dated in the past and processed at those times (event time), so that when `hrcase serve` starts
its monitor finds the deadlines passed and opens the alerts: a stall breach for Mopti's Team Leader, among others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from schemas.topics import SITREP_INCIDENTS
from services.casework.adapters import repository as repo
from services.casework.adapters import web_store
from services.casework.auth import passwords
from services.casework.domain import commands as c
from services.casework.domain.roles import User
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.messaging.ports import Outgoing
from sitreps.key import incident_key

PASSWORD = "e2e-password-2026"
USERS = (
    User("awa", "hro", "Mopti", "Awa Traoré"), User("bakary", "hro", "Mopti", "Bakary Coulibaly"),
    User("aissata.tl", "team_leader", "Mopti", "Aïssata Maïga"), User("director.keita", "director", "Bamako",
                                                                     "Director Keïta"),
    User("deputy.diallo", "director", "Bamako", "Deputy Director Diallo"),
    User("garba", "hro", "Gao", "Garba Touré"), User("auditor", "auditor", "Bamako", "Audit"),
    User("admin.sow", "admin", "Bamako", "Admin Sow"),
)


@dataclass(frozen=True)
class Refs:
    stalled: str  # preliminary since 45 days: a stall breach to Mopti's Team Leader
    to_approve: str  # closure proposed by awa: a Director approves it
    own_proposal: str  # closure proposed by director.keita: he may not approve it
    active: str  # preliminary, awa's, worked on recently: nothing due


def record(sitrep: str, number: int, reported: datetime, office: str, location: str, assignee: str | None,
           violations: tuple[str, ...] = ("abduction",)) -> Outgoing:
    value = {"sitrep_id": sitrep, "incident_number": number, "reported_at": reported.isoformat(),
             "occurred_at": (reported - timedelta(days=1)).isoformat(), "office": office, "location": location,
             "violation_types": list(violations), "perpetrator_category": "armed_group",
             "victims": {"male_adult": 2, "female_child": 1}, "source_type": "ngo",
             "summary": f"Incident at {location} reported by a partner NGO", "assignee": assignee,
             "identities": {"victims": [{"name": "Hidden Victim Name"}], "witnesses": [{"name": "Quiet Witness"}]}}
    data = json.dumps(value).encode()
    return Outgoing(SITREP_INCIDENTS, incident_key(sitrep, number), data, {"file": "e2e.jsonl", "line": str(number),
                                                                    "format": "jsonl"})


def build(data_dir: Path, now: datetime | None = None) -> Refs:
    now = now or datetime.now(UTC)
    runtime = EmbeddedRuntime(Settings(data_dir=data_dir))
    pw = passwords.hash_password(PASSWORD)

    def enrol(conn: object) -> None:
        for user in USERS:
            repo.save_user(conn, user)  # type: ignore[arg-type]
            web_store.set_password(conn, user.username, pw, now - timedelta(days=60))  # type: ignore[arg-type]

    runtime.casework.write(enrol)
    t0 = now - timedelta(days=50)
    incidents = [
        record("SR-E2E-01", 1, t0, "Mopti", "Konna", "awa"),
        record("SR-E2E-01", 2, t0, "Mopti", "Sévaré", "awa", ("killing", "injury")),
        record("SR-E2E-01", 3, t0, "Mopti", "Djenné", "bakary", ("arbitrary_detention",)),
        record("SR-E2E-01", 4, t0, "Mopti", "Bandiagara", "awa", ("forced_displacement",)),
        record("SR-E2E-01", 5, t0, "Gao", "Ansongo", "garba", ("torture",)),
        record("SR-E2E-01", 6, t0, "Mopti", "Douentza", None, ("threats_and_intimidation",)),
    ]
    runtime.submit(incidents)
    runtime.run_until_idle(t0 + timedelta(hours=1))
    refs = {o.key: _reference(runtime, o.key) for o in incidents}
    ids = {key: _case_id(runtime, ref) for key, ref in refs.items()}
    run = runtime.casework.execute

    def at(days: float) -> datetime:
        moment = t0 + timedelta(days=days)
        runtime.run_until_idle(moment)
        return moment

    for key, who in (("SR-E2E-01#2", "awa"), ("SR-E2E-01#3", "bakary"), ("SR-E2E-01#4", "awa")):
        run(c.RecordCase(ids[key], who), at(2))
    run(c.RecordCase(ids["SR-E2E-01#1"], "awa", "first contact with the family"), at(5))
    run(c.RecordCase(ids["SR-E2E-01#5"], "garba"), at(9))
    concluded = ("SR-E2E-01#2", "SR-E2E-01#4")
    for key in concluded:
        run(c.AdvanceStage(ids[key], "awa", "investigation"), at(20))
    for key in concluded:
        run(c.LogActivity(ids[key], "awa", "interviewed two witnesses"), at(30))
    run(c.LogActivity(ids["SR-E2E-01#3"], "bakary", "visited the detention site"), at(40))
    runtime.submit([record("SR-E2E-02", 1, t0 + timedelta(days=44), "Mopti", "Ténenkou", "awa", ("injury",))])
    at(44.1)
    refs["SR-E2E-02#1"] = _reference(runtime, "SR-E2E-02#1")
    run(c.RecordCase(_case_id(runtime, refs["SR-E2E-02#1"]), "awa", "called the family"), at(45))
    for key in concluded:
        run(c.AdvanceStage(ids[key], "awa", "concluded", "findings written up"), at(45))
    run(c.RequestClosure(ids["SR-E2E-01#2"], "awa", "concluded", "findings handed to the national commission"),
        at(48))
    run(c.RequestClosure(ids["SR-E2E-01#4"], "director.keita", "concluded", "the Director closes it himself"),
        at(49))
    runtime.run_until_idle(now - timedelta(minutes=5))
    return Refs(stalled=refs["SR-E2E-01#1"], to_approve=refs["SR-E2E-01#2"], own_proposal=refs["SR-E2E-01#4"],
                active=refs["SR-E2E-02#1"])


def _reference(runtime: EmbeddedRuntime, incident_key: str) -> str:
    from sqlalchemy import select

    from services.casework.adapters.tables import cases

    found = runtime.casework.read(lambda conn: conn.scalar(select(cases.c.reference).where(
        cases.c.incident_key == incident_key)))
    assert found, f"no case for {incident_key}"
    return str(found)


def _case_id(runtime: EmbeddedRuntime, reference: str) -> str:
    found = runtime.casework.read(lambda conn: repo.get_case(conn, reference))
    assert found is not None
    return found.case_id
