"""`hrcase import` and `hrcase export` on the production layout: a history imported into empty PostgreSQL schemas and
Kafka topics reports as the embedded import of the same files does, its workers go on after it without taking it
again, and its export restores into an embedded installation with the same report."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from schemas.topics import CASE_EVENTS, INCIDENTS, INTAKE_REJECTED, SITREP_INCIDENTS, SLA_EVENTS
from tests.system.kafka_cluster import REPO, TOPIC_NAMES, Stack, hrcase, kafka_stack, wait_for

HISTORY = (REPO / "examples/history/incidents.csv", REPO / "examples/history/cases.csv")
UNTIL = AS_OF = "2024-06-30"
SERVICES = ("intake", "casework", "sla-monitor")
SETTLE_SECONDS = 8.0  # how long the workers run over the imported history (no timing is asserted)


def embedded(data_dir: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HRCASE_")}
    result = subprocess.run(hrcase(*args), cwd=REPO, env={**env, "HRCASE_DATA_DIR": str(data_dir)},
                            capture_output=True, text=True, timeout=300, check=False)
    assert not ok or result.returncode == 0, f"hrcase {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


def report(run: object, out: Path) -> dict[str, str]:
    """The summary lines and every CSV table of `hrcase report --as-of AS_OF`."""
    summary = run("report", "--as-of", AS_OF, "--out", str(out), "--no-charts").splitlines()[:-1]  # type: ignore
    return {"summary": "\n".join(summary), **{p.name: p.read_text() for p in sorted(out.glob("*.csv"))}}


def on_topics(stack: Stack) -> dict[str, list[str]]:
    """The event ids on every hrcase topic, repeats included (the raw sitrep records have none: their count)."""
    ids: dict[str, list[str]] = {}
    for topic in TOPIC_NAMES:
        reader = stack.reader(topic)
        reader.read()
        ids[topic] = [dict(r.headers).get("event_id", b"").decode() or f"raw {i}" for i, r in enumerate(reader.records)]
    return ids


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(600)
def test_a_history_imported_into_production_reports_runs_and_exports_as_on_the_embedded_layout(
        kafka_bootstrap: str, postgres_url: str, tmp_path: Path) -> None:
    embedded_dir = tmp_path / "embedded"
    embedded(embedded_dir, "import", *map(str, HISTORY), "--until", UNTIL)
    expected = report(lambda *a: embedded(embedded_dir, *a).stdout, tmp_path / "report-embedded")
    assert "8 incidents in situation reports" in expected["summary"], expected["summary"]

    with kafka_stack(kafka_bootstrap, postgres_url, tmp_path / "kafka") as stack:
        (stack.tmp / "data").mkdir(parents=True)
        stack.cli("db", "upgrade")
        stack.cli("topics", "create")
        with stack.engine.begin() as conn:  # the web pages were opened once: the installation's own cookie key
            conn.execute(text("insert into casework.web_keys (name, value) values ('cookie', 'installation-own')"))
        out = stack.cli("import", *map(str, HISTORY), "--until", UNTIL)
        assert "imported 8 incidents" in out and "consumer groups hrcase-intake, hrcase-casework, " \
            "hrcase-sla_monitor committed at their ends" in out, out
        assert stack.scalar("select count(*) from casework.cases") == 8
        assert not list((stack.tmp / "data").glob(".import-staging-*")), "the staging runtime was left behind"
        imported = report(stack.cli, tmp_path / "report-production")
        assert imported == expected

        assert stack.lag() == 0, "the import left the workers' groups short of the ends of their topics"
        before = on_topics(stack)
        assert all(before[t] for t in (SITREP_INCIDENTS, INCIDENTS, CASE_EVENTS, SLA_EVENTS)), before
        workers = [stack.worker(s) for s in SERVICES]
        for worker in workers:
            worker.wait_healthy()
        time.sleep(SETTLE_SECONDS)  # the workers' chance to take the history again, which they must not
        wait_for(stack.quiet, 60, "outboxes relayed and every group at the end of its topics", interval=1.0)
        after = on_topics(stack)
        for topic in TOPIC_NAMES:
            repeated = [i for i, n in Counter(after[topic]).items() if n > 1]
            assert not repeated, f"{topic}: {len(repeated)} event ids twice after the workers started"
            assert after[topic][:len(before[topic])] == before[topic]
        # Nothing registered or accepted again; only SLA checks that fell due since 30 June 2024 may follow.
        for topic in (SITREP_INCIDENTS, INCIDENTS, INTAKE_REJECTED, CASE_EVENTS):
            assert len(after[topic]) == len(before[topic]), topic
        assert stack.scalar("select count(*) from casework.cases") == 8
        print(f"sla-events: {len(before[SLA_EVENTS])} imported, {len(after[SLA_EVENTS])} after the workers ran")
        assert report(stack.cli, tmp_path / "report-production-2") == expected  # as at 30 June: unchanged

        exported = tmp_path / "export"
        out = stack.cli("export", str(exported))
        assert f"exported {sum(len(ids) for ids in after.values()):,} records" in out, out
        restored_dir = tmp_path / "restored"
        restored_dir.mkdir()
        shutil.copy(stack.tmp / "data" / "identity.key", restored_dir / "identity.key")  # the development key
        assert "restored" in embedded(restored_dir, "import", "--events", str(exported)).stdout
        restored = report(lambda *a: embedded(restored_dir, *a).stdout, tmp_path / "report-restored")
        assert restored == report(stack.cli, tmp_path / "report-production-3")
        assert restored["summary"] == expected["summary"]

        refused = subprocess.run(hrcase("import", *map(str, HISTORY)), cwd=REPO, env=stack.env,
                                 capture_output=True, text=True, timeout=120, check=False)
        assert refused.returncode != 0
        assert "not empty" in refused.stderr and "casework.cases: 8 rows" in refused.stderr, refused.stderr
        assert "consumer group hrcase-casework: 1 members (stop the workers)" in refused.stderr
        assert f"topic {CASE_EVENTS}: {len(after[CASE_EVENTS]):,} records" in refused.stderr
