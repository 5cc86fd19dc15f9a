"""The reporting store (ADR 0027): a report computed from it is the report read from the whole log, byte for byte, for
any scope it answers; it says when it reads the log instead, and folds what arrived since its last report."""

from __future__ import annotations

import filecmp
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from services.cli import cli
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.reporting.domain.model import Scope, end_of
from services.reporting.history.importer import import_files
from services.reporting.simulation.files import write_history
from services.reporting.simulation.profile import OIOS_2021_011, Profile
from services.reporting.store import ReportingStore
from services.sla_monitor.adapters import policy_file

# A small mission with every kind of outcome the audit's has: recorded on time and late, never recorded, stalled,
# idle since the cut year, closed with and without the Director, a follow-up and justified delays.
SMALL = replace(OIOS_2021_011, name="small", incidents=60, unrecorded=20, preliminary=10, preliminary_since_cut=6,
                investigation=26, investigation_idle_since_cut=10, closed=4, closed_without_approval=1,
                closed_with_follow_up=1, within_goal=5, delay_reasons=3)
AS_OF = SMALL.as_of.isoformat()  # 2020-06-30: the history stops the day before
SCOPES = (
    ("--as-of", AS_OF),
    ("--as-of", AS_OF, "--from", "2017-07-01", "--to", "2019-12-31"),
    ("--as-of", AS_OF, "--office", "Gao"),
    ("--as-of", "2020-08-15", "--from", "2018-03-02", "--office", "Mopti"),
)


def installation(folder: Path, profile: Profile) -> EmbeddedRuntime:
    incidents, actions = write_history(profile, folder / "history")
    runtime = EmbeddedRuntime(Settings(data_dir=folder / "data"))
    import_files(runtime, incidents, actions, datetime.now(UTC), end_of(profile.as_of))
    return runtime


@pytest.fixture(scope="module", params=[11, 12, 13])
def history(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> EmbeddedRuntime:
    return installation(tmp_path_factory.mktemp(f"store{request.param}"), replace(SMALL, seed=request.param))


def report(runtime: EmbeddedRuntime, out: Path, *args: str) -> list[str]:
    result = CliRunner().invoke(cli, ["report", "--data-dir", str(runtime.settings.data_dir), "--no-charts",
                                      "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def same_files(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir()) and "sla_events.csv" in names
    _same, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    return not mismatch and not errors


def test_every_scope_from_the_store_is_the_report_read_from_the_log(history: EmbeddedRuntime, tmp_path: Path) -> None:
    for n, scope in enumerate(SCOPES):
        stored = report(history, tmp_path / f"store{n}", *scope)
        logged = report(history, tmp_path / f"log{n}", *scope, "--from-log")
        assert "from the reporting store" in stored[-1], stored[-1]
        assert logged[-1].endswith("read from the log (--from-log)")
        assert stored[:-1] == logged[:-1]  # the key figures printed
        assert same_files(tmp_path / f"store{n}", tmp_path / f"log{n}"), scope
    assert (history.settings.data_dir / "reporting.sqlite").stat().st_mode & 0o077 == 0  # case data: 0600


def test_a_report_dated_before_what_the_store_holds_reads_the_log_and_says_so(history: EmbeddedRuntime,
                                                                             tmp_path: Path) -> None:
    report(history, tmp_path / "now", "--as-of", AS_OF)
    earlier = report(history, tmp_path / "earlier", "--as-of", "2019-06-30")
    assert "read from the log, not the reporting store: the report date is before the latest event" in earlier[-1]
    report(history, tmp_path / "log", "--as-of", "2019-06-30", "--from-log")
    assert same_files(tmp_path / "earlier", tmp_path / "log")
    what_if = tmp_path / "stall-45.toml"
    what_if.write_text(Path(policy_file.default_policy_path()).read_text()
                       .replace('version = "2024.1"', 'version = "stall-45"'))
    other = report(history, tmp_path / "whatif", "--as-of", AS_OF, "--policy", str(what_if))
    assert other[-1].endswith("read from the log: the what-if (--policy) replays the other policy over every case "
                              "event")


def test_the_store_folds_only_what_arrived_since_its_last_report(tmp_path: Path) -> None:
    runtime = installation(tmp_path, replace(SMALL, seed=21))
    first = report(runtime, tmp_path / "first", "--as-of", AS_OF)
    assert first[-1].endswith(f"from the reporting store (built from the log, up to log offset "
                              f"{runtime.log.end_offset():,})")
    again = report(runtime, tmp_path / "again", "--as-of", AS_OF)
    assert "(0 new records folded," in again[-1]
    # Time passes: the monitor fires the deadlines of the weeks after (breaches, escalations, reminders).
    before = runtime.log.end_offset()
    runtime.run_until_idle(datetime(2020, 8, 31, tzinfo=UTC))
    arrived = runtime.log.end_offset() - before
    assert arrived > 0
    later = report(runtime, tmp_path / "later", "--as-of", "2020-08-31")
    assert f"({arrived:,} new records folded, up to log offset {runtime.log.end_offset():,})" in later[-1]
    report(runtime, tmp_path / "later-log", "--as-of", "2020-08-31", "--from-log")
    assert same_files(tmp_path / "later", tmp_path / "later-log")
    assert not same_files(tmp_path / "first", tmp_path / "later")  # the new SLA events are in it


def test_the_store_is_kept_current_by_its_own_command(tmp_path: Path) -> None:
    runtime = installation(tmp_path, replace(SMALL, seed=22))
    result = CliRunner().invoke(cli, ["report-store", "--data-dir", str(runtime.settings.data_dir)])
    assert result.exit_code == 0, result.output
    assert f"up to log offset {runtime.log.end_offset():,}" in result.output
    assert "built from the log" in result.output
    assert "(0 new records folded," in report(runtime, tmp_path / "r", "--as-of", date(2020, 7, 1).isoformat())[-1]


def test_a_report_reads_only_the_rows_its_catch_up_covered_while_another_catches_up(tmp_path: Path) -> None:
    runtime = installation(tmp_path, replace(SMALL, seed=23))
    policy = policy_file.load(runtime.settings.policy_path)
    data, scope = runtime.settings.data_dir, Scope(as_of=end_of(date(2020, 8, 31)))
    mine = ReportingStore.of_data_dir(data)
    mine.catch_up(runtime.log, policy)
    rows = mine.db.execute("SELECT count(*) FROM crossing").fetchone()[0]
    runtime.run_until_idle(datetime(2020, 8, 31, tzinfo=UTC))  # more SLA events, folded by another process first
    other = ReportingStore.of_data_dir(data)
    assert other.catch_up(runtime.log, policy).records > 0
    newer, _ = other.digest(scope)
    older, why = mine.digest(scope)
    assert why == "" and older is not None and newer is not None
    assert len(older.sla_events) == rows < len(newer.sla_events)  # its own offset's rows, none of the later ones
    mine.close()
    other.close()


def test_the_store_counts_its_sla_events_by_walking_indexes_not_sorting_every_row(tmp_path: Path) -> None:
    store = ReportingStore(tmp_path / "reporting.sqlite")
    asked: list[str] = []
    store.db.set_trace_callback(asked.append)
    kept = store.crossings.of(None)
    kept.counts()
    list(kept.by_case())
    store.db.set_trace_callback(None)
    grouped = [sql for sql in asked if "GROUP BY" in sql]
    assert len(grouped) == 2
    for sql in grouped:  # by case and level (the performance tables), by clock and level (the key figures)
        plan = " | ".join(str(row[-1]) for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "COVERING INDEX crossing_by_" in plan and "TEMP B-TREE" not in plan, plan
    store.close()


def test_the_store_lists_its_sla_events_by_walking_one_index_that_holds_their_lines(tmp_path: Path) -> None:
    store = ReportingStore(tmp_path / "reporting.sqlite")
    asked: list[str] = []
    store.db.set_trace_callback(asked.append)
    store.crossings.upto = 1_000  # as a report reads: the rows its state covers
    list(store.crossings.of(None).listed_lines())  # the report of every office (a cohort's may find its cases first)
    store.db.set_trace_callback(None)
    (sql,) = [sql for sql in asked if "ORDER BY" in sql]
    plan = " | ".join(str(row[-1]) for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}"))
    # No sort of 17 million rows, and no lookup of the table for each.
    assert "COVERING INDEX crossing_listed" in plan and "TEMP B-TREE" not in plan, plan
    store.close()


def test_a_store_kept_by_an_earlier_version_is_rebuilt_from_the_log(tmp_path: Path) -> None:
    runtime = installation(tmp_path, replace(SMALL, seed=24))
    report(runtime, tmp_path / "first", "--as-of", AS_OF)
    # The SLA events' rows as the version before kept them (their cells, not their lines), under its key.
    old = ReportingStore.of_data_dir(runtime.settings.data_dir).db
    old.executescript("""
        DROP TABLE crossing;
        CREATE TABLE crossing (seq INTEGER PRIMARY KEY, at_us INTEGER NOT NULL, case_id TEXT NOT NULL,
            month TEXT NOT NULL, clock_rank INTEGER NOT NULL, level_rank INTEGER NOT NULL, at_text TEXT NOT NULL,
            reference TEXT NOT NULL, office TEXT NOT NULL, clock TEXT NOT NULL, level TEXT NOT NULL,
            period INTEGER NOT NULL, to_text TEXT NOT NULL, reason_text TEXT NOT NULL, policy_version TEXT NOT NULL);
        CREATE INDEX crossing_listed ON crossing (at_us, reference, clock_rank, level_rank, period, seq);
        UPDATE store_meta SET value = 'the key of format 3' WHERE key = 'key';
    """)
    old.close()
    rebuilt = report(runtime, tmp_path / "rebuilt", "--as-of", AS_OF)
    assert "built from the log" in rebuilt[-1]
    report(runtime, tmp_path / "log", "--as-of", AS_OF, "--from-log")
    assert same_files(tmp_path / "rebuilt", tmp_path / "log")


def test_a_report_whose_second_process_fails_says_so_instead_of_writing_tables(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = installation(tmp_path, replace(SMALL, seed=25))

    def fails(*_: object) -> None:
        raise MemoryError("no memory left for the performance tables")

    monkeypatch.setattr("services.reporting.domain.compliance.performance_tables", fails)  # in the forked process
    result = CliRunner().invoke(cli, ["report", "--data-dir", str(runtime.settings.data_dir), "--no-charts",
                                      "--out", str(tmp_path / "r"), "--as-of", AS_OF])
    assert result.exit_code == 1
    assert "the process making the performance tables ended without them (exit code 1)" in result.output
    assert not (tmp_path / "r" / "performance_by_office.csv").exists()
