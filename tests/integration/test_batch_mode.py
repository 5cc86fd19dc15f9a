"""Batches of 500 give exactly what one message at a time gives: the services' batch modes change only the speed."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, MetaData, select

from services.casework.adapters import repository as repo
from services.casework.domain import commands as c
from services.casework.domain.roles import User
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.sealing import plain_form, sitrep_outgoing
from sitreps.files import read_sitrep
from tests.factories import incident

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sitreps"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# Sealed with a random nonce (identities); ids of officers' commands' events, random by design (history, inboxes).
SKIP = {"case_identities": ("data",), "case_history": ("seq", "event_id"), "inbox": ("message_id",)}
RANDOM = ("event_id", "correlation_id", "causation_id")


def tricky_sitrep(path: Path) -> Path:
    """Within one batch: an incident twice, the same key with other content, likely duplicates of each other, and
    records reported before they occurred (the last eleven of the first report)."""
    reported = NOW - timedelta(days=9)
    records = [incident("SR-MOP-2026-W47", n, reported - timedelta(hours=n), "Mopti", location=f"Place {n % 7}",
                        occurred_at=(reported - timedelta(days=2)).isoformat()) for n in range(1, 60)]
    records += [records[3], {**records[4], "summary": "Another version of the same incident."}]
    records += [incident("SR-MOP-2026-W48", n, reported, "Mopti", location=f"Place {n % 7}",
                         occurred_at=(reported - timedelta(days=2)).isoformat()) for n in range(1, 9)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def run(data: Path, batch_size: int, files: list[Path]) -> EmbeddedRuntime:
    runtime = EmbeddedRuntime(Settings(data_dir=data, batch_size=batch_size))
    for file in files:
        runtime.submit(map(sitrep_outgoing, read_sitrep(file)))
    runtime.run_until_idle(NOW)
    work_on_cases(runtime)
    runtime.run_until_idle(NOW + timedelta(days=40))
    return runtime


def work_on_cases(runtime: EmbeddedRuntime) -> None:
    """Several events of one case reach sla_monitor together: recorded, then worked on, then advanced."""
    for user in (User("mopti.hro", "hro", "Mopti"), User("mopti.tl", "team_leader", "Mopti")):
        runtime.casework.write(lambda conn, user=user: repo.save_user(conn, user))
    ids = runtime.casework.read(lambda conn: [case.case_id for case in repo.list_cases(conn, office="Mopti")])
    for n, case_id in enumerate(ids[:20]):
        at = NOW + timedelta(hours=n)
        runtime.casework.execute(c.AssignCase(case_id, "mopti.tl", "mopti.hro"), at - timedelta(minutes=30))
        runtime.casework.execute(c.RecordCase(case_id, "mopti.hro", "recorded"), at)
        runtime.casework.execute(c.LogActivity(case_id, "mopti.hro", "interviewed a witness"), at + timedelta(hours=1))
        if n % 2:
            runtime.casework.execute(c.AdvanceStage(case_id, "mopti.hro", "investigation"), at + timedelta(hours=2))


def tables(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    metadata = MetaData()
    metadata.reflect(engine)
    out = {}
    with engine.connect() as conn:
        for name, table in sorted(metadata.tables.items()):
            if name in ("outbox", "alembic_version") or name.startswith("api_"):
                continue
            if name in ("case_search_fts_data", "case_search_fts_idx"):
                continue  # FTS5's segments, laid out by how many rows each insert brought: its rows are compared

            columns = [c for c in table.columns if c.name not in SKIP.get(name, ())]
            if not columns:
                continue
            out[name] = sorted(tuple(str(v) for v in row) for row in conn.execute(select(*columns)))
    return out


def records(runtime: EmbeddedRuntime, topic: str) -> list[tuple[str | None, dict[str, Any]]]:
    out = []
    for message in runtime.log.read_topic(topic):
        envelope = json.loads(message.value)
        payload = envelope["payload"]
        # Sealed with a random nonce: compared opened (identities; originals, whose identities are sealed).
        if "identities" in payload:
            payload["identities"] = runtime.vault.open(payload["identities"])
        if "original" in payload:
            original = base64.b64decode(payload["original"])
            payload["original"] = (plain_form(original, runtime.vault) or original).decode()
        out.append((message.key, {k: v for k, v in envelope.items() if k not in RANDOM}))
    return out


def sla_by_case(runtime: EmbeddedRuntime) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """The monitor's crossings and its schedules, each in order per case. Schedules travel in one record per batch
    and input partition (ADR 16): how they are grouped, and where a batch's record falls among the crossings,
    depends on the batch size; what each case receives, and in which order, does not."""
    crossings: dict[str, list[Any]] = {}
    schedules: dict[str, list[Any]] = {}
    for key, envelope in records(runtime, "sla-events"):
        if envelope["type"] == "SlaScheduled":
            for element in envelope["payload"]["schedules"]:
                schedules.setdefault(element["case_id"], []).append(element)
        else:
            crossings.setdefault(str(key), []).append(envelope)
    return crossings, schedules


def test_the_pipeline_in_batches_of_500_ends_exactly_where_it_does_one_message_at_a_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRCASE_IDENTITY_KEY", Fernet.generate_key().decode())  # one key: equal digests in both runs
    files = [*sorted(EXAMPLES.glob("*.jsonl")), *sorted(EXAMPLES.glob("*.csv")), tricky_sitrep(tmp_path / "t.jsonl")]
    batched, single = run(tmp_path / "batched", 500, files), run(tmp_path / "single", 1, files)
    for mine, theirs in ((batched.intake.engine, single.intake.engine), (batched.casework.engine,
                                                                         single.casework.engine),
                         (batched.sla.engine, single.sla.engine)):
        assert tables(mine) == tables(theirs)
    for topic in ("incidents", "intake-rejected", "case-events", "casework-dead-letter"):
        assert records(batched, topic) == records(single, topic), topic
    assert sla_by_case(batched) == sla_by_case(single)
    assert batched.casework.read(lambda c: c.exec_driver_sql("select count(*) from cases").scalar()) == 70
    assert len(batched.log.read_topic("intake-rejected")) == 13
    assert len(batched.log.read_topic("sla-events")) > 100
