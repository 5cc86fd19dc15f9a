"""Intake's migrations build exactly its declared tables, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine

from schemas.topics import INCIDENTS, INTAKE_REJECTED
from services.intake.adapters.tables import metadata
from services.intake.bootstrap import build, migrate
from services.messaging.embedded import EmbeddedLog
from services.messaging.sqlite import sqlite_engine
from services.sealing import sitrep_outgoing
from sitreps.files import read_sitrep

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sitreps"


def differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


def test_the_migrated_sqlite_database_has_exactly_the_declared_tables(tmp_path: Path):
    engine = sqlite_engine(tmp_path / "intake.sqlite")
    migrate(engine)
    migrate(engine)  # a second run finds nothing to do
    assert differences(engine) == []




@pytest.mark.postgres
def test_on_postgresql_the_examples_give_the_same_outcome_as_on_sqlite(postgres: tuple[Engine, str],
                                                                       tmp_path: Path):
    engine, schema = postgres
    migrate(engine, schema)
    # Reflection ignores schema_translate_map, so compare through a connection whose search path is the schema.
    searching = create_engine(engine.url, connect_args={"options": f"-csearch_path={schema}"})
    assert differences(searching) == []
    searching.dispose()
    in_schema = engine.execution_options(schema_translate_map={None: schema})
    intake = build(in_schema)
    log = EmbeddedLog(sqlite_engine(tmp_path / "log.sqlite"))
    subscriber = log.subscriber("intake", intake.processor.topics)
    for _ in range(2):  # the second pass replays every report: nothing new
        for path in sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".jsonl", ".csv")):
            log.publish([sitrep_outgoing(r) for r in read_sitrep(path)])
        while messages := subscriber.poll(7):
            intake.processor.process(messages, datetime(2026, 11, 20, tzinfo=UTC))
            subscriber.commit(messages)
        intake.mailboxes.relay(in_schema, log)
    assert (len(log.read_topic(INCIDENTS)), len(log.read_topic(INTAKE_REJECTED))) == (14, 1)
    assert intake.accepted_by_office() == {"Bamako": 2, "Gao": 4, "Mopti": 5, "Timbuktu": 3}
