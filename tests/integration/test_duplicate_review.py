"""Likely duplicates through the embedded runtime: found within one report and across offices, reviewed through the
API by the Team Leaders of both offices, and a merge that closes the case and stops its clocks (ADR 0022)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from schemas import encode, new_envelope
from schemas.topics import SITREP_INCIDENTS
from services.casework.adapters import case_figures, tables, token_store
from services.casework.adapters import repository as repo
from services.casework.api.app import create_app
from services.casework.api.server import context_for
from services.casework.domain.roles import User
from services.casework.web import overview
from services.clock import SimulatedClock
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.messaging.ports import Outgoing
from services.reporting.adapters.log_source import TOPICS, history_of
from services.reporting.domain.model import Scope
from services.reporting.whatif import make_report
from services.sla_monitor.domain.policy import Policy
from sitreps.key import incident_key
from tests.factories import incident

REPORTED = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
OCCURRED = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
USERS = (User("tl_mopti", "team_leader", "Mopti"), User("tl_gao", "team_leader", "Gao"),
         User("tl_kidal", "team_leader", "Kidal"), User("awa", "hro", "Mopti"), User("dir", "director", "Bamako"))
MARKET = "Three men were killed at the Douentza market by armed men on motorbikes"


def record(sitrep: str, number: int, office: str, days: int, location: str, violation: str,
           summary: str) -> dict[str, Any]:
    return incident(sitrep, number, REPORTED, office, location=location, violation_types=[violation],
                    occurred_at=(OCCURRED + timedelta(days=days)).isoformat(), summary=summary)


RECORDS = (  # Mopti's report holds the killing twice; Gao's reports it again; the others are other incidents
    record("SR-MOP-2026-W11", 1, "Mopti", 0, "Douentza", "killing", MARKET),
    record("SR-MOP-2026-W11", 2, "Mopti", 1, "Douentza", "killing", "Near the Douentza market three men were killed"
                                                                    " by armed men on motorbikes"),
    record("SR-MOP-2026-W11", 3, "Mopti", 0, "Douentza", "torture", "A detainee beaten at the gendarmerie"),
    record("SR-MOP-2026-W11", 4, "Mopti", 9, "Douentza", "killing", MARKET),
    record("SR-GAO-2026-W11", 1, "Gao", 2, "Douentza", "killing", "Armed men on motorbikes killed three men at the "
                                                                  "Douentza market"),
)


@pytest.fixture
def runtime(tmp_path: Path) -> EmbeddedRuntime:
    runtime = EmbeddedRuntime(Settings(data_dir=tmp_path / "data", batch_size=50))
    runtime.casework.write(lambda conn: [repo.save_user(conn, u) for u in USERS])
    runtime.submit(Outgoing(SITREP_INCIDENTS, incident_key(r["sitrep_id"], r["incident_number"]), encode(new_envelope(
        "IncidentReported", 1, occurred_at=REPORTED, key="k", producer="test", payload=r))) for r in RECORDS)
    runtime.run_until_idle(REPORTED + timedelta(hours=1))
    return runtime


def client(runtime: EmbeddedRuntime, now: datetime) -> tuple[FlaskClient, dict[str, str]]:
    tokens = runtime.casework.write(lambda conn: {u.username: token_store.create(conn, u.username, now).value
                                                  for u in USERS})
    app = create_app(context_for(runtime.casework, clock=SimulatedClock(now)))
    app.config["TESTING"] = True
    return app.test_client(), {name: f"Bearer {token}" for name, token in tokens.items()}


def refs(pair: dict[str, Any]) -> tuple[str, str]:
    return pair["first"]["reference"], pair["second"]["reference"]


def test_pairs_are_found_within_one_report_and_across_offices_and_nowhere_else(runtime: EmbeddedRuntime) -> None:
    api, auth = client(runtime, REPORTED + timedelta(hours=2))
    mopti = api.get("/duplicates", headers={"Authorization": auth["tl_mopti"]}).json
    found = {frozenset(refs(p)) for p in mopti["items"]}
    # MOP-0001 and -0002 (one report), each with GAO-0001 (another office); the torture and the killing nine days
    # later are paired with nothing.
    assert found == {frozenset(("MOP-2026-0001", "MOP-2026-0002")), frozenset(("MOP-2026-0001", "GAO-2026-0001")),
                     frozenset(("MOP-2026-0002", "GAO-2026-0001"))}
    within = next(p for p in mopti["items"] if set(refs(p)) == {"MOP-2026-0001", "MOP-2026-0002"})
    assert {"window", "same_place", "violation", "similar_summary", "same_report"} <= set(within["reasons"])
    gao = api.get("/duplicates", headers={"Authorization": auth["tl_gao"]}).json
    assert {frozenset(refs(p)) for p in gao["items"]} == found - {frozenset(("MOP-2026-0001", "MOP-2026-0002"))}
    assert api.get("/duplicates", headers={"Authorization": auth["tl_kidal"]}).json["total"] == 0
    assert api.get("/duplicates", headers={"Authorization": auth["awa"]}).status_code == 403
    assert "identities" not in str(mopti) and "Victim Person" not in str(mopti)


def test_both_team_leaders_decide_a_third_office_is_refused_and_a_merge_stops_the_merged_cases_clocks(
        runtime: EmbeddedRuntime) -> None:
    late = REPORTED + timedelta(days=5)  # the recording goal (4 days) has passed: every case's clock breached
    runtime.run_until_idle(late)
    api, auth = client(runtime, late)
    pairs = api.get("/duplicates", headers={"Authorization": auth["tl_mopti"]}).json["items"]
    across = next(p for p in pairs if set(refs(p)) == {"MOP-2026-0001", "GAO-2026-0001"})
    within = next(p for p in pairs if set(refs(p)) == {"MOP-2026-0001", "MOP-2026-0002"})

    refused = api.post(f"/duplicates/{across['pair_id']}/decision", headers={"Authorization": auth["tl_kidal"]},
                       json={"decision": "distinct", "note": "not ours"})
    assert refused.status_code == 403
    assert refused.json["message"] == ("only a Team Leader of Mopti or Gao, or a Director, decides whether these "
                                       "cases are one incident")
    no_note = api.post(f"/duplicates/{across['pair_id']}/decision", headers={"Authorization": auth["tl_gao"]},
                       json={"decision": "distinct"})
    assert no_note.status_code == 409 and no_note.json["message"] == "note: say why these are distinct incidents"

    distinct = api.post(f"/duplicates/{across['pair_id']}/decision", headers={"Authorization": auth["tl_gao"]},
                        json={"decision": "distinct", "note": "the Gao report is of the Boni market"})
    assert distinct.status_code == 200, distinct.json
    assert distinct.json["pair"]["status"] == "distinct" and distinct.json["pair"]["decided_by"] == "tl_gao"
    assert [e["type"] for e in distinct.json["events"]] == ["DuplicateDismissed", "DuplicateDismissed"]
    again = api.post(f"/duplicates/{across['pair_id']}/decision", headers={"Authorization": auth["tl_mopti"]},
                     json={"decision": "distinct", "note": "again"})
    assert again.status_code == 409

    merged = api.post(f"/duplicates/{within['pair_id']}/decision", headers={"Authorization": auth["tl_mopti"]},
                      json={"decision": "same", "survivor": "MOP-2026-0001", "note": "one killing, told twice"})
    assert merged.status_code == 200, merged.json
    assert [e["type"] for e in merged.json["events"]] == ["CaseMerged", "DuplicateAbsorbed"]
    runtime.run_until_idle(late + timedelta(minutes=1))  # the monitor takes CaseMerged; its answer reaches casework

    view = api.get("/cases/MOP-2026-0002", headers={"Authorization": auth["tl_mopti"]}).json
    assert view["stage"] == "closed" and view["merged_into"] == "MOP-2026-0001"
    assert api.get("/cases/MOP-2026-0001", headers={"Authorization": auth["tl_mopti"]}).json["merged_from"] == [
        "MOP-2026-0002"]
    merged_id = view["case_id"]
    with runtime.casework.engine.connect() as conn:
        clocks = conn.execute(select(tables.case_schedules).where(tables.case_schedules.c.case_id == merged_id)).all()
        summary = conn.execute(select(tables.case_summaries).where(tables.case_summaries.c.case_id == merged_id)).one()
        alerts = [a for a in repo.list_alerts(conn, office="Mopti", open_only=False) if a.case_id == merged_id]
    assert clocks and all(row.state == "stopped" for row in clocks)  # every clock of the merged case stopped
    assert summary.next_clock is None and summary.stage == "closed" and not summary.closed_without_approval
    recording = next(a for a in alerts if a.kind == "recording")
    assert recording.resolved_at is not None and recording.resolution == "merged"  # the monitor's SlaCleared
    # The merged case's other pair has nothing left to decide: superseded, with why.
    assert api.get("/duplicates", headers={"Authorization": auth["tl_gao"]}).json["total"] == 0
    left = api.get("/duplicates?status=superseded", headers={"Authorization": auth["tl_gao"]}).json["items"]
    assert [set(refs(p)) for p in left] == [{"MOP-2026-0002", "GAO-2026-0001"}]
    assert left[0]["note"] == "MOP-2026-0002 merged into MOP-2026-0001"


def test_the_report_counts_the_decisions_and_sets_merged_cases_apart_from_approved_closures(
        runtime: EmbeddedRuntime) -> None:
    api, auth = client(runtime, REPORTED + timedelta(hours=2))
    pairs = api.get("/duplicates", headers={"Authorization": auth["dir"]}).json["items"]
    assert len(pairs) == 3  # a Director sees every office's
    across = next(p for p in pairs if set(refs(p)) == {"MOP-2026-0001", "GAO-2026-0001"})
    within = next(p for p in pairs if set(refs(p)) == {"MOP-2026-0001", "MOP-2026-0002"})
    for pair, body in ((across, {"decision": "distinct", "note": "two markets"}),
                       (within, {"decision": "same", "survivor": "MOP-2026-0001"})):
        assert api.post(f"/duplicates/{pair['pair_id']}/decision", headers={"Authorization": auth["dir"]},
                        json=body).status_code == 200
    runtime.run_until_idle(REPORTED + timedelta(hours=3))

    report = make_report(history_of(runtime.messages(TOPICS)), Scope(as_of=REPORTED + timedelta(days=1)), Policy())
    section = next(s for s in report.sections if s.title == "10. Duplicate review")
    assert section.tables[0].rows == (("Gao", 1, 0), ("Mopti", 1, 1), ("Total", 1, 1))
    closures = next(t for s in report.sections for t in s.tables if t.slug == "closures")
    assert [(row[0], row[1]) for row in closures.rows] == [
        ("With the Director's or Deputy Director's approval", 0), ("Without it (imported history)", 0),
        ("Merged into another case as the same incident (a Team Leader's decision)", 1), ("Total", 1)]
    assert report.figures["closed_merged"] == 1 and report.figures["closed_without_approval"] == 0
    # The overview counts from the read model what the report folds from the log: the merged case set apart.
    as_of = REPORTED + timedelta(days=1)
    closures = ("closed", "closed_merged", "closed_without_approval")

    def counted() -> dict[str, Any]:
        total = runtime.casework.read(lambda conn: overview.office_figures(conn, None, as_of))[case_figures.TOTAL]
        return {k: total[k] for k in closures}

    assert counted() == {k: report.figures[k] for k in closures} == {
        "closed": 1, "closed_merged": 1, "closed_without_approval": 0}
    # Reopened, the merged case is no longer closed as merged, nor counted so.
    reopened = api.post("/cases/MOP-2026-0002/reopen", headers={"Authorization": auth["dir"]},
                        json={"reason": "not the same killing after all"})
    assert reopened.status_code == 200, reopened.json
    runtime.run_until_idle(REPORTED + timedelta(hours=4))
    assert counted() == {"closed": 0, "closed_merged": 0, "closed_without_approval": 0}
