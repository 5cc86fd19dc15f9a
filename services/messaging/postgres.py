"""PostgreSQL engines for the Kafka runtime: a small pool, and planner costs for a working set held in memory."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, make_url

# The services read in batches by key: a batch's 2,000 inbox ids, incident keys, days and places, or case ids. At
# PostgreSQL's default random_page_cost (4, a disk's seek) the planner costs 2,000 index probes above one scan of a
# 100,000-row table, and scans: 42 ms a batch for intake's read-ahead against 4.5 ms by the indexes, the table's
# pages being in memory either way; so every batch cost more as the tables grew, until about 300,000 rows. 1.1 is
# PostgreSQL's own suggestion for data in cache or on SSD. A database URL with its own `options` keeps them instead.
PLANNER_OPTIONS = "-c random_page_cost=1.1"


def postgres_engine(url: str) -> Engine:
    connect_args = {} if "options" in make_url(url).query else {"options": PLANNER_OPTIONS}
    return create_engine(url, pool_pre_ping=True, pool_size=5, connect_args=connect_args)
