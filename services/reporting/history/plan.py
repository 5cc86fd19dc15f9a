"""Check a whole history before anything is imported: rows, users, and every action against the workflow."""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import attrgetter
from typing import Any

from schemas.errors import SchemaError
from services.casework import legacy
from services.casework.domain import commands as c
from services.casework.domain.case import Case, apply
from services.casework.domain.errors import CommandRefused
from services.casework.domain.reference import case_id_for
from services.casework.domain.roles import User
from services.casework.domain.workflow import decide
from services.messaging.ports import Outgoing
from services.reporting.history.rows import RowError
from services.reporting.history.staging import StagedAction, Staging, from_micros
from sitreps.key import key_of
from sitreps.validation import validate


@dataclass(frozen=True)
class Incident:
    line: int
    key: str
    record: Outgoing  # the raw sitrep record, exactly as `hrcase sitrep load` would append it
    reported_at: datetime
    office: str
    assignee: str | None


@dataclass(frozen=True)
class Action:
    line: int
    at: datetime
    key: str
    command: c.Command


MAX_ERRORS = 1000  # errors listed; the rest are counted (a wrong file of a million rows must not fill memory)
PAGE = 2000  # records or rows checked together


class Errors:
    """Every error counted; the first MAX_ERRORS in file order (incidents file first, then by line) kept."""

    def __init__(self, incidents_file: str, keep: int = MAX_ERRORS):
        self.incidents_file = incidents_file
        self.keep = keep
        self.total = 0
        self._heap: list[tuple[tuple[int, int, int], RowError]] = []  # the kept ones, largest first (negated)

    def add(self, error: RowError) -> None:
        self.total += 1
        # Found in file order or not, the kept errors are the first ones; ties keep the order they were found in.
        rank = (-int(error.file != self.incidents_file), -error.line, -self.total)
        if len(self._heap) < self.keep:
            heapq.heappush(self._heap, (rank, error))
        elif rank > self._heap[0][0]:
            heapq.heapreplace(self._heap, (rank, error))

    def listed(self) -> list[RowError]:
        return [error for _, error in sorted(self._heap, reverse=True)]


@dataclass
class Plan:
    users: list[User] = field(default_factory=list)  # to create
    incidents: int = 0
    actions: int = 0
    until: datetime | None = None
    actions_file: str = ""  # the name a historical closure gives as its source
    staging: Staging | None = field(default=None, repr=False)  # the checked history, to replay in time order


@dataclass(frozen=True)
class Context:
    """What the installation already holds, and its settings."""

    offices: tuple[str, ...]
    users: Mapping[str, User]
    existing_keys: Collection[str]
    now: datetime  # the wall clock: history cannot be imported into the future
    installed: Callable[[Sequence[str]], Collection[str]] | None = None  # which of these keys it has (else above)

    def already_here(self, keys: Sequence[str]) -> Collection[str]:
        if self.installed is not None:
            return self.installed(keys) if keys else set()
        return {k for k in keys if k in self.existing_keys}


def check(records: Iterable[Outgoing | RowError], rows: Iterable[tuple[int, dict[str, Any]] | RowError],
          incidents_file: str, actions_file: str, ctx: Context, until: datetime | None = None,
          staging: Staging | None = None, errors: Errors | None = None) -> tuple[Plan, list[RowError]]:
    """The plan of an import, staged, and every error in it; an import runs only when there are none.

    Records and rows are read as they come, a page at a time: only the users and a page are held in memory. The
    errors listed are the first MAX_ERRORS (in file order); `errors`, if given, counts them all.
    """
    errors = errors or Errors(incidents_file)
    checker = _Checker(staging or Staging(), incidents_file, actions_file, ctx, until, errors)
    for page in _paged(records):
        checker.incidents(page)
    for page in _paged(rows):
        checker.actions(page)
    return checker.finish(), errors.listed()


def _paged(items: Iterable[Any]) -> Iterator[list[Any]]:
    page: list[Any] = []
    for item in items:
        page.append(item)
        if len(page) >= PAGE:
            yield page
            page = []
    if page:
        yield page


class _Checker:
    """The passes of a check: incidents, then action rows (both staged), then users, then the dry run."""

    def __init__(self, staging: Staging, incidents_file: str, actions_file: str, ctx: Context,
                 until: datetime | None, errors: Errors):
        self.staging, self.ctx, self.until, self.errors = staging, ctx, until, errors
        self.incidents_file, self.actions_file = incidents_file, actions_file
        self.horizon = until or ctx.now
        self.latest: datetime | None = None  # of the incidents
        self.last: datetime | None = None  # of the rows
        # Users as the rows describe them (first row of each), then assignees nobody describes: from `assign`
        # rows, then from incidents (name: office and line of the first that names them).
        self.actors: dict[str, tuple[User, int]] = {}
        self.assigned: dict[str, tuple[str, int]] = {}
        self.named: dict[str, str] = {}

    def incidents(self, page: list[Outgoing | RowError]) -> None:
        loaded_page = []
        for record in page:
            if isinstance(record, RowError):
                self.errors.add(record)
                continue
            line = int(record.headers.get("line", 0))
            try:
                loaded = validate(json.loads(record.value), self.horizon, self.ctx.offices)
            except (SchemaError, json.JSONDecodeError) as exc:
                self.errors.add(RowError(self.incidents_file, line, str(exc)))
                continue
            loaded_page.append((line, key_of(loaded), loaded, record))
        keys = list(dict.fromkeys(key for _, key, _, _ in loaded_page))
        seen = self.staging.lines_of(keys)
        here = self.ctx.already_here([k for k in keys if k not in seen])
        staged: list[tuple[str, int, datetime, str, str | None, Outgoing]] = []
        for line, key, loaded, record in loaded_page:
            if key in seen:
                self.errors.add(RowError(self.incidents_file, line,
                                         f"incident {key} already given at line {seen[key]}"))
                continue
            seen[key] = line
            if key in here:
                self.errors.add(RowError(self.incidents_file, line, f"incident {key} is already in this installation"))
                self.staging.add_seen(key, line)
                continue
            reported_at, office, assignee = loaded["reported_at"], loaded["office"], loaded.get("assignee")
            staged.append((key, line, reported_at, office, assignee, record))
            self.latest = reported_at if self.latest is None else max(self.latest, reported_at)
            if assignee:
                self.named.setdefault(assignee, office)
        self.staging.add_incidents(staged)

    def actions(self, page: list[tuple[int, dict[str, Any]] | RowError]) -> None:
        rows: list[tuple[int, dict[str, Any]]] = []
        for item in page:
            if isinstance(item, RowError):
                self.errors.add(item)
            else:
                rows.append(item)
        keys = [key_of(row) for _, row in rows]
        office_of = self.staging.offices_of(keys)
        for (line, row), key in zip(rows, keys, strict=True):
            self.last = row["at"] if self.last is None else max(self.last, row["at"])
            office = row["actor_office"] or (self.ctx.offices[0] if row["actor_role"] == "director"
                                             else office_of.get(key))
            if office is not None:  # else the unknown incident is reported by the dry run
                name, role, first = row["actor"], row["actor_role"], self.actors.get(row["actor"])
                if first is None:
                    self.actors[name] = (User(name, role, office), line)
                elif (first[0].role, first[0].office) != (role, office):
                    self.errors.add(RowError(self.actions_file, line, (
                        f"{name} is {role} of {office} here but "
                        f"{first[0].role} of {first[0].office} at line {first[1]}")))
            if row["action"] == "assign" and row["assignee"] and key in office_of:
                self.assigned.setdefault(row["assignee"], (office_of[key], line))
        self.staging.add_actions(rows, keys)

    def finish(self) -> Plan:
        file = self.actions_file
        plan = Plan(incidents=self.staging.incidents, actions=self.staging.actions, actions_file=file)
        latest = max([t for t in (self.latest, self.last) if t is not None], default=None)
        plan.until = self.until or latest
        if self.until is not None and latest is not None and latest > self.until:
            self.errors.add(RowError(file, 0, f"rows run to {latest.isoformat()}, after --until "
                                              f"{self.until.isoformat()}"))
        if plan.until is not None and plan.until > self.ctx.now:
            self.errors.add(RowError(file, 0, f"history cannot run into the future ({plan.until.isoformat()})"))
        users = self._users()
        plan.users = [u for name, u in users.items() if name not in self.ctx.users]
        self.staging.index()
        self._dry_run(users)
        self.staging.checked()
        plan.staging = self.staging
        return plan

    def _users(self) -> dict[str, User]:
        """Every actor with the role and office the file gives; an assignee nobody describes is an HRO of the
        case's office. A director's office defaults to the first configured office (headquarters), anyone else's
        to the case's."""
        declared = dict(self.actors)
        for name, (office, line) in self.assigned.items():
            declared.setdefault(name, (User(name, "hro", office), line))
        for name, office in self.named.items():
            declared.setdefault(name, (User(name, "hro", office), 0))
        ctx, file = self.ctx, self.actions_file
        users = dict(ctx.users)
        for name, (user, line) in declared.items():
            have = ctx.users.get(name)
            if have is not None and (have.role, have.office) != (user.role, user.office):
                self.errors.add(RowError(file, line, f"user {name} exists here as {have.role} of {have.office}, "
                                                     f"not {user.role} of {user.office}"))
            elif user.office not in ctx.offices:
                self.errors.add(RowError(file, line, f"unknown office {user.office!r} for {name}; configured: "
                                                     f"{', '.join(ctx.offices)}"))
            users.setdefault(name, user)
        return users

    def _dry_run(self, users: Mapping[str, User]) -> None:
        """Every action through the workflow's own rules on cases as casework would register them. Once the users
        are known the cases are independent: they are checked one after another, each by its rows in time order,
        so only one is held and nothing is written back (Errors lists them in file order whatever order they are
        found in)."""
        for key, actions in groupby(self.staging.actions_by_case(), attrgetter("key")):
            self._dry_run_case(key, actions, users)

    def _dry_run_case(self, key: str, actions: Iterable[StagedAction], users: Mapping[str, User]) -> None:
        file = self.actions_file
        case: Case | None = None
        broken = False  # a refused action stops the case's checking; its later rows' dates are still checked
        for a in actions:
            row = a.row
            if a.reported is None or a.office is None:
                self.errors.add(RowError(file, a.line, f"no incident {key} in the incidents file"))
                continue
            if a.at < a.reported:
                self.errors.add(RowError(file, a.line, (
                    f"{row['action']} at {row['at'].isoformat()} is before the incident was reported "
                    f"({from_micros(a.reported).isoformat()})")))
                continue
            if broken:
                continue
            if case is None:
                case = _registered(key, a.office, from_micros(a.reported), a.assignee, users)
            command = command_for(row, case.case_id, file)
            try:
                actor = users[row["actor"]]
                if isinstance(command, legacy.RecordHistoricalClosure):
                    events = legacy.decide(case, command, actor, row["at"])
                else:
                    events = decide(case, command, actor, row["at"], users.get(row.get("assignee") or ""))
            except CommandRefused as exc:
                self.errors.add(RowError(file, a.line, f"{row['action']} refused: {exc} (later rows of {key} "
                                                       "not checked)"))
                broken = True
                continue
            for event in events:
                case = apply(case, event)


def _registered(key: str, office: str, reported_at: datetime, assignee: str | None,
                users: Mapping[str, User]) -> Case:
    """The case as casework's registration makes it: the sitrep's assignee kept only if an HRO of the office."""
    user = users.get(assignee or "")
    keep = user is not None and user.active and user.role == "hro" and user.office == office
    return Case(case_id=case_id_for(key), reference=key, incident_key=key, office=office, stage="reported",
                reported_at=reported_at, registered_at=reported_at, assignee=user.username if keep and user else None,
                version=1)


def command_for(row: dict[str, Any], case_id: str, file: str) -> c.Command:
    base = {"case_id": case_id, "actor": row["actor"]}
    note = row.get("note") or ""
    match row["action"]:
        case "assign":
            return c.AssignCase(**base, assignee=row["assignee"])
        case "record":
            return c.RecordCase(**base, note=note)
        case "activity":
            return c.LogActivity(**base, description=note)
        case "advance":
            return c.AdvanceStage(**base, stage=row["stage"], note=note)
        case "delay":
            return c.JustifyDelay(**base, reason=row["reason"], until=row["until"], note=note)
        case "review":
            return c.ReviewCase(**base, note=note)
        case "request_closure":
            return c.RequestClosure(**base, reason=row["reason"], note=note)
        case "approve_closure":
            return c.ApproveClosure(**base, note=note)
        case "reject_closure":
            return c.RejectClosure(**base, note=note)
        case "close_without_approval":
            return legacy.RecordHistoricalClosure(**base, reason=row["reason"], note=note, source=file)
        case "follow_up":
            return c.RecordFollowUp(**base, kind=row["kind"], note=note)
        case _:
            return c.ReopenCase(**base, reason=note)
