"""A service's inbox on both databases: which ids of a batch it has already processed, however large the batch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData

from services.messaging.store import Mailboxes, inbox_table, outbox_table
from tests.integration.backends import BACKENDS, migrated

metadata = MetaData()
mailboxes = Mailboxes(inbox_table(metadata), outbox_table(metadata))


def create(engine: Engine, schema: str | None = None) -> None:
    if schema is not None:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        engine = engine.execution_options(schema_translate_map={None: schema})
    metadata.create_all(engine)


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from migrated(request, tmp_path, create)


def test_the_inbox_names_exactly_the_ids_of_a_batch_it_has_processed(engine: Engine) -> None:
    with engine.begin() as conn:
        mailboxes.mark(conn, [f"e-{n}" for n in range(0, 2400, 2)])
    batch = [f"e-{n}" for n in range(1000, 2200)] + ["never-seen", "e-1000"]  # more than one chunk; a repeat
    with engine.connect() as conn:
        assert mailboxes.seen(conn, batch) == {f"e-{n}" for n in range(1000, 2200, 2)}
        assert mailboxes.seen(conn, ["never-seen"]) == set()
        assert mailboxes.seen(conn, []) == set()
