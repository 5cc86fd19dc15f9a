"""The embedded databases' write-ahead logs: checkpointed as they grow, and cut back, so the disk use is bounded."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, insert, select

from services.messaging.sqlite import WAL_PAGES, sqlite_engine

metadata = MetaData()
blobs = Table("blobs", metadata, Column("id", Integer, primary_key=True), Column("data", LargeBinary))
LIMIT = WAL_PAGES * 4096


def test_a_long_run_of_writes_keeps_the_wal_near_its_limit_and_loses_nothing(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path / "service.sqlite")
    metadata.create_all(engine)
    wal = tmp_path / "service.sqlite-wal"
    largest = 0
    for _ in range(48):  # three times the limit, 4 MiB a transaction
        with engine.begin() as conn:
            conn.execute(insert(blobs), [{"data": os.urandom(1024 * 1024)} for _ in range(4)])
        largest = max(largest, wal.stat().st_size)
    # A checkpoint runs at the first commit past the limit, so the file ends at most one transaction beyond it.
    assert LIMIT <= largest <= LIMIT + 6 * 1024 * 1024
    with engine.connect() as conn:
        assert len(conn.execute(select(blobs.c.id)).all()) == 192
    engine.dispose()


def test_after_one_transaction_larger_than_the_limit_the_wal_is_cut_back(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path / "service.sqlite")
    metadata.create_all(engine)
    wal = tmp_path / "service.sqlite-wal"
    with engine.begin() as conn:  # a history import's large batch, say
        conn.execute(insert(blobs), [{"data": os.urandom(1024 * 1024)} for _ in range(80)])
    assert wal.stat().st_size > LIMIT
    for _ in range(3):  # the checkpoint after it, then writing from the start of the file again
        with engine.begin() as conn:
            conn.execute(insert(blobs), [{"data": b"small"}])
    assert wal.stat().st_size <= LIMIT
    engine.dispose()
