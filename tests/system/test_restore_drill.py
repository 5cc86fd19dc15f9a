"""The restore drill of docs/operations.md ("Backups and restore"): each service's schema dumped with pg_dump while
the pipeline runs, the database then lost; the dumps restored into a fresh database, the consumer groups rewound to
the start of their topics, the workers restarted on it. Nothing is lost (every incident has its case, every
threshold its SLA event) and nothing is done twice (the restored run ends with the same rows as the uninterrupted
one): what the backup missed is replayed from Kafka with the same event ids, and the inboxes absorb the rest."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.system.kafka_cluster import (
    GROUPS,
    REPO,
    SERVICE_SCHEMA,
    Stack,
    Workload,
    assert_exactly_once,
    fresh_database,
    kafka_stack,
    publish,
    wait_for,
    wait_until_settled,
    write_workload,
)

BEFORE_BACKUP = 2_000  # incidents published before the backup; as many again after it
SCHEMAS = tuple(SERVICE_SCHEMA.values())


def libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is missing: PostgreSQL's client programs come with deploy/postgres/postgres.sh")
    return found


def dump(url: str, schema: str, out: Path) -> None:
    """One service's schema, as docs/operations.md says: a consistent snapshot, taken while the workers write."""
    subprocess.run([postgres_tool("pg_dump"), "--format=custom", f"--schema={schema}", f"--file={out}", libpq(url)],
                   check=True, timeout=120)


def restore(url: str, backup: Path) -> None:
    subprocess.run([postgres_tool("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={libpq(url)}",
                    str(backup)], check=True, timeout=120)


def prepare(url: str) -> None:
    """What a dump of one schema does not carry (extensions, a function of the database), as the runbook says."""
    result = subprocess.run([str(REPO / ".venv/bin/hrcase"), "db", "prepare"], capture_output=True, text=True,
                            timeout=120, check=False, env={**os.environ, "HRCASE_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("prepared "), result.stdout


def rewind_groups(bootstrap: str) -> None:
    """Each service's group back to the start of its topics, with Kafka's own tool (the group must be empty)."""
    for group in GROUPS:
        result = subprocess.run(
            [str(REPO / "deploy/kafka/kafka.sh"), "tool", "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
             "--bootstrap-server", bootstrap, "--group", group, "--reset-offsets", "--to-earliest", "--all-topics",
             "--execute"], capture_output=True, text=True, timeout=120, check=False, env=dict(os.environ))
        assert result.returncode == 0, f"cannot rewind {group}:\n{result.stdout}\n{result.stderr}"


def row_counts(stack: Stack) -> dict[str, int]:
    with stack.engine.connect() as conn:
        tables = conn.execute(text("select table_schema || '.' || table_name from information_schema.tables "
                                   "where table_schema = any(:s) and table_type = 'BASE TABLE'"),
                              {"s": list(SCHEMAS)}).scalars().all()
        return {t: int(conn.execute(text(f"select count(*) from {t}")).scalar_one()) for t in sorted(tables)}


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(600)
def test_a_backup_taken_mid_run_restored_into_a_fresh_database_loses_nothing_and_repeats_nothing(
        kafka_bootstrap: str, postgres_url: str, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    first = write_workload(tmp_path / "before.jsonl", BEFORE_BACKUP, now - timedelta(days=10))
    # Reported weeks earlier than the first: other sitreps, so other incidents (and no malformed records).
    second = write_workload(tmp_path / "after.jsonl", BEFORE_BACKUP, now - timedelta(days=70), bad_each=0)
    both = Workload(first.path, first.incident_keys | second.incident_keys, first.bad_lines)
    assert len(both.incident_keys) == 2 * BEFORE_BACKUP
    with kafka_stack(kafka_bootstrap, postgres_url, tmp_path) as stack:
        stack.cli("topics", "create")
        workers = [stack.worker(service) for service in ("intake", "casework", "sla-monitor")]
        for worker in workers:
            worker.wait_healthy()
        publish(stack, first)
        wait_for(lambda: stack.scalar("select count(*) from casework.cases") >= BEFORE_BACKUP // 4, 120,
                 "casework under way")
        backups = {schema: tmp_path / f"{schema}.dump" for schema in SCHEMAS}
        for schema, out in backups.items():  # one after the other, as the workers go on writing
            dump(stack.database_url, schema, out)
        publish(stack, second)
        wait_until_settled(stack, both)
        original = row_counts(stack)
        assert original["casework.cases"] == len(both.incident_keys)

        # The database is lost: the workers stop, the dumps go into a fresh one, the groups go back to the start.
        for worker in workers:
            assert worker.stop() is not None, f"{worker.service} did not stop"
        with fresh_database(postgres_url) as restored_url:
            prepare(restored_url)
            for backup in backups.values():
                restore(restored_url, backup)
            stack.engine.dispose()
            stack.database_url, stack.engine = restored_url, create_engine(restored_url)
            restored = row_counts(stack)
            assert set(restored) == set(original)
            assert restored["casework.cases"] < len(both.incident_keys), "the backup was not taken mid-run"
            began = time.monotonic()
            rewind_groups(kafka_bootstrap)
            for service in ("intake", "casework", "sla-monitor"):
                stack.worker(service).wait_healthy()
            wait_until_settled(stack, both)
            print(f"restored with {restored['casework.cases']} of {len(both.incident_keys)} cases; caught up in "
                  f"{time.monotonic() - began:.1f} s")
            assert_exactly_once(stack, both)
            # The same state as the run that was never interrupted: no effect missing, none applied twice. But for
            # casework's inbox: one id a message it took, and the monitor's schedules reach it in one record per
            # batch and partition (ADR 16), so how many records carried them depends on where the batches fell.
            # Every effect of those records is in the tables compared here, and assert_exactly_once holds the log.
            after = row_counts(stack)
            after.pop("casework.inbox"), original.pop("casework.inbox")
            assert after == original
            stack.engine.dispose()
