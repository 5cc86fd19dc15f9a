"""One scenario on both layouts: the embedded runtime (`hrcase serve`) and the three faust workers on Kafka and
PostgreSQL, driven by the same `hrcase` commands, give the same report."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from schemas.topics import CASE_EVENTS, SLA_EVENTS
from services.casework.adapters import repository as repo
from services.cli import cli
from services.cli.common import open_runtime
from services.config import Settings
from services.embedded import EmbeddedRuntime
from tests.system.kafka_cluster import REPO, Stack, hrcase, kafka_stack, wait_for, write_workload

INCIDENTS = 24  # four per office
BAD = 1  # one record that is not JSON and one that breaks a rule: two dead letters
THRESHOLDS = ("SlaWarning", "SlaBreached", "SlaEscalated")  # all due: every incident is 10 to 30 days old


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, f"hrcase {' '.join(args)}:\n{result.output}"
    return result.output


def pipeline_done(data_dir: Path) -> Callable[[], bool]:
    """Every case registered and every recording threshold emitted, read from the log the layout has."""
    def done() -> bool:
        messages = list(open_runtime(str(data_dir)).messages((CASE_EVENTS, SLA_EVENTS)))
        registered = {m.key for m in messages if m.headers.get("type") == "CaseRegistered"}
        crossed = {(m.key, m.headers.get("type")) for m in messages
                   if m.headers.get("type") in THRESHOLDS and json.loads(m.value)["payload"]["clock"] == "recording"}
        return len(registered) == INCIDENTS and len(crossed) == INCIDENTS * len(THRESHOLDS)
    return done


def scenario(data_dir: Path, sitrep: Path, at: datetime, settled: Callable[[], bool], out: Path) -> dict[str, str]:
    """Users and a token, the sitrep, a few officers' commands, then the report: what both layouts must agree on."""
    run("db", "upgrade")
    run("users", "add", "awa", "--role", "hro", "--office", "Mopti")
    run("users", "add", "tl", "--role", "team_leader", "--office", "Mopti")
    run("users", "add", "director", "--role", "director", "--office", "Bamako")
    assert run("users", "token", "create", "awa").startswith("hrc_")
    assert f"{INCIDENTS + 2 * BAD} incident records" in run("sitrep", "load", str(sitrep))
    wait_for(pipeline_done(data_dir), 120, "every case and recording threshold", interval=1.0)

    # References follow the order of registration, which partitions change: choose cases by incident key.
    cases = open_runtime(str(data_dir)).casework.read(lambda conn: repo.list_cases(conn, office="Mopti"))
    refs = [c.reference for c in sorted(cases, key=lambda c: c.incident_key)]
    assert len(refs) == INCIDENTS // 6
    steps = [("assign", refs[0], "tl", "--to", "awa"), ("record", refs[0], "awa"),
             ("advance", refs[0], "awa", "--stage", "investigation"), ("log", refs[0], "awa", "--description", "met"),
             ("record", refs[1], "tl"), ("request-closure", refs[1], "tl", "--reason", "duplicate", "--note", "dup"),
             ("approve-closure", refs[1], "director"),
             ("record", refs[2], "tl"), ("delay", refs[2], "tl", "--reason", "security", "--until",
                                         (at + timedelta(days=20)).isoformat())]
    for n, (name, ref, actor, *options) in enumerate(steps):
        run("case", name, ref, "--as", actor, "--at", (at + timedelta(minutes=n)).isoformat(), *options)
    wait_for(settled, 60, "the commands' events through the monitor", interval=1.0)

    history = run("case", "history", refs[0])
    assert [line.split()[2] for line in history.splitlines()] == [
        "CaseRegistered", "CaseAssigned", "CaseRecorded", "StageChanged", "ActivityLogged"], history
    assert json.loads(run("case", "show", refs[1]))["stage"] == "closed"
    assert len(run("rejected").splitlines()) == 2 * BAD
    alert = next(line.split()[0] for line in run("alerts", "list", "--as", "tl").splitlines() if refs[3] in line)
    assert "acknowledged" in run("alerts", "ack", alert, "--as", "tl", "--at", (at + timedelta(hours=1)).isoformat())
    wait_for(settled, 60, "the acknowledgement through the monitor", interval=1.0)
    # As at the day after: what both runs did, minutes apart, falls within it whenever the test runs.
    as_of = f"{at + timedelta(days=1):%Y-%m-%d}"
    summary = run("report", "--as-of", as_of, "--out", str(out), "--no-charts").splitlines()[:-1]
    everyone = open_runtime(str(data_dir)).casework.read(lambda conn: repo.list_cases(conn, limit=10_000))
    named = {c.reference: c.incident_key for c in everyone}
    return {"summary": "\n".join(summary), **{p.name: by_incident(p.read_text(), named) for p in out.glob("*.csv")}}


def by_incident(table: str, named: dict[str, str]) -> str:
    """A report's table with each case named by its incident, rows sorted: a case's reference is its number in the
    order of registration, which differs between one log and several partitions."""
    header, *rows = table.splitlines()
    pattern = re.compile("|".join(re.escape(ref) for ref in sorted(named, key=len, reverse=True)))
    return "\n".join([header, *sorted(pattern.sub(lambda m: named[m.group(0)], row) for row in rows)])


def embedded_settled(data_dir: Path) -> Callable[[], bool]:
    def settled() -> bool:
        runtime = EmbeddedRuntime(Settings.from_env(data_dir=data_dir))
        lag = sum(runtime.log.lag(c.name, t) for c in runtime.consumers for t in c.processor.topics)
        waiting = 0
        for c in runtime.consumers:
            with c.engine.connect() as conn:
                waiting += conn.scalar(select(func.count()).select_from(c.mailboxes.outbox)) or 0
        return lag == 0 and waiting == 0
    return settled


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_the_same_commands_give_the_same_report_on_the_embedded_and_the_production_layout(
        kafka_bootstrap: str, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The officers' commands' time, the same in both runs: after the cases are registered in either.
    at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=30)
    sitrep = write_workload(tmp_path / "sitrep.jsonl", INCIDENTS, at - timedelta(days=10), bad_each=BAD).path
    for name in [n for n in os.environ if n.startswith("HRCASE_") and not n.startswith("HRCASE_TEST_")]:
        monkeypatch.delenv(name)

    embedded_dir = tmp_path / "embedded"
    monkeypatch.setenv("HRCASE_DATA_DIR", str(embedded_dir))
    run("db", "upgrade")
    env = {k: v for k, v in os.environ.items()}
    with (tmp_path / "serve.log").open("wb") as log:
        serve = subprocess.Popen(hrcase("serve", "--no-api", "--interval", "0.1"), cwd=REPO, env=env,
                                 stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        embedded = scenario(embedded_dir, sitrep, at, embedded_settled(embedded_dir), tmp_path / "report-embedded")
    finally:
        serve.terminate()
        serve.wait(timeout=30)

    with kafka_stack(kafka_bootstrap, postgres_url, tmp_path / "kafka") as stack:
        production = production_run(stack, monkeypatch, sitrep, at, tmp_path / "report-production")

    assert f"{INCIDENTS} incidents in situation reports; {INCIDENTS - 3} never recorded; 3 recorded" \
        in embedded["summary"], embedded["summary"]
    assert production["summary"] == embedded["summary"]
    assert production == embedded


def production_run(stack: Stack, monkeypatch: pytest.MonkeyPatch, sitrep: Path, at: datetime,
                   out: Path) -> dict[str, str]:
    (stack.tmp / "data").mkdir(parents=True)
    for name, value in stack.env.items():
        if name.startswith("HRCASE_"):
            monkeypatch.setenv(name, value)
    stack.cli("topics", "create")
    workers = [stack.worker(s) for s in ("intake", "casework", "sla-monitor")]
    for worker in workers:
        worker.wait_healthy()
    return scenario(stack.tmp / "data", sitrep, at, stack.quiet, out)
