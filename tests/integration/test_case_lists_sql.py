"""The lists in SQL: the SLA state SQL computes equals the domain's `sla_state` at every instant around a schedule's
warn, pause and due; each list's query reads an index for its filter and order; `hrcase read-model` rebuilds and
checks the rows."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, text, update

from services.casework.adapters import case_lists
from services.casework.adapters.tables import case_counts, case_summaries
from services.casework.domain.schedules import Schedule, sla_state
from services.cli import cli
from services.messaging.sqlite import sqlite_engine
from tests.integration.test_read_model_agrees import LIFE, Run

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as folder:
        made = sqlite_engine(Path(folder) / "casework.sqlite")
        Run(made).play(LIFE)
        yield made
        made.dispose()


hours = st.integers(-100, 100)


@settings(max_examples=150, deadline=None)
@given(due=hours, warn=hours, pause=st.none() | hours, now=hours)
def test_the_sql_sla_state_is_the_domains(engine: Engine, due: int, warn: int, pause: int | None, now: int) -> None:
    at = [T0 + timedelta(hours=h) if h is not None else None for h in (due, warn, pause, now)]
    schedule = Schedule("c", "stall", "e", "running", T0, at[0], at[1], None, at[2], None, None, "default")  # type: ignore[arg-type]
    with engine.begin() as conn:
        case_id = conn.scalar(select(case_summaries.c.case_id).limit(1))
        conn.execute(update(case_summaries).where(case_summaries.c.case_id == case_id).values(
            next_due_at=at[0], next_warn_at=at[1], next_paused_until=at[2]))
        found = conn.scalar(select(case_lists.sla_state_sql(at[3])).where(case_summaries.c.case_id == case_id))
        conn.rollback()
    assert found == sla_state(schedule, at[3])


def test_a_case_without_a_running_clock_reads_none(engine: Engine) -> None:
    with engine.connect() as conn:
        found = conn.execute(select(case_summaries.c.next_due_at, case_lists.sla_state_sql(T0))).all()
    assert {state for due, state in found if due is None} <= {"none"}
    assert all(state != "none" for due, state in found if due is not None)


PLANS = {
    "office": case_lists.Filters(office="Mopti"),
    "office and stage": case_lists.Filters(office="Mopti", stage="investigation"),
    "stage": case_lists.Filters(stage="reported"),
    "assignee": case_lists.Filters(assignee="awa"),
    "overdue": case_lists.Filters(office="Mopti", sla_state="overdue"),
    "everything": case_lists.Filters(),
}


@pytest.mark.parametrize("name", list(PLANS))
def test_each_list_reads_an_index_in_its_order_on_sqlite(engine: Engine, name: str) -> None:
    with engine.connect() as conn:
        query = case_lists.page_query(PLANS[name], T0, 25, 0)
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        plan = [str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
    # The page's references are taken in the index's order (no sort of the matches), then only its rows are
    # fetched by reference: a sort of those 25 rows is all that may follow.
    page = plan[:plan.index("SCAN page")]
    assert any("INDEX ix_case_summaries_" in line for line in page), plan
    assert not any("TEMP B-TREE" in line for line in page), plan
    assert "SEARCH case_summaries USING INDEX sqlite_autoindex_case_summaries_2 (reference=?)" in plan, plan


def test_a_deep_page_reads_the_skipped_rows_in_the_index_only(postgres: tuple[Engine, str]) -> None:
    """PostgreSQL: the rows an OFFSET skips are read in an index-only scan, and only the page's rows in the table
    (an OFFSET over whole rows read each skipped row from the table: 1.5 s for the middle of a million cases)."""
    engine, schema = postgres
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    in_schema = engine.execution_options(schema_translate_map={None: schema})
    Run(in_schema, schema).play(LIFE)
    with in_schema.begin() as conn:
        query = case_lists.page_query(case_lists.Filters(), T0, 1, 1)
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        conn.execute(text(f'SET LOCAL search_path = "{schema}"'))
        conn.execute(text("SET LOCAL enable_seqscan = off"))  # two rows: the planner would otherwise scan them
        plan = "\n".join(r[0] for r in conn.execute(text(f"EXPLAIN {compiled}")))
        found = conn.execute(query).all()
    assert "Index Only Scan using ix_case_summaries_urgency" in plan, plan
    assert "Sort" not in plan, plan
    assert len(found) == 1


def test_the_closure_queue_reads_an_index_in_its_order_on_sqlite(engine: Engine) -> None:
    with engine.connect() as conn:
        query = case_lists.closure_query("Mopti", T0, 25, 0)
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        plan = " ".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "USING INDEX ix_case_summaries_office_stage_requested" in plan and "TEMP B-TREE" not in plan, plan


def test_rebuild_then_check_and_a_wrong_row_named(tmp_path: Path) -> None:
    data = tmp_path / "data"
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade", "--data-dir", str(data)]).exit_code == 0
    made = sqlite_engine(data / "casework.sqlite")
    Run(made).play(LIFE)
    rebuilt = runner.invoke(cli, ["read-model", "rebuild", "--data-dir", str(data)])
    assert (rebuilt.exit_code, rebuilt.output) == (
        0, "rebuilt the read model and the search index of 2 cases; 0 new likely duplicate pairs to review\n")
    checked = runner.invoke(cli, ["read-model", "check", "--data-dir", str(data)])
    assert (checked.exit_code, checked.output) == (
        0, "the read model agrees with all 2 cases, and so do its counts by office and stage\n")
    with made.begin() as conn:
        reference = conn.scalar(select(case_summaries.c.reference).order_by(case_summaries.c.reference).limit(1))
        conn.execute(update(case_summaries).where(case_summaries.c.reference == reference).values(stage="closed"))
    checked = runner.invoke(cli, ["read-model", "check", "--data-dir", str(data)])
    assert checked.exit_code == 1
    assert f"{reference}: stage" in checked.output and "1 cases differ" in checked.output
    assert "2 counts by office and stage" in checked.output  # nor do the counts follow a row changed in SQL
    assert runner.invoke(cli, ["read-model", "rebuild", "--data-dir", str(data)]).exit_code == 0
    assert runner.invoke(cli, ["read-model", "check", "--data-dir", str(data)]).exit_code == 0
    with made.begin() as conn:  # a count off by two
        office, stage, before = conn.execute(select(case_counts).where(case_counts.c.cases > 0).limit(1)).one()
        conn.execute(update(case_counts).where(case_counts.c.office == office, case_counts.c.stage == stage)
                     .values(cases=case_counts.c.cases + 2))
    checked = runner.invoke(cli, ["read-model", "check", "--data-dir", str(data)])
    assert checked.exit_code == 1 and "0 cases differ" in checked.output and "1 counts by office" in checked.output
    assert f"cases of {office} at {stage}: {before + 2} kept, {before} rows" in checked.output
    assert runner.invoke(cli, ["read-model", "rebuild", "--data-dir", str(data)]).exit_code == 0
    assert runner.invoke(cli, ["read-model", "check", "--data-dir", str(data)]).exit_code == 0
    made.dispose()
