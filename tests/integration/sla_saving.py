"""A check both databases run: clocks changed in different fields, saved in one call, read back as saved."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from services.sla_monitor.adapters import repository
from services.sla_monitor.domain.clocks import Clock

T0 = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)


def saved_and_loaded_again(engine: Engine) -> None:
    """Clocks changed in different fields, saved in one call, read back exactly as saved."""
    start = Clock(case_id="c-1", name="stall", reference="MOP-2024-0001", office="Mopti", stage="preliminary",
                  assignee=None, started_at=T0, episode=T0.isoformat(), policy_version="1", next_due=T0)
    before = [start, replace(start, case_id="c-2"), replace(start, name="review"), replace(start, case_id="c-4")]
    after = [replace(before[0], pause_shift=timedelta(days=2, microseconds=7), paused_until=T0 + timedelta(days=2)),
             replace(before[1], warned=True, last_due=T0, next_due=T0 + timedelta(days=1), policy_version="2"),
             replace(before[2], assignee="hro1", stage="investigation", running=False, next_due=None),
             before[3]]
    with engine.begin() as conn:
        repository.save(conn, [(None, clock) for clock in before])
    with engine.begin() as conn:
        repository.save(conn, list(zip(before, after, strict=True)))
    with engine.connect() as conn:
        loaded = [repository.load_case(conn, c.case_id)[c.name] for c in after]
    assert loaded == after
