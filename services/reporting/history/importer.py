"""Replay a checked history through the embedded runtime, in time order, with the services' own handlers."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, func, select

from services.casework import handlers, legacy
from services.casework.adapters import repository as repo
from services.casework.domain.roles import User
from services.embedded import EmbeddedRuntime
from services.intake.adapters.sitrep_files import read_sitrep
from services.messaging.embedded import EmbeddedLog, records
from services.reporting.history.plan import Action, Context, Incident, Plan, check
from services.reporting.history.rows import RowError, read_actions

Progress = Callable[[str], None]
BATCH = 500  # commands per transaction


class ImportRefused(Exception):
    """The history has errors; nothing was imported. `errors` lists every one, with file and line."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} error(s); nothing imported")
        self.errors = errors


@dataclass
class ImportSummary:
    incidents: int = 0
    actions: int = 0
    users: int = 0
    until: datetime | None = None
    seconds: float = 0.0
    topics: dict[str, int] = field(default_factory=dict)  # records added to each topic


def settle(runtime: EmbeddedRuntime, now: datetime) -> None:
    """Process everything in the log, then fire what fell due by `now`, until nothing moves.

    Unlike `run_until_idle`, the SLA tick waits until every case event already emitted has reached the monitor:
    a tick between two batches could otherwise judge a clock whose stopping event is still queued.
    """
    while True:
        while runtime.step(now):
            pass
        if runtime.sla.tick(now) == 0:
            return


def context(runtime: EmbeddedRuntime, keys: list[str], now: datetime) -> Context:
    def read(conn: Connection) -> tuple[dict[str, User], set[str]]:
        users = {u.username: u for u in repo.list_users(conn)}
        return users, {k for k in keys if repo.case_exists_for(conn, k)}

    users, existing = runtime.casework.read(read)
    return Context(offices=tuple(runtime.settings.offices), users=users, existing_keys=existing, now=now)


def import_files(runtime: EmbeddedRuntime, incidents: Path, actions: Path, now: datetime,
                 until: datetime | None = None, progress: Progress = lambda _: None) -> ImportSummary:
    """Check both files whole; import nothing if anything is wrong (ImportRefused), else replay them."""
    errors: list[RowError] = []
    try:
        records = read_sitrep(incidents)
    except ValueError as exc:
        records, errors = [], [RowError(incidents.name, 0, str(exc))]
    rows, row_errors = read_actions(actions.read_bytes(), actions.name)
    errors += row_errors
    keys = [r.key for r in records]
    plan, plan_errors = check(records, rows, incidents.name, actions.name, context(runtime, keys, now), until)
    errors += plan_errors
    if errors:
        raise ImportRefused(sorted(errors, key=lambda e: (e.file != incidents.name, e.line)))
    return replay(runtime, plan, progress)


def replay(runtime: EmbeddedRuntime, plan: Plan, progress: Progress = lambda _: None) -> ImportSummary:
    started, before = time.perf_counter(), topic_counts(runtime.log)
    runtime.casework.write(partial(save_users, users=plan.users))
    steps: list[tuple[datetime, int, int, Incident | Action]] = [(i.reported_at, 0, i.line, i) for i in plan.incidents]
    steps += [(a.at, 1, n, a) for n, a in enumerate(plan.actions)]
    steps.sort(key=lambda s: s[:3])
    batch: list[Action] = []
    reports: list[Incident] = []
    for n, (at, kind, _, item) in enumerate(steps):
        if kind == 1:
            batch.append(item)  # type: ignore[arg-type]
            if len(batch) >= BATCH:
                batch = _execute(runtime, batch)
            continue
        batch = _execute(runtime, batch)
        reports.append(item)  # type: ignore[arg-type]
        if n + 1 == len(steps) or steps[n + 1][:2] != (at, 0):
            _report(runtime, reports, at)
            reports = []
    _execute(runtime, batch)
    assert plan.until is not None
    settle(runtime, plan.until)
    after = topic_counts(runtime.log)
    progress(f"replayed to {plan.until.isoformat()}")
    return ImportSummary(
        incidents=len(plan.incidents), actions=len(plan.actions), users=len(plan.users), until=plan.until,
        seconds=time.perf_counter() - started, topics={t: n - before.get(t, 0) for t, n in after.items()},
    )


def save_users(conn: Connection, users: Sequence[User]) -> None:
    for user in users:
        repo.save_user(conn, user)


def _report(runtime: EmbeddedRuntime, incidents: list[Incident], at: datetime) -> None:
    """Situation reports arrive: intake takes them at their report time and casework opens their cases.

    Everything before `at` reaches the services first, and the SLA monitor checks its clocks up to `at`.
    """
    runtime.submit(i.record for i in incidents)
    settle(runtime, at)


def _execute(runtime: EmbeddedRuntime, batch: list[Action]) -> list[Action]:
    """Commands through casework's handlers, each at its own time, in one transaction; returns an empty batch.

    The pipeline catches up at the next situation report: SLA events are dated by their deadlines and a case
    event fires what fell due before it, so what the monitor emits does not depend on when it checks.
    """
    if not batch:
        return batch
    casework = runtime.casework
    with casework.engine.begin() as conn:
        for action in batch:
            if isinstance(action.command, legacy.RecordHistoricalClosure):
                out = legacy.execute(conn, action.command, action.at)
            else:
                out = handlers.execute(conn, action.command, action.at)
            casework.mailboxes.enqueue(conn, out)
    return []


def topic_counts(log: EmbeddedLog) -> dict[str, int]:
    with log.engine.connect() as conn:
        rows = conn.execute(select(records.c.topic, func.count()).group_by(records.c.topic)).all()
    return {topic: int(n) for topic, n in rows}
