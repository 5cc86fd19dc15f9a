"""The counts of cases by office and stage (migration c8e4f2a6b1d3): made from the rows there are when the database is
upgraded, then kept as cases are registered and move, and the totals the lists show, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, func, select

from services.casework.adapters import case_lists, summary_check
from services.casework.adapters.tables import case_counts, case_summaries
from services.messaging import migrate as migrations
from tests.integration.test_casework_alert_consolidation import to
from tests.integration.test_read_model_agrees import LIFE, T0, Run


def test_cases_there_before_the_upgrade_are_counted_then_each_change_kept(engines: tuple[Engine, str | None]) -> None:
    engine, schema = engines
    translated = engine.execution_options(schema_translate_map={None: schema}) if schema else engine
    run = Run(translated, schema)
    run.play(LIFE[:4])  # two cases registered, one assigned
    config = migrations._config("services.casework", schema)
    with engine.begin() as conn:  # back to the head before the counts: their table gone
        config.attributes["connection"] = conn
        command.downgrade(config, "d7c3a9e5f1b2")
    to(engine, "c8e4f2a6b1d3", schema)
    with translated.begin() as conn:
        assert summary_check.count_differences(conn) == []
        assert conn.scalar(select(func.sum(case_counts.c.cases))) == 2
    run.play(LIFE[4:])  # recorded, advanced, closure requested, rejected, asked again, approved, reopened
    with translated.begin() as conn:
        assert summary_check.count_differences(conn) == []
        for office, stage in conn.execute(select(case_summaries.c.office, case_summaries.c.stage)).all():
            for wanted in (case_lists.Filters(office=office), case_lists.Filters(stage=stage),
                           case_lists.Filters(office=office, stage=stage), case_lists.Filters()):
                assert case_lists.total(conn, wanted, T0) == conn.scalar(
                    case_lists._filtered(select(func.count()).select_from(case_summaries), wanted, T0))
