"""No statement the embedded pipeline runs per batch reads a whole table that grows with the history.

A scan of such a table makes every batch slower than the one before: intake's read-ahead once scanned all accepted
incidents for each chunk of places (22 ms a chunk at 100,000 of them), which no functional test could notice.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from services.casework.adapters import repository as repo
from services.casework.domain.roles import User
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.sealing import sitrep_outgoing
from sitreps.files import read_sitrep
from tests.integration.test_batch_mode import EXAMPLES, tricky_sitrep, work_on_cases

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# Read whole by design: the outbox is emptied as it is relayed (its scan stops at LIMIT), users are few.
SMALL = {"outbox", "users", "log_offsets"}


def plans_of_a_pipeline_run(tmp_path: Path) -> dict[str, list[str]]:
    plans: dict[str, list[str]] = {}

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if many or "sqlite_master" in statement or not statement.lstrip().upper().startswith(
                ("SELECT", "UPDATE", "DELETE")):
            return
        shape = re.sub(r"\?(, \?)*", "?", statement)
        if shape not in plans:
            rows = cursor.connection.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
            plans[shape] = [row[-1] for row in rows]

    runtime = EmbeddedRuntime(Settings(data_dir=tmp_path / "data", batch_size=50))  # its migrations run once, here
    event.listen(Engine, "before_cursor_execute", explain)
    try:
        reports = [*sorted(EXAMPLES.glob("*.jsonl")), *sorted(EXAMPLES.glob("*.csv"))]
        for path in [tricky_sitrep(tmp_path / "tricky.jsonl"), *reports]:
            runtime.submit(map(sitrep_outgoing, read_sitrep(path)))
        runtime.run_until_idle(NOW)
        runtime.casework.write(lambda conn: repo.save_user(conn, User("mopti.tl", "team_leader", "Mopti")))
        work_on_cases(runtime)
        runtime.run_until_idle(NOW + timedelta(days=40))
    finally:
        event.remove(Engine, "before_cursor_execute", explain)
    return plans


def test_the_pipeline_reads_its_growing_tables_by_index_only(tmp_path: Path) -> None:
    plans = plans_of_a_pipeline_run(tmp_path)
    assert len(plans) > 20  # intake, casework, sla_monitor and the log were all seen
    scans = {shape: steps for shape, steps in plans.items()
             # A virtual table (the search index's FTS5, ADR 21) is read by its own index when its plan names a
             # constraint (":=" a rowid, "M" a MATCH); "INDEX 0:" alone reads it whole.
             for step in steps if not re.search(r" VIRTUAL TABLE INDEX \d+:\S", step)
             and (m := re.match(r"SCAN (\w+)(?! USING (COVERING )?INDEX)", step))
             and m.group(1) not in SMALL and "CONSTANT ROW" not in step}
    assert scans == {}
