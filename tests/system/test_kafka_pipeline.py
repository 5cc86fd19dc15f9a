"""The three services as faust workers on Kafka and PostgreSQL turn the example sitreps into cases and breaches."""

from __future__ import annotations

import base64
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from schemas.topics import INTAKE_REJECTED, SLA_EVENTS
from services.casework.domain.reference import reference
from services.sla_monitor.adapters import policy_file
from services.vault import DEV_KEY_FILE, IdentityVault
from sitreps.files import read_sitrep
from tests.system.kafka_cluster import REPO, Stack, kafka_stack, wait_for

EXAMPLES = REPO / "examples" / "sitreps"
FILES = sorted(EXAMPLES.glob("*.jsonl")) + sorted(EXAMPLES.glob("*.csv"))  # as `*.jsonl *.csv` expands
CASES_PER_OFFICE = {"Mopti": 5, "Gao": 4, "Timbuktu": 3, "Bamako": 2}
REJECTED = "SR-BKO-2026-W46#3"


def recording_thresholds() -> tuple[tuple[str, float, int], ...]:
    """(type, days after the report, period) of the recording clock under the shipped policy: 3, 4 and 8 days."""
    r = policy_file.load(None).recording
    return ("SlaWarning", r.warning_days, 0), ("SlaBreached", r.goal_days, 1), ("SlaEscalated", r.escalate_days, 1)


def reported_at() -> dict[str, datetime]:
    """Each incident's report time as the sitreps give it (the first report of a repeated incident)."""
    out: dict[str, datetime] = {}
    for record in (r for f in FILES for r in read_sitrep(f)):
        out.setdefault(record.key, datetime.fromisoformat(json.loads(record.value)["reported_at"]))
    return out


def expected_sla_events(case_ids: dict[str, str], now: datetime) -> set[tuple[str, str, int]]:
    """(case id, type, period) of every recording-clock threshold already passed at `now`."""
    reported = reported_at()
    return {(case_id, type_, period) for key, case_id in case_ids.items()
            for type_, days, period in recording_thresholds() if reported[key] + timedelta(days=days) <= now}


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_three_workers_turn_the_example_sitreps_into_cases_dead_letters_and_breaches_once(
        kafka_bootstrap: str, postgres_url: str, tmp_path: Path) -> None:
    with kafka_stack(kafka_bootstrap, postgres_url, tmp_path) as stack:
        stack.cli("topics", "create")
        workers = {s: stack.worker(s) for s in ("intake", "casework", "sla-monitor")}
        for worker in workers.values():
            worker.wait_healthy()
        stack.cli("sitrep", "publish", *map(str, FILES))

        wait_for(lambda: stack.scalar("select count(*) from casework.cases") == 14, 120, "14 cases",
                 lambda: f"{stack.scalar('select count(*) from casework.cases')} cases")
        cases = cases_by_incident(stack)
        expected = expected_sla_events({key: case[0] for key, case in cases.items()}, datetime.now(UTC))
        assert expected, "the examples were reported in 2026: at least their warnings are due"
        sla = stack.reader(SLA_EVENTS)
        wait_for(lambda: sla_seen(sla.envelopes()) >= expected, 120, "every recording warning, breach and "
                 "escalation due", lambda: f"{len(sla.records)} sla events")
        wait_for(lambda: bool(stack.reader(INTAKE_REJECTED).envelopes()), 30, "the dead letter")
        wait_for(stack.quiet, 60, "outboxes relayed and every group caught up")

        assert_cases_per_office(cases)
        vault = IdentityVault((tmp_path / "data" / DEV_KEY_FILE).read_text().strip())  # the CLI's and the workers'
        assert_dead_letter(stack.reader(INTAKE_REJECTED).envelopes(), vault)
        assert_each_sla_event_once(sla.envelopes(), cases, expected)
        for worker in workers.values():
            assert worker.get("/health")[0] == 200, worker.service
        # Each fact is counted once, by the process that handles it (sla_monitor sees every CaseRegistered).
        assert sum(worker.metric("hrcase_cases_registered_total") for worker in workers.values()) == 14


def cases_by_incident(stack: Stack) -> dict[str, tuple[str, str, str]]:
    with stack.engine.connect() as conn:
        rows = conn.exec_driver_sql("select incident_key, case_id, office, reference from casework.cases").all()
    return {key: (case_id, office, ref) for key, case_id, office, ref in rows}


def sla_seen(events: list[dict]) -> set[tuple[str, str, int]]:
    return {(e["payload"]["case_id"], e["type"], e["payload"]["period"]) for e in events
            if e["type"] != "SlaScheduled" and e["payload"]["clock"] == "recording"}


def assert_cases_per_office(cases: dict[str, tuple[str, str, str]]) -> None:
    assert len(cases) == 14
    by_office = Counter(office for _case, office, _ref in cases.values())
    assert by_office == CASES_PER_OFFICE
    references = {ref for _case, _office, ref in cases.values()}
    assert references == {reference(office, 2026, n) for office, count in CASES_PER_OFFICE.items()
                          for n in range(1, count + 1)}
    assert REJECTED not in cases


def assert_dead_letter(rejected: list[dict], vault: IdentityVault) -> None:
    assert [e["key"] for e in rejected] == [REJECTED]
    (letter,) = rejected
    assert letter["type"] == "IncidentRejected"
    assert "occurred_at" in letter["payload"]["reason"]
    original = json.loads(base64.b64decode(letter["payload"]["original"]))
    (row,) = [json.loads(r.value) for r in read_sitrep(EXAMPLES / "2026-W46-bamako.csv") if r.key == REJECTED]
    # The record as read from the file, but for its identities: sealed by `sitrep publish` (ADR 10).
    assert {**original, "identities": None} == {**row, "identities": None}
    assert vault.open(original["identities"]) == row["identities"] and row["identities"]["victims"]
    assert original["occurred_at"] == "2026-11-16T08:00:00+00:00"
    assert letter["payload"]["source"]["file"] == "2026-W46-bamako.csv"


def assert_each_sla_event_once(events: list[dict], cases: dict[str, tuple[str, str, str]],
                               expected: set[tuple[str, str, int]]) -> None:
    recording = [e for e in events if e["type"] != "SlaScheduled" and e["payload"]["clock"] == "recording"]
    assert sla_seen(recording) == expected
    per_threshold = Counter((e["payload"]["case_id"], e["type"], e["payload"]["period"]) for e in recording)
    assert set(per_threshold.values()) == {1}, "a recording warning, breach or escalation came twice"
    case_ids = {case_id for case_id, _office, _ref in cases.values()}
    assert {e["payload"]["case_id"] for e in recording} <= case_ids
    assert len({e["event_id"] for e in events}) == len(events)
