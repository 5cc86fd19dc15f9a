"""OIOS 2021/011 reproduced: the simulated MINUSMA history, imported and replayed, gives the audit's figures."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.reporting.adapters.log_source import read_log
from services.reporting.domain.compliance import table_named
from services.reporting.domain.events import History
from services.reporting.domain.model import Scope, end_of, start_of
from services.reporting.history.importer import import_files
from services.reporting.simulation.files import write_history
from services.reporting.simulation.profile import OIOS_2021_011
from services.reporting.whatif import make_report, replay
from services.sla_monitor.adapters import policy_file
from services.sla_monitor.bootstrap import load_policy

SCOPE = Scope(as_of=end_of(OIOS_2021_011.as_of), start=start_of(OIOS_2021_011.start), end=end_of(OIOS_2021_011.end))
FORTY_FIVE_DAYS = (Path(policy_file.default_policy_path()).read_text()
                   .replace('version = "2024.1"', 'version = "stall-45"')
                   .replace("investigation = 60", "investigation = 45"))


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, History]:
    folder = tmp_path_factory.mktemp("oios")
    incidents, cases = write_history(OIOS_2021_011, folder / "history")
    runtime = EmbeddedRuntime(Settings(data_dir=folder / "data"))
    started = time.perf_counter()
    summary = import_files(runtime, incidents, cases, datetime.now(UTC), SCOPE.as_of)
    took = time.perf_counter() - started
    print(f"\nimported {summary.incidents} incidents and {summary.actions} actions in {took:.1f} s")
    return folder, read_log(runtime.log)


def test_the_report_gives_exactly_the_audits_figures(installation: tuple[Path, History]) -> None:
    _, history = installation
    f = make_report(history, SCOPE, load_policy()).figures
    assert (f["incidents"], f["unrecorded"], f["recorded"]) == (1496, 468, 1028)
    assert f["mean_delay_days"] == pytest.approx(60.0, abs=1e-6)  # "on average about two months"
    assert (f["preliminary"], f["preliminary_since_cut"]) == (226, 195)
    assert (f["investigation"], f["investigation_idle_since_cut"]) == (768, 330)
    assert (f["concluded"], f["closure_requested"]) == (0, 0)
    assert (f["closed"], f["closed_without_approval"], f["closed_with_follow_up"]) == (34, 8, 0)
    assert f["stalled_without_reason"] == f["stalled"]  # "nobody recorded reasons for the delays"
    assert f["recording_breaches"] > 1000 and f["rejected_records"] == 0


def test_the_audits_status_of_cases_chart_and_every_table_are_written(installation: tuple[Path, History]) -> None:
    folder, _ = installation
    out = folder / "report"
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "report", "--data-dir", str(folder / "data"), "--as-of", "2020-06-30",
         "--from", "2017-07-01", "--to", "2019-12-31", "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert ("1,496 incidents in situation reports; 468 never recorded; 1,028 recorded, on average 60.0 days"
            in result.stdout)
    assert ("226 cases at preliminary information gathering (195 of them since 2018 or earlier), 768 at investigation "
            "(330 with no activity since 2018)") in result.stdout
    assert "34 closed (8 of them without the Director's or Deputy Director's approval" in result.stdout
    assert (out / "status_of_cases.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "unrecorded_incidents.csv").read_text().count("\n") == 468 + 1
    assert "<h2>Key figures</h2>" in (out / "report.html").read_text()


def test_the_monitors_events_are_its_rules_applied_to_the_case_events(installation: tuple[Path, History]) -> None:
    _, history = installation
    again = replay(history.case_events, SCOPE.as_of, load_policy())
    assert {e.event_id for e in again} == {e.event_id for e in history.sla_events if e.occurred_at <= SCOPE.as_of}


def test_a_45_day_stall_threshold_shows_what_it_would_have_changed(installation: tuple[Path, History],
                                                                   tmp_path: Path) -> None:
    _, history = installation
    (tmp_path / "stall-45.toml").write_text(FORTY_FIVE_DAYS)
    report = make_report(history, SCOPE, load_policy(), policy_file.load(tmp_path / "stall-45.toml"))
    sla = {(r[0], r[1]): r[2:] for r in table_named(report, "what_if_sla_events").rows}
    before, after, difference = sla[("Stall (no activity)", "breach")]
    assert after > before and difference == after - before
    assert sla[("Recording (4-day rule)", "breach")][2] == 0  # the recording rule did not change
    stalled = {r[0]: r for r in table_named(report, "what_if_stalled").rows}
    assert stalled["Investigation"][1:3] == ("60", "45")
    assert stalled["Investigation"][4] >= stalled["Investigation"][3]
    assert stalled["Preliminary information gathering"][5] == 0


def test_the_simulation_is_reproducible_from_its_seed(tmp_path: Path) -> None:
    one = write_history(OIOS_2021_011, tmp_path / "one")
    two = write_history(OIOS_2021_011, tmp_path / "two")
    assert [p.read_bytes() for p in one] == [p.read_bytes() for p in two]


def test_the_report_from_the_reporting_store_is_the_report_read_from_the_log(installation: tuple[Path, History],
                                                                             tmp_path: Path) -> None:
    folder, _ = installation
    outputs = {}
    for how, extra in (("store", []), ("log", ["--from-log"])):
        result = subprocess.run(
            [sys.executable, "-m", "services.cli", "report", "--data-dir", str(folder / "data"), "--as-of",
             "2020-06-30", "--from", "2017-07-01", "--to", "2019-12-31", "--out", str(tmp_path / how), *extra],
            capture_output=True, text=True, timeout=300, check=False,
        )
        assert result.returncode == 0, result.stderr
        outputs[how] = result.stdout.splitlines()
    assert "from the reporting store" in outputs["store"][-1] and "(--from-log)" in outputs["log"][-1]
    assert outputs["store"][:-1] == outputs["log"][:-1]
    names = sorted(p.name for p in (tmp_path / "log").iterdir())
    assert len(names) == 25 and names == sorted(p.name for p in (tmp_path / "store").iterdir())
    for name in names:  # the audit's figures, tables and charts, byte for byte
        assert (tmp_path / "store" / name).read_bytes() == (tmp_path / "log" / name).read_bytes(), name
