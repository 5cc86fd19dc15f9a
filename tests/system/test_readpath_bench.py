"""The read-side benchmark's harness (bench/readpath.py): its generated data is what casework itself keeps, and its
driver runs end to end at a tiny size (timings are not judged here)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from bench import readgen, readpath
from bench.readgen import NOW, Generator
from services.casework.adapters import state, summaries
from services.casework.adapters.schedules import for_cases
from services.casework.adapters.tables import alerts, case_history, case_summaries, case_violations, cases, users
from services.casework.domain.duplicates import pair_id
from services.casework.domain.reference import case_id_for
from services.casework.domain.summaries import summary_of, violations_of
from services.messaging.times import as_utc


def test_the_generated_read_model_is_the_one_casework_keeps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fed: list[tuple[str, int]] = []  # what an index kept beside the read model would be given, chunk by chunk
    monkeypatch.setattr(readgen, "AFTER_CHUNK", [lambda _conn, found, rows: fed.extend(
        (case.case_id, sum(1 for r in rows if r["case_id"] == case.case_id)) for case in found)])
    engine = readpath.sqlite_target(tmp_path)
    readpath.generate(engine, "sqlite", 200, 21, lambda _line: None)
    with engine.begin() as conn:
        stored = {row.case_id: row._asdict() for row in conn.execute(select(case_summaries))}
        kinds = sorted((r.violation, r.case_id) for r in conn.execute(select(case_violations)))
        found = [state.loads(text) for text in conn.scalars(select(cases.c.state))]
        clocks = for_cases(conn, [case.case_id for case in found])
        events = Counter(conn.scalars(select(case_history.c.type)))
        history_cases = list(conn.scalars(select(case_history.c.case_id)))
        open_alerts = conn.execute(select(alerts.c.case_id, alerts.c.level)).all()
        for case in found:  # each row is the domain's summary of the stored case, with its schedules' deadline
            row = stored[case.case_id]
            assert {k: row[k] for k in ("office", "stage", "assignee", "reference", "violations", "excerpt",
                                        "version")} == {k: summary_of(case)[k] for k in ("office", "stage",
                                        "assignee", "reference", "violations", "excerpt", "version")}
        assert kinds == sorted((v, case.case_id) for case in found for v in violations_of(case))
        summaries.rebuild(conn)  # the services' own rebuild, from the cases and schedules, gives the same rows
        assert {row.case_id: row._asdict() for row in conn.execute(select(case_summaries))} == stored
    assert len(found) == 200 and events["CaseRegistered"] == 200
    assert sorted(fed) == sorted(Counter(history_cases).items())
    stages = Counter(case.stage for case in found)
    assert {"reported", "preliminary", "investigation", "closed"} <= set(stages), stages
    overdue = [row for row in stored.values() if row["next_due_at"] is not None and as_utc(row["next_due_at"]) <= NOW]
    assert 0 < len(overdue) < 200 and open_alerts
    assert {case_id for case_id, _ in open_alerts} <= set(stored)
    assert all(s.clock in ("recording", "stall", "closure_approval") for found_ in clocks.values() for s in found_)


@pytest.mark.timeout(600)
def test_copies_of_the_base_are_cases_as_casework_keeps_them(tmp_path: Path) -> None:
    engine = readpath.sqlite_target(tmp_path)
    made = readpath.generate(engine, "sqlite", 450, 21, lambda _line: None, base=200)
    assert made["cases"] == 450 and made["copies"]["copies"] == 2  # 200 made by casework's code, 250 copied
    checked = subprocess.run([sys.executable, "-m", "services.cli", "read-model", "check", "--data-dir",
                              str(tmp_path / "data")], capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked
    assert "the read model agrees with all 450 cases, and so do its counts" in checked.stdout
    with engine.begin() as conn:
        rows = conn.execute(select(cases.c.case_id, cases.c.reference, cases.c.incident_key, cases.c.assignee,
                                   cases.c.state)).all()
        for case_id, reference, key, assignee, stored in rows:  # the state names the row's own ids
            case = state.loads(stored)
            assert (case.case_id, case.reference, case.incident_key, case.assignee) == (
                case_id, reference, key, assignee)
            assert case_id == case_id_for(key)  # as casework derives it from the incident's key
        owner = {case_id: reference for case_id, reference, *_ in rows}
        history = conn.execute(select(case_history.c.event_id, case_history.c.case_id, case_history.c.payload)).all()
        assert len({event_id for event_id, *_ in history}) == len(history)
        for _event_id, case_id, payload in history:
            said = json.loads(payload)
            assert (said["case_id"], said["reference"]) == (case_id, owner[case_id])
        for case_id, reference, message in conn.execute(select(alerts.c.case_id, alerts.c.reference,
                                                               alerts.c.message)):
            assert reference == owner[case_id] and f"case {reference} (" in message
        for table in ("case_summaries", "case_search", "case_identities"):
            assert set(conn.scalars(text(f"select case_id from {table}"))) == set(owner), table
        assert conn.scalar(text("select count(*) from case_search s join case_search_fts f on f.rowid = s.doc")) == 450
        people = set(conn.scalars(select(users.c.username)))
        officers = set(conn.scalars(select(case_summaries.c.assignee).where(case_summaries.c.assignee.is_not(None))))
        assert officers <= people
        for code, year, last in conn.execute(text("select code, year, last from office_sequences")):
            taken = [int(r.rsplit("-", 1)[1]) for r in owner.values() if r.startswith(f"{code}-{year}-")]
            assert max(taken) <= last  # the next case registered gets a reference of its own
        pairs = conn.execute(text("select pair_id, first_case_id, second_case_id from duplicate_pairs")).all()
        assert pairs and all(first < second and pair == pair_id(first, second) and {first, second} <= set(owner)
                             for pair, first, second in pairs)
    assert len(set(owner.values())) == 450


def test_the_same_seed_generates_the_same_cases() -> None:
    first, second = Generator(50, seed=5), Generator(50, seed=5)

    def drawn(generator: Generator) -> list[dict[str, object]]:  # the sealed empty identities differ: a fresh key
        return [{k: v for k, v in generator.incident(n).items() if k != "identities"} for n in range(20)]

    assert drawn(first) == drawn(second)


@pytest.mark.timeout(600)
def test_the_driver_serves_every_page_and_records_each_beside_its_baseline(tmp_path: Path) -> None:
    out = tmp_path / "readpath.json"
    assert readpath.main(["--cases", "200", "--backend", "sqlite", "--folder", str(tmp_path / "data"),
                          "--requests", "2", "--concurrent-requests", "1", "--clients", "2", "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    assert record["generation"]["cases"] == 200 and record["db_bytes"] > 0
    served = [p for p in record["pages"] if not p.get("skipped")]
    assert {p["page"] for p in served} >= {"API GET /cases, page 1", "overview, all offices (web)",
                                           "Team Leader's queue (web)", "alert worklist (web, Team Leader)"}
    for page in served:
        assert page["errors"] == 0, page
        assert page["samples"] >= 3 and page["p95_1"] > 0 and page["p95_20"] > 0
        assert page["baseline_p50"] is not None and page["baseline_p50"] > 0
        assert page["server_cpu_ms"] is not None  # two server processes (the default here: the cores)


@pytest.mark.postgres
@pytest.mark.timeout(600)
def test_the_driver_runs_on_postgresql_in_casework_s_schema(postgres_url: str, tmp_path: Path) -> None:
    database = f"hrcase_bench_{uuid.uuid4().hex[:8]}"
    out = tmp_path / "readpath.json"
    try:
        assert readpath.main(["--cases", "200", "--backend", "postgresql", "--database-url", postgres_url,
                              "--database", database, "--requests", "2", "--concurrent-requests", "1",
                              "--clients", "2", "--pages", "cases, page 1", "--pages", "worklist", "--processes", "0",
                              "--out", str(out)]) == 0
    finally:
        admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{database}"'))
        admin.dispose()
    record = json.loads(out.read_text())
    assert record["backend"] == "postgresql" and record["generation"]["cases"] == 200
    assert [p["page"] for p in record["pages"]] == ["API GET /cases, page 1", "alert worklist (web, Team Leader)",
                                                    "API GET /alerts/worklist"]
    assert all(p["errors"] == 0 and p["baseline_p50"] is not None for p in record["pages"])
