"""The counts of cases by office and stage (migration c8e4f2a6b1d3): made from the rows there are when the database is
upgraded, then kept by triggers whoever writes the rows, and the totals the lists show, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, delete, func, select

from services.casework.adapters import case_lists, summary_check
from services.casework.adapters.tables import case_counts, case_summaries
from services.messaging import migrate as migrations
from tests.integration.test_casework_alert_consolidation import to
from tests.integration.test_read_model_agrees import LIFE, T0, Run


def test_cases_there_before_the_upgrade_are_counted_then_each_change_kept(engines: tuple[Engine, str | None]) -> None:
    engine, schema = engines
    translated = engine.execution_options(schema_translate_map={None: schema}) if schema else engine
    Run(translated, schema).play(LIFE)  # two cases through their lives, at head
    config = migrations._config("services.casework", schema)
    with engine.begin() as conn:  # back to the head before the counts: their table and triggers gone
        config.attributes["connection"] = conn
        command.downgrade(config, "d7c3a9e5f1b2")
    to(engine, "c8e4f2a6b1d3", schema)
    with translated.begin() as conn:
        assert summary_check.count_differences(conn) == []
        assert conn.scalar(select(func.sum(case_counts.c.cases))) == 2
        office, stage = conn.execute(select(case_summaries.c.office, case_summaries.c.stage).limit(1)).one()
        mine = case_lists.Filters(office=office)
        assert case_lists.total(conn, mine, T0) == conn.scalar(
            select(func.count()).select_from(case_summaries).where(case_summaries.c.office == office))
        conn.execute(delete(case_summaries).where(case_summaries.c.office == office, case_summaries.c.stage == stage))
        assert summary_check.count_differences(conn) == []  # a row deleted in SQL: its count follows
        assert case_lists.total(conn, case_lists.Filters(office=office, stage=stage), T0) == 0
