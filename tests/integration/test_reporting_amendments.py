"""Reports count an incident as amended, and an export restored elsewhere holds the amended case and its history."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from services.casework.adapters import repository as repo
from services.casework.domain import commands as c
from services.casework.domain.roles import User
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.reporting.adapters.log_source import read_log
from services.reporting.domain.model import Scope, end_of
from services.reporting.handover import export, read_export, restore
from services.reporting.history.importer import settle
from services.reporting.whatif import make_report
from services.sealing import sitrep_outgoing
from services.sla_monitor.bootstrap import load_policy
from services.vault import DEV_KEY_FILE
from sitreps.files import read_sitrep

ROOT = Path(__file__).resolve().parents[2]
KEY = "SR-BKO-2026-W46#2"  # Kati, threats and intimidation, never recorded
AMENDED_AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
AS_OF = end_of(date(2026, 12, 31))


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedRuntime:
    runtime = EmbeddedRuntime(Settings(data_dir=tmp_path_factory.mktemp("amended")))
    runtime.submit(map(sitrep_outgoing, read_sitrep(ROOT / "examples" / "sitreps" / "2026-W46-bamako.csv")))
    settle(runtime, datetime(2026, 11, 14, tzinfo=UTC))
    runtime.casework.write(lambda conn: repo.save_user(conn, User("tl_bko", "team_leader", "Bamako")))
    [case] = [k for k in runtime.casework.read(lambda conn: repo.list_cases(conn, limit=100)) if k.incident_key == KEY]
    # The incident is written with acts, so its violations follow them: an act of injury is added to the same victims.
    acts = case.details["acts"]
    runtime.casework.execute(c.AmendIncident(case.case_id, "tl_bko", "the victims were threatened and beaten", {
        "location": {"old": "Kati", "new": "Kati, Kambila"},
        "acts": {"old": acts, "new": [*acts, {**acts[0], "violation_type": "injury"}]},
    }), AMENDED_AT)
    settle(runtime, AMENDED_AT)
    return runtime


def unrecorded_row(report: object) -> tuple[str, ...]:
    [table] = [t for t in report.tables() if t.slug == "unrecorded_incidents"]  # type: ignore[attr-defined]
    [row] = [r for r in table.rows if str(r[0]) == KEY]
    return tuple(str(cell) for cell in row[-2:])


def test_the_report_lists_the_incident_with_its_amended_place_and_violations(source: EmbeddedRuntime) -> None:
    policy = load_policy(source.settings.policy_path)
    after = make_report(read_log(source.log), Scope(as_of=AS_OF), policy)
    assert unrecorded_row(after) == ("Kati, Kambila", "threats_and_intimidation, injury")
    before = make_report(read_log(source.log), Scope(as_of=datetime(2026, 11, 19, tzinfo=UTC)), policy)
    assert unrecorded_row(before) == ("Kati", "threats_and_intimidation")  # as at a date before the amendment


def test_a_restored_export_holds_the_amended_case_its_history_and_the_same_report(source: EmbeddedRuntime,
                                                                                   tmp_path: Path) -> None:
    export(source, tmp_path / "export")
    data = tmp_path / "target"
    data.mkdir()
    shutil.copy(source.settings.data_dir / DEV_KEY_FILE, data / DEV_KEY_FILE)
    target = EmbeddedRuntime(Settings(data_dir=data))
    restore(target, tmp_path / "export")
    [case] = [k for k in target.casework.read(lambda conn: repo.list_cases(conn, limit=100)) if k.incident_key == KEY]
    assert (case.details["location"], case.details["violation_types"]) == (
        "Kati, Kambila", ["threats_and_intimidation", "injury"])
    assert case == source.casework.read(lambda conn: repo.get_case(conn, case.case_id))
    [amended] = [h for h in target.casework.read(lambda conn: repo.history(conn, case.case_id))
                 if h["type"] == "IncidentAmended"]
    assert (amended["actor"], amended["occurred_at"]) == ("tl_bko", AMENDED_AT)
    assert amended["payload"]["changes"]["location"] == {"old": "Kati", "new": "Kati, Kambila"}
    policy = load_policy(source.settings.policy_path)
    assert unrecorded_row(make_report(read_export(tmp_path / "export"), Scope(as_of=AS_OF), policy)) == (
        "Kati, Kambila", "threats_and_intimidation, injury")
