"""The embedded runtime judges deadlines on event time even when a backlog is still queued."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from schemas import encode, new_envelope
from schemas.topics import SITREP_INCIDENTS, SLA_EVENTS
from services.casework.adapters import repository as repo
from services.casework.domain import commands as c
from services.casework.domain.roles import User
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.messaging.ports import Outgoing
from sitreps.key import incident_key
from tests.factories import incident

REPORTED = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)


def test_cases_recorded_in_time_get_no_breach_when_the_clock_jumps_ahead_of_a_queued_backlog(tmp_path: Path) -> None:
    runtime = EmbeddedRuntime(Settings(data_dir=tmp_path / "data", batch_size=50))
    runtime.casework.write(lambda conn: repo.save_user(conn, User("tl", "team_leader", "Mopti")))
    records = [incident("SR-MOP-2026-W10", n, REPORTED, "Mopti") for n in range(1, 301)]
    runtime.submit(Outgoing(SITREP_INCIDENTS, incident_key("SR-MOP-2026-W10", n), encode(new_envelope(
        "IncidentReported", 1, occurred_at=REPORTED, key="k", producer="test", payload=r)))
        for n, r in enumerate(records, start=1))
    runtime.run_until_idle(REPORTED + timedelta(hours=1))
    cases = runtime.casework.read(lambda conn: repo.list_cases(conn, limit=1000))
    assert len(cases) == 300
    for case in cases:  # recorded two days after the report: in time; the events wait in the outbox
        runtime.casework.execute(c.RecordCase(case.case_id, "tl"), REPORTED + timedelta(days=2))

    runtime.run_until_idle(REPORTED + timedelta(days=60))

    events = [json.loads(m.value) for m in runtime.log.read_topic(SLA_EVENTS)]
    crossings = [e for e in events if e["type"] != "SlaScheduled"]  # schedules are no crossing
    assert [e for e in crossings if e["payload"]["clock"] == "recording"] == []
    schedules = [s for e in events if e["type"] == "SlaScheduled" for s in e["payload"]["schedules"]]
    assert {s["outcome"] for s in schedules if s["clock"] == "recording" and s["state"] == "stopped"} == {"met"}
    assert len({e["payload"]["case_id"] for e in events if e["type"] == "SlaBreached"}) == 300  # stall, on time
