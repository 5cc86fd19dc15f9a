"""The Kafka workers' gauges read PostgreSQL: open cases, breaches, alerts and the oldest idle case, as on SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, text

from schemas.topics import INCIDENTS
from services.casework import bootstrap as casework_boot
from services.casework import gauges as casework_gauges
from services.casework.adapters import repository as repo
from services.casework.domain import commands as c
from services.casework.domain.reference import case_id_for
from services.casework.domain.roles import User
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.messaging.ports import Message
from services.metrics import Metrics
from services.sealing import sitrep_outgoing
from services.sla_monitor import bootstrap as sla_boot
from services.sla_monitor import gauges as sla_gauges
from services.sla_monitor.domain.policy import Policy
from sitreps.files import read_sitrep
from tests.factories import incident
from tests.integration.sla_pump import Collect

R = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
OFFICES = ("Mopti", "Gao")


@pytest.fixture
def schemas(postgres: tuple[Engine, str]) -> Iterator[tuple[Engine, str, str]]:
    engine, schema = postgres
    sla_schema = f"{schema}_sla"
    yield engine, schema, sla_schema
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{sla_schema}" CASCADE'))


def accepted_incidents(tmp_path: Path) -> list[Message]:
    rows = [incident("SR-MOP-2026-W10", n, R, "Mopti", location=f"Village M{n}") for n in (1, 2, 3)]
    rows.append(incident("SR-GAO-2026-W10", 1, R, "Gao", location="Village G1"))
    (tmp_path / "s.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    runtime = EmbeddedRuntime(Settings(data_dir=tmp_path / "intake", offices=OFFICES))
    runtime.submit(map(sitrep_outgoing, read_sitrep(tmp_path / "s.jsonl")))
    runtime.run_until_idle(R)
    return runtime.log.read_topic(INCIDENTS)


def scrape(metrics: Metrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    page = generate_latest(metrics.registry).decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(page) for s in family.samples}


@pytest.mark.postgres
def test_on_postgresql_the_gauges_count_cases_breaches_and_alerts(schemas: tuple[Engine, str, str],
                                                                     tmp_path: Path) -> None:
    engine, case_schema, sla_schema = schemas
    casework_boot.migrate(engine, case_schema)
    sla_boot.migrate(engine, sla_schema)
    casework = casework_boot.build(engine.execution_options(schema_translate_map={None: case_schema}))
    monitor = sla_boot.build(engine.execution_options(schema_translate_map={None: sla_schema}), Policy())
    metrics = Metrics()
    metrics.use_offices(OFFICES)
    casework_gauges.register(metrics, casework, OFFICES)
    sla_gauges.register(metrics, monitor, OFFICES)
    to_sla, to_casework = Collect(), Collect()

    casework.write(lambda conn: repo.save_user(conn, User("tl.mopti", "team_leader", "Mopti", "TL")))
    casework.processor.process(accepted_incidents(tmp_path), R)
    casework.execute(c.RecordCase(case_id_for("SR-MOP-2026-W10#1"), "tl.mopti"), R + timedelta(days=1))
    casework.mailboxes.relay(casework.engine, to_sla)
    monitor.processor.process(to_sla.take(), R + timedelta(days=1))
    monitor.tick(R + timedelta(days=5))  # three cases still unrecorded: warned and breached
    before = scrape(metrics)
    monitor.mailboxes.relay(monitor.engine, to_casework)
    casework.processor.process(to_casework.take(), R + timedelta(days=5))
    m = scrape(metrics)

    def v(name: str, **labels: str) -> float:
        return m[(name, frozenset(labels.items()))]

    assert v("hrcase_open_cases", office="Mopti", stage="reported") == 2
    assert v("hrcase_open_cases", office="Mopti", stage="preliminary") == 1
    assert v("hrcase_open_cases", office="Gao", stage="reported") == 1
    assert v("hrcase_closures_pending", office="Gao") == 0
    assert v("hrcase_sla_open_breaches", clock="recording", office="Mopti") == 2
    assert v("hrcase_sla_open_breaches", clock="recording", office="Gao") == 1
    assert v("hrcase_sla_clocks_running", clock="stall", office="Mopti") == 1
    # Two unrecorded cases, each warned then breached: the breach resolves the warning (no longer "due soon").
    assert v("hrcase_alerts_unacknowledged", office="Mopti", kind="recording", recipient_role="team_leader") == 2
    assert v("hrcase_open_case_oldest_activity_timestamp_seconds", office="Gao", stage="reported") == R.timestamp()
    assert v("hrcase_open_case_oldest_activity_timestamp_seconds", office="Mopti",
             stage="preliminary") == (R + timedelta(days=1)).timestamp()
    # Six crossings, and seven schedules in one record (one batch of one partition): four recording clocks started,
    # one stopped, a stall and a review started.
    assert before[("hrcase_outbox_backlog", frozenset({("service", "sla_monitor")}))] == 7
    assert v("hrcase_outbox_backlog", service="sla_monitor") == 0
