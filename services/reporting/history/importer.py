"""Replay a checked history through the embedded runtime, in time order, with the services' own handlers."""

from __future__ import annotations

import heapq
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, func, select

from services.casework.adapters import repository as repo
from services.casework.domain.reference import case_id_for
from services.casework.domain.roles import User
from services.embedded import EmbeddedRuntime
from services.messaging.embedded import EmbeddedLog, records
from services.messaging.ports import Outgoing
from services.reporting.history.plan import Action, Context, Errors, Incident, Plan, check, command_for
from services.reporting.history.rows import RowError, scan_actions
from services.reporting.history.staging import Staging
from services.sealing import sitrep_outgoing
from sitreps.files import scan_sitrep

Progress = Callable[[str], None]
REPORT_REPLAYED = "replayed the situation report of "  # + its report time: told after each
BATCH = 500  # commands per transaction
# Records a service takes (and an outbox relays) at a time while replaying: a week of a large mission's reminders
# in a few transactions rather than hundreds, in a few megabytes.
REPLAY_BATCH = 2000
STRIDE, MIN_STRIDE = timedelta(days=7), timedelta(hours=1)  # how far the SLA monitor is run ahead in one go
TICK_EVENTS = 5000  # about how many SLA events one tick should fire at most (`_Pace`)


class ImportRefused(Exception):
    """The history has errors; nothing was imported. `errors` lists them with file and line: all of them, or the first
    MAX_ERRORS and, last, how many more there are (`total` counts them all)."""

    def __init__(self, errors: list[RowError], total: int | None = None):
        total = len(errors) if total is None else total
        super().__init__(f"{total} error(s); nothing imported")
        self.total = total
        self.errors = errors
        if total > len(errors):
            self.errors = [*errors, RowError(errors[-1].file if errors else "", 0,
                                             f"{total - len(errors):,} more error(s) not listed")]


@dataclass
class ImportSummary:
    incidents: int = 0
    actions: int = 0
    users: int = 0
    until: datetime | None = None
    seconds: float = 0.0
    topics: dict[str, int] = field(default_factory=dict)  # records added to each topic


def settle(runtime: EmbeddedRuntime, now: datetime) -> int:
    """Process everything in the log, then fire what fell due by `now`, until nothing moves; returns SLA events fired.

    Unlike `run_until_idle`, the SLA tick waits until every case event already emitted has reached the monitor:
    a tick between two batches could otherwise judge a clock whose stopping event is still queued.
    """
    fired = 0
    while True:
        while runtime.step(now):
            pass
        ticked = runtime.sla.tick(now)
        if ticked == 0:
            return fired
        fired += ticked


class _Pace:
    """How far the SLA monitor is run ahead in one go. A tick fires everything due before it returns (in transactions
    of a bounded size), and the services take it only afterwards; so months of recurring reminders (after the last
    report), or a week of a very large mission's, are fired in strides of at most a week, short enough that one fires
    about TICK_EVENTS, and the outboxes and the log never hold more than that waiting."""

    def __init__(self) -> None:
        self.stride = STRIDE
        self.clock: datetime | None = None  # where the monitor was last run to

    def settle(self, runtime: EmbeddedRuntime, now: datetime) -> None:
        self.advance(runtime, now)
        self._settle(runtime, now)

    def advance(self, runtime: EmbeddedRuntime, now: datetime) -> None:
        """Run the monitor in strides to just before `now`: before situation reports of `now` are appended, which
        intake must not take at an earlier time (it would refuse them as reported in the future)."""
        while self.clock is not None and self.clock + self.stride < now:
            self._settle(runtime, self.clock + self.stride)

    def _settle(self, runtime: EmbeddedRuntime, now: datetime) -> None:
        fired, span = settle(runtime, now), now - self.clock if self.clock else self.stride
        self.clock = now
        if fired > TICK_EVENTS:
            self.stride = max(MIN_STRIDE, min(self.stride, span) * TICK_EVENTS / fired)
        elif fired < TICK_EVENTS // 4 and span >= self.stride:
            self.stride = min(STRIDE, self.stride * 2)


def context(runtime: EmbeddedRuntime, now: datetime) -> Context:
    def installed(keys: Sequence[str]) -> set[str]:
        def read(conn: Connection) -> set[str]:
            cases = repo.BatchCases()
            cases.prefetch(conn, keys)
            return cases.known

        return runtime.casework.read(read)

    users = {u.username: u for u in runtime.casework.read(repo.list_users)}
    return Context(offices=tuple(runtime.settings.offices), users=users, existing_keys=(), now=now,
                   installed=installed)


def import_files(runtime: EmbeddedRuntime, incidents: Path, actions: Path, now: datetime,
                 until: datetime | None = None, progress: Progress = lambda _: None) -> ImportSummary:
    """Check both files whole; import nothing if anything is wrong (ImportRefused), else replay them.

    Both are read as streams and staged in a scratch file beside the data, so memory does not grow with the history.
    """
    with tempfile.TemporaryDirectory(prefix=".import-", dir=runtime.settings.data_dir) as scratch:
        staging, errors = Staging(Path(scratch) / "history.sqlite"), Errors(incidents.name)
        try:
            with actions.open(encoding="utf-8-sig", newline="") as text:
                plan, listed = check(_sitrep(incidents), scan_actions(text, actions.name), incidents.name,
                                     actions.name, context(runtime, now), until, staging, errors)
            if errors.total:
                raise ImportRefused(listed, errors.total)
            progress(f"checked {plan.incidents:,} incidents and {plan.actions:,} case actions")
            return replay(runtime, plan, progress)
        finally:
            staging.close()


def _sitrep(path: Path) -> Iterator[Outgoing | RowError]:
    """The incidents file's records, read as a situation report is (its people and acts columns too: sitreps'
    csv_people); a row whose people, consent or acts cell breaks its syntax is an error naming its line and column,
    and the rest is read on; a file that cannot be read as a whole ends with that error."""
    bad: list[RowError] = []
    try:
        for record in scan_sitrep(path, lambda line, problem: bad.append(RowError(path.name, line, problem))):
            yield from bad
            bad.clear()
            yield sitrep_outgoing(record)
        yield from bad
    except ValueError as exc:
        yield from bad
        yield RowError(path.name, 0, str(exc))


def replay(runtime: EmbeddedRuntime, plan: Plan, progress: Progress = lambda _: None) -> ImportSummary:
    assert plan.staging is not None and plan.until is not None
    settings = runtime.settings
    runtime.settings = replace(settings, batch_size=max(settings.batch_size, REPLAY_BATCH))
    try:
        return _replay(runtime, plan, progress)
    finally:
        runtime.settings = settings


def _replay(runtime: EmbeddedRuntime, plan: Plan, progress: Progress) -> ImportSummary:
    assert plan.staging is not None and plan.until is not None
    started, before = time.perf_counter(), runtime.log.end_offset()
    runtime.casework.write(partial(save_users, users=plan.users))
    batch: list[Action] = []
    report: list[Outgoing] = []  # the open situation report's records not yet appended
    pace, opened = _Pace(), False
    steps = _steps(plan.staging, plan.actions_file)
    step = next(steps, None)
    while step is not None:
        at, _, _, item = step
        step = next(steps, None)
        if isinstance(item, Action):
            batch.append(item)
            if len(batch) >= BATCH:
                batch = _execute(runtime, batch)
            continue
        batch = _execute(runtime, batch)
        if not opened:  # everything before the report reaches the services first
            pace.advance(runtime, item.reported_at)
            opened = True
        report.append(item.record)
        last = step is None or step[:2] != (at, 0)
        if last or len(report) >= REPLAY_BATCH:
            # Appended a chunk at a time: a large mission's weekly report is not held (or sealed) whole.
            runtime.submit(report)
            report = []
        if last:  # intake takes the report at its time, casework opens its cases, the monitor runs to it
            pace.settle(runtime, item.reported_at)
            opened = False
            progress(REPORT_REPLAYED + item.reported_at.isoformat())
    _execute(runtime, batch)
    pace.settle(runtime, plan.until)
    progress(f"replayed to {plan.until.isoformat()}")
    return ImportSummary(
        incidents=plan.incidents, actions=plan.actions, users=len(plan.users), until=plan.until,
        seconds=time.perf_counter() - started, topics=topic_counts(runtime.log, before),
    )


def _steps(staging: Staging, actions_file: str) -> Iterator[tuple[int, int, int, Incident | Action]]:
    """Situation reports and actions merged in time order (a report before an action at the same time)."""
    incidents = ((at, 0, line, Incident(line, key, record, reported_at, office, assignee))
                 for at, line, key, reported_at, office, assignee, record in staging.incidents_in_order())
    actions = ((a.at, 1, a.line, Action(a.line, a.row["at"], a.key,
                                        command_for(a.row, case_id_for(a.key), actions_file)))
               for page in staging.action_pages() for a in page)
    return heapq.merge(incidents, actions, key=lambda s: s[:3])


def save_users(conn: Connection, users: Sequence[User]) -> None:
    for user in users:
        repo.save_user(conn, user)


def _execute(runtime: EmbeddedRuntime, batch: list[Action]) -> list[Action]:
    """Commands through casework's handlers, each at its own time, in one transaction; returns an empty batch.

    The batch's cases are read in one query and written once at its end (one unit of work): each command still sees
    what the ones before it did. The pipeline catches up at the next situation report: SLA events are dated by their
    deadlines and a case event fires what fell due before it, so what the monitor emits does not depend on when it
    checks.
    """
    if not batch:
        return batch
    with runtime.casework.unit_of_work() as uow:  # one outbox insert for the batch; a refusal rolls it all back
        uow.prefetch([action.command.case_id for action in batch])
        for action in batch:
            uow.execute(action.command, action.at)
    return []


def topic_counts(log: EmbeddedLog, after: int = 0) -> dict[str, int]:
    """Records on each topic past offset `after` (one global sequence): an import counts only what it added, not
    the whole log again."""
    with log.engine.connect() as conn:
        rows = conn.execute(select(records.c.topic, func.count()).where(records.c.offset > after)
                            .group_by(records.c.topic)).all()
    return {topic: int(n) for topic, n in rows}
