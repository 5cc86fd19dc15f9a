"""The overview's figures from aggregate queries on the case read model are those the reports' fold of every case
event gives, office by office, on an imported history (closures with and without approval, follow-ups, stalled cases
with and without a reason) and on the many-unrecorded one, at several dates after the last event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, func, select

from schemas.registry import latest_version, load_payload
from services.casework.adapters import case_figures, read_model
from services.casework.adapters import schedules as schedule_store
from services.casework.adapters.tables import case_history, case_schedules
from services.casework.web import overview
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.messaging.times import utc
from services.reporting.domain.cases import CaseFacts, fold
from services.reporting.domain.compliance import Cohort, key_figures
from services.reporting.domain.events import Event, HeldCrossings
from services.reporting.domain.model import Scope, Targets
from services.reporting.domain.recording import delay_distribution, overdue_days, overdue_unrecorded
from services.reporting.domain.regions import by_region, incident_map
from services.reporting.history.importer import import_files
from tests.integration.unrecorded_world import build

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "history"
SHOWN = ("incidents", "recorded", "unrecorded", "median_delay_days", "p90_delay_days", "within_goal", "goal_passed",
         "within_goal_share", "recorded_late", "not_yet_due", "unscheduled", "overdue_unrecorded",
         "oldest_overdue_days", "median_overdue_days", "preliminary", "investigation", "concluded",
         "closure_requested", "closed", "closed_without_approval", "closed_merged", "closed_with_follow_up",
         "stalled", "stalled_without_reason")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedRuntime:
    runtime = EmbeddedRuntime(Settings(data_dir=tmp_path_factory.mktemp("imported")))
    import_files(runtime, EXAMPLES / "incidents.csv", EXAMPLES / "cases.csv", datetime(2026, 1, 1, tzinfo=UTC),
                 datetime(2024, 6, 30, 23, 59, tzinfo=UTC))
    return runtime


@pytest.fixture(scope="module")
def unrecorded(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedRuntime:
    return build(tmp_path_factory.mktemp("unrecorded") / "data")


def folded(conn: Connection, now: datetime) -> list[CaseFacts]:
    """Every case as the overview used to fold it: its whole history and the monitor's schedules."""
    events = [Event(type_, at, case_id, load_payload(type_, latest_version(type_), payload), seq)
              for seq, type_, at, case_id, payload in read_model.history_of_cases(conn)]
    scheduled = [Event("SlaScheduled", s.stopped_at or s.started_at, s.case_id, s.__dict__)
                 for s in schedule_store.all_schedules(conn)]
    return list(fold(events, now, scheduled).values())


def fold_figures(facts: Sequence[CaseFacts], now: datetime) -> dict[str, Any]:
    return dict(key_figures(Cohort(tuple(facts), HeldCrossings(), 0, ()), Scope(as_of=now), Targets("casework")))


def last_moment(conn: Connection) -> datetime:
    """The last event or schedule casework holds: from then on, the fold and the read model hold the same."""
    times = [conn.scalar(select(func.max(case_history.c.occurred_at))),
             conn.scalar(select(func.max(case_schedules.c.started_at))),
             conn.scalar(select(func.max(case_schedules.c.stopped_at)))]
    return max(utc(t if isinstance(t, datetime) else datetime.fromisoformat(t)) for t in times if t is not None)


def compare(runtime: EmbeddedRuntime, after: timedelta) -> None:
    def check(conn: Connection) -> None:
        now = last_moment(conn) + after
        facts = folded(conn, now)
        assert facts, "a history without cases proves nothing"
        found = overview.office_figures(conn, None, now)
        offices = sorted({c.office for c in facts})
        assert sorted(o for o in found if o != case_figures.TOTAL) == offices
        for office in [*offices, case_figures.TOTAL]:
            mine = [c for c in facts if office == case_figures.TOTAL or c.office == office]
            want, got = fold_figures(mine, now), found[office]
            assert {k: got[k] for k in SHOWN} == {k: want[k] for k in SHOWN}, office
            # A mean is a sum: the database adds in its own order, so the last digits may differ.
            if want["mean_delay_days"] is None:
                assert got["mean_delay_days"] is None, office
            else:
                assert got["mean_delay_days"] == pytest.approx(want["mean_delay_days"], rel=1e-12), office
        assert found[case_figures.TOTAL]["buckets"] == [r[1] for r in delay_distribution(facts).rows]
        longest = overview.overdue_list(conn, None, now)
        assert [(o["reference"], o["days_past"]) for o in longest] == [
            (c.reference, overdue_days(c, now)) for c in overdue_unrecorded(facts, now)][:overview.OVERDUE_SHOWN]
        regions = overview.regions_of(case_figures.by_region(conn, None, now))
        assert regions == by_region(facts, now)
        shown = overview.incident_map(regions, case_figures.placed(conn, None), len(facts))
        assert shown == incident_map(facts, now)

    runtime.casework.read(check)


@pytest.mark.parametrize("after", [timedelta(0), timedelta(days=3), timedelta(days=400)])
def test_the_overview_counts_the_imported_history_as_the_fold_does(imported: EmbeddedRuntime,
                                                                   after: timedelta) -> None:
    compare(imported, after)


@pytest.mark.parametrize("after", [timedelta(0), timedelta(days=2)])
def test_the_overview_counts_the_unrecorded_as_the_fold_does(unrecorded: EmbeddedRuntime, after: timedelta) -> None:
    compare(unrecorded, after)


def test_the_imported_history_holds_what_the_comparison_needs(imported: EmbeddedRuntime) -> None:
    """Else the comparison could pass on zeros: closures both ways, follow-ups, the stalled, recorded delays."""
    def check(conn: Connection) -> dict[str, Any]:
        return overview.office_figures(conn, None, last_moment(conn))[case_figures.TOTAL]

    total = imported.casework.read(check)
    assert total["closed"] > total["closed_without_approval"] > 0
    assert total["closed_with_follow_up"] > 0 and total["stalled"] > 0 and total["recorded"] > 1
