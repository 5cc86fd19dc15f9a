"""The hand-made history of examples/history: imported through the services, its report checked line by line."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from services.casework.adapters import repository as repo
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.reporting.adapters import markdown
from services.reporting.adapters.log_source import read_log
from services.reporting.domain.model import Scope, end_of
from services.reporting.history import importer
from services.reporting.history.importer import ImportRefused, import_files, topic_counts
from services.reporting.whatif import make_report, replay
from services.sla_monitor.bootstrap import load_policy

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "history"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
AS_OF = end_of(date(2024, 6, 30))


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedRuntime:
    runtime = EmbeddedRuntime(Settings(data_dir=tmp_path_factory.mktemp("history")))
    import_files(runtime, EXAMPLES / "incidents.csv", EXAMPLES / "cases.csv", NOW, AS_OF)
    return runtime


@pytest.fixture(scope="module")
def report_lines(imported: EmbeddedRuntime) -> list[str]:
    report = make_report(read_log(imported.log), Scope(as_of=AS_OF), load_policy(imported.settings.policy_path))
    return markdown.render(report).splitlines()


def block(lines: list[str], heading: str) -> list[str]:
    """The lines of a table under its heading, up to the blank line that ends it."""
    start = lines.index(heading) + 2
    return lines[start:lines.index("", start)]


def test_the_key_figures_answer_the_audits_questions(report_lines: list[str]) -> None:
    assert report_lines[report_lines.index("## Key figures") + 2:report_lines.index("## Key figures") + 7] == [
        "- 8 incidents in situation reports; 2 never recorded; 6 recorded, on average 8.6 days after being reported "
        "(over the 6 recorded; median 3.2, 90th percentile 30.8).",
        # Every incident's four days have passed by 30 June: the two never recorded count against the share.
        "- Recorded on time: 4 of 8 incidents whose 4 days have passed (50%). 2 not recorded and past the goal, the "
        "oldest by 117.3 days (median 117.3).",
        "- As at 30 June 2024: 1 cases at preliminary information gathering (0 of them since 2022 or earlier), 2 at "
        "investigation (0 with no activity since 2022), 1 concluded, 0 awaiting a closure decision, 2 closed (1 of "
        "them without the Director's or Deputy Director's approval; 1 with a recorded follow-up).",
        "- 2 open cases stalled beyond their stage's goal, 1 of them without a recorded reason for the delay.",
        "- The SLA monitor emitted 5 warnings, 13 breaches and 5 escalations on these cases, of which 4 recording "
        "breaches to Team Leaders and 4 recording escalations to the Director.",
    ]


def test_reconciliation_and_the_list_of_unrecorded_incidents(report_lines: list[str]) -> None:
    assert block(report_lines, "### Situation reports against recorded cases")[2:] == [
        # On time over every incident whose goal has passed (reported 1 March, due 5 March: 117.3 days before 30 June).
        "| Gao | 3 | 2 | 1 | 33.3% | 2 | 3 | 66.7% | 1 | 117.3 | 117.3 |",
        "| Mopti | 5 | 4 | 1 | 20.0% | 2 | 5 | 40.0% | 1 | 117.3 | 117.3 |",
        "| Total | 8 | 6 | 2 | 25.0% | 4 | 8 | 50.0% | 2 | 117.3 | 117.3 |",
    ]
    assert block(report_lines, "### Incidents never recorded")[2:] == [
        "| SR-GAO-2024-W09#2 | GAO-2024-0002 | Gao | 2024-03-01 | 121.3 | 117.3 | ibrahim.hro | Bourem "
        "| destruction_of_property |",
        "| SR-MOP-2024-W09#3 | MOP-2024-0003 | Mopti | 2024-03-01 | 121.3 | 117.3 | (unassigned) | Koro | killing |",
    ]


def test_recording_delay(report_lines: list[str]) -> None:
    # Delays in days: Gao 3.67 and 0.75; Mopti 2.75, 10.71, 2.79 and 30.75.
    assert block(report_lines, "### Recording delay (days from the situation report to recording)")[2:] == [
        "| Gao | 2 | 2.2 | 2.2 | 3.7 | 3.7 | 2 | 1 | 117.3 |",
        "| Mopti | 4 | 11.8 | 6.8 | 30.8 | 30.8 | 2 | 1 | 117.3 |",
        "| Total | 6 | 8.6 | 3.2 | 30.8 | 30.8 | 4 | 2 | 117.3 |",
    ]


def test_stages_stalls_and_closures(report_lines: list[str]) -> None:
    assert block(report_lines, "### Cases by stage as at 30 June 2024")[2:] == [
        "| Reported, not recorded | 2 | 25.0% | 0 |",
        "| Preliminary information gathering | 1 | 12.5% | 0 |",
        "| Investigation | 2 | 25.0% | 0 |",
        "| Concluded (findings and follow-up) | 1 | 12.5% | 0 |",
        "| Closure requested | 0 | 0.0% | 0 |",
        "| Closed | 2 | 25.0% | 0 |",
        "| Total | 8 | 100.0% | 0 |",
    ]
    assert block(report_lines, "### Stalled cases: no activity for longer than the stage's goal")[2:] == [
        "| Preliminary information gathering | 30 | 1 | 1 | 100.0% | 0 | 1 |",
        "| Investigation | 60 | 2 | 1 | 50.0% | 1 | 0 |",
        "| Concluded (findings and follow-up) | 30 | 1 | 0 | 0.0% | 0 | 0 |",
        "| All open stages |  | 4 | 2 | 50.0% | 1 | 1 |",
    ]
    assert block(report_lines, "### Stalled cases, longest without activity first")[2:] == [
        "| GAO-2024-0001 | Gao | Investigation | ibrahim.hro | 2024-03-15 | 107.6 | access_constraints |",
        "| MOP-2024-0002 | Mopti | Preliminary information gathering | fatou.hro | 2024-03-25 | 97.5 | none recorded |",
    ]
    assert block(report_lines, "### Closed cases: Director's review and follow-up")[2:] == [
        "| With the Director's or Deputy Director's approval | 1 | 1 | 0 |",
        "| Without it (imported history) | 1 | 0 | 1 |",
        "| Total | 2 | 1 | 1 |",
    ]
    assert block(report_lines, "### Cases closed without the Director's or Deputy Director's approval")[2:] == [
        "| MOP-2024-0005 | Mopti | 2024-04-25 | aissata.tl | 0 |",
    ]


def test_performance_by_office_and_officer(report_lines: list[str]) -> None:
    assert block(report_lines, "### Performance by office against the targets")[2:] == [
        "| Gao | 3 | 2 | 1 | 2 | 3 | 66.7% | 1 | 2.2 | 2 | 1 | 0 | 1 | 0 | 0 | 0 | 4 | 1 |",
        "| Mopti | 5 | 4 | 1 | 2 | 5 | 40.0% | 1 | 11.8 | 2 | 1 | 1 | 2 | 0 | 2 | 1 | 9 | 4 |",
        "| Total | 8 | 6 | 2 | 4 | 8 | 50.0% | 2 | 8.6 | 4 | 2 | 1 | 3 | 0 | 2 | 1 | 13 | 5 |",
    ]
    assert block(report_lines, "### Performance by officer (the case's assigned officer)")[2:] == [
        "| ibrahim.hro | Gao | 3 | 2 | 1 | 2 | 3 | 66.7% | 1 | 2.2 | 2 | 1 | 0 | 1 | 0 | 0 | 0 | 4 | 1 |",
        "| amadou.hro | Mopti | 2 | 2 | 0 | 2 | 2 | 100.0% | 0 | 2.8 | 1 | 0 | 0 | 1 | 0 | 1 | 0 | 2 | 0 |",
        "| fatou.hro | Mopti | 2 | 2 | 0 | 0 | 2 | 0.0% | 0 | 20.7 | 1 | 1 | 1 | 1 | 0 | 1 | 1 | 6 | 3 |",
        # The unassigned incident was never recorded: 0 of 1 on time, where the old share had nothing to divide.
        "| (unassigned) |  | 1 | 0 | 1 | 0 | 1 | 0.0% | 1 | \u2013 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 1 | 1 |",
        "| Total |  | 8 | 6 | 2 | 4 | 8 | 50.0% | 2 | 8.6 | 4 | 2 | 1 | 3 | 0 | 2 | 1 | 13 | 5 |",
    ]


def test_what_the_sla_monitor_did_and_to_whom(report_lines: list[str]) -> None:
    assert block(report_lines, "### SLA events the monitor emitted, by clock and level")[2:] == [
        "| Recording (4-day rule) | 5 | 4 | 4 | 3 |",
        "| Stall (no activity) | 0 | 6 | 1 | 2 |",
        "| Team Leader review | 0 | 3 | 0 | 0 |",
        "| Closure decision | 0 | 0 | 0 | 0 |",
        "| Total | 5 | 13 | 5 | 5 |",
    ]
    assert block(report_lines, "### Recording breaches by month: to each office's Team Leader, and escalations to "
                               "the Director")[2:] == ["| 2024-03 | 1 | 3 | 4 | 4 |"]
    events = block(report_lines, "### Every SLA event, in time order")[2:]
    assert events[0] == ("| 2024-03-04T16:00+00:00 | GAO-2024-0001 | Gao | recording | warning | 0 | "
                         "officer ibrahim.hro |  | 2024.1 |")
    assert ("| 2024-03-05T16:00+00:00 | MOP-2024-0003 | Mopti | recording | breach | 1 | Team Leader, Mopti |  "
            "| 2024.1 |") in events
    assert ("| 2024-03-09T16:00+00:00 | GAO-2024-0002 | Gao | recording | escalation | 1 | Director |  "
            "| 2024.1 |") in events
    assert len(events) == 28


def test_the_monitors_events_are_what_its_rules_give_on_the_case_events_alone(imported: EmbeddedRuntime) -> None:
    history = read_log(imported.log)
    again = replay(history.case_events, AS_OF, load_policy(imported.settings.policy_path))
    assert {e.event_id for e in again} == {e.event_id for e in history.sla_events}


def test_the_historical_closure_is_casework_state_too(imported: EmbeddedRuntime) -> None:
    case = imported.casework.read(lambda conn: repo.get_case(conn, "MOP-2024-0005"))
    assert case is not None and case.stage == "closed" and case.approved_by is None and case.closed_at is not None


def test_an_office_filter_and_a_period_narrow_the_cases(imported: EmbeddedRuntime) -> None:
    history = read_log(imported.log)
    policy = load_policy(imported.settings.policy_path)
    gao = make_report(history, Scope(as_of=AS_OF, office="Gao"), policy)
    assert (gao.figures["incidents"], gao.figures["unrecorded"], gao.figures["closed"]) == (3, 1, 0)
    week_10 = make_report(history, Scope(as_of=AS_OF, start=datetime(2024, 3, 4, tzinfo=UTC)), policy)
    assert (week_10.figures["incidents"], week_10.figures["recorded"]) == (3, 3)
    early = make_report(history, Scope(as_of=end_of(date(2024, 3, 31))), policy)
    assert (early.figures["recorded"], early.figures["closed"], early.figures["sla_breach"]) == (5, 0, 4)


def broken_copy(folder: Path) -> tuple[Path, Path]:
    """The example history with one bad incident row and several bad action rows."""
    incidents, cases = folder / "incidents.csv", folder / "cases.csv"
    shutil.copy(EXAMPLES / "incidents.csv", incidents)
    with incidents.open("a", encoding="utf-8") as out:
        out.write("SR-GAO-2024-W10,2,2024-03-08T16:00:00+00:00,2024-03-09T17:00:00+00:00,Gao,Tessit,killing,"
                  "armed_group,,,1,,,direct_witness,Reported before it happened.,ibrahim.hro,,,\n")
    lines = (EXAMPLES / "cases.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",record,", ",recrod,")  # line 4: an unknown action
    lines[10] = lines[10].replace("Met the school's management committee", "")  # line 11: no description
    lines.append("SR-MOP-2024-W10,1,2024-06-25T10:00:00+00:00,approve_closure,amadou.hro,hro,,,,,,,")  # line 25
    lines.append("SR-XXX-2024-W10,1,2024-06-25T10:00:00+00:00,record,amadou.hro,hro,,,,,,,")  # line 26
    cases.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return incidents, cases


def test_a_malformed_history_is_refused_with_row_numbers_and_nothing_is_imported(tmp_path: Path) -> None:
    runtime = EmbeddedRuntime(Settings(data_dir=tmp_path / "data"))
    incidents, cases = broken_copy(tmp_path)
    with pytest.raises(ImportRefused) as refused:
        import_files(runtime, incidents, cases, NOW, AS_OF)
    errors = [str(e) for e in refused.value.errors]
    assert len(errors) == 6, errors
    assert errors[0].startswith("incidents.csv line 10: occurred_at: occurred after it was reported "
                                "(2024-03-09T17:00:00+00:00 > reported_at 2024-03-08T16:00:00+00:00)")
    assert errors[1].startswith("cases.csv line 4: action: Must be one of: assign, record,")
    # Line 4 was SR-GAO-2024-W10#1's recording: the workflow refuses its next action, and stops checking that case.
    assert errors[2].startswith("cases.csv line 10: advance refused: cannot advance case SR-GAO-2024-W10#1 at "
                                "stage 'reported'")
    assert errors[3] == "cases.csv line 11: note: required for action 'activity'"
    assert errors[4].startswith("cases.csv line 25: approve_closure refused: cannot approve the closure of case "
                                "SR-MOP-2024-W10#1 at stage 'investigation'")
    assert errors[5] == "cases.csv line 26: no incident SR-XXX-2024-W10#1 in the incidents file"
    assert topic_counts(runtime.log) == {}
    assert runtime.casework.read(repo.list_users) == []
    assert runtime.casework.read(lambda conn: repo.list_cases(conn)) == []


def test_running_the_monitor_ahead_in_short_strides_imports_the_same_history(
        imported: EmbeddedRuntime, report_lines: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large mission's weeks are cut into shorter strides; reports still arrive at their own time, none refused."""
    monkeypatch.setattr(importer, "STRIDE", timedelta(days=1))
    runtime = EmbeddedRuntime(Settings(data_dir=tmp_path / "data"))
    import_files(runtime, EXAMPLES / "incidents.csv", EXAMPLES / "cases.csv", NOW, AS_OF)
    assert topic_counts(runtime.log) == topic_counts(imported.log)
    report = make_report(read_log(runtime.log), Scope(as_of=AS_OF), load_policy(runtime.settings.policy_path))
    assert markdown.render(report).splitlines() == report_lines


def test_the_command_counts_every_error_of_a_history_even_those_it_does_not_list(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from services.cli import cli

    incidents, cases = tmp_path / "incidents.csv", tmp_path / "cases.csv"
    shutil.copy(EXAMPLES / "incidents.csv", incidents)
    lines = (EXAMPLES / "cases.csv").read_text(encoding="utf-8").splitlines()
    # 1,200 action rows naming an incident the file does not have: more than the 1,000 errors listed.
    lines += [f"SR-XXX-2024-W10,{n},2024-06-25T10:00:00+00:00,record,amadou.hro,hro,,,,,,," for n in range(1, 1201)]
    cases.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(incidents), str(cases), "--data-dir", str(tmp_path / "data"),
                                      "--until", "2024-06-30"])
    assert result.exit_code == 1
    assert "1,200 error(s) in the history; nothing was imported" in result.output
    assert "200 more error(s) not listed" in result.output


def test_the_command_says_how_far_it_is_while_it_works_and_what_it_imported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from services.cli import cli
    from services.cli import history as command

    monkeypatch.setattr(command, "PROGRESS_SECONDS", 0.0)  # every weekly report, not one every ten seconds
    result = CliRunner().invoke(cli, ["import", str(EXAMPLES / "incidents.csv"), str(EXAMPLES / "cases.csv"),
                                      "--data-dir", str(tmp_path / "data"), "--until", "2024-06-30"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("checked 8 incidents and ")
    weekly = [line for line in lines if line.startswith("replayed the situation report of ")]
    assert weekly and weekly == sorted(weekly)
    assert any(line.startswith("replayed to 2024-06-30T23:59:59") for line in lines)
    assert any(line.startswith("imported 8 incidents and ") for line in lines)
