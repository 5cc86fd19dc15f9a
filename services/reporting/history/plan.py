"""Check a whole history before anything is imported: rows, users, and every action against the workflow."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schemas.errors import SchemaError
from services.casework import legacy
from services.casework.domain import commands as c
from services.casework.domain.case import Case, apply
from services.casework.domain.errors import CommandRefused
from services.casework.domain.reference import case_id_for
from services.casework.domain.roles import User
from services.casework.domain.workflow import decide
from services.intake.domain.incident import validate
from services.messaging.ports import Outgoing
from services.reporting.history.rows import RowError, incident_key


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


@dataclass
class Plan:
    users: list[User] = field(default_factory=list)  # to create
    incidents: list[Incident] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)  # in time order
    until: datetime | None = None


@dataclass(frozen=True)
class Context:
    """What the installation already holds, and its settings."""

    offices: tuple[str, ...]
    users: Mapping[str, User]
    existing_keys: Collection[str]
    now: datetime  # the wall clock: history cannot be imported into the future


def check(records: Sequence[Outgoing], rows: Sequence[tuple[int, dict[str, Any]]], incidents_file: str,
          actions_file: str, ctx: Context, until: datetime | None = None) -> tuple[Plan, list[RowError]]:
    """The plan of an import, and every error in it; an import runs only when there are none."""
    plan, errors = Plan(), []
    last = max([*(a["at"] for _, a in rows)], default=None)
    horizon = until or ctx.now
    seen: dict[str, int] = {}
    for record in records:
        line = int(record.headers.get("line", 0))
        try:
            loaded = validate(json.loads(record.value), horizon, ctx.offices)
        except (SchemaError, json.JSONDecodeError) as exc:
            errors.append(RowError(incidents_file, line, str(exc)))
            continue
        key = f"{loaded['sitrep_id']}#{loaded['incident_number']}"
        if key in seen:
            errors.append(RowError(incidents_file, line, f"incident {key} already given at line {seen[key]}"))
            continue
        seen[key] = line
        if key in ctx.existing_keys:
            errors.append(RowError(incidents_file, line, f"incident {key} is already in this installation"))
            continue
        plan.incidents.append(Incident(line, key, record, loaded["reported_at"], loaded["office"],
                                       loaded.get("assignee")))
    latest = max([*(i.reported_at for i in plan.incidents), *([last] if last else [])], default=None)
    plan.until = until or latest
    if until is not None and latest is not None and latest > until:
        errors.append(RowError(actions_file, 0, f"rows run to {latest.isoformat()}, after --until {until.isoformat()}"))
    if plan.until is not None and plan.until > ctx.now:
        errors.append(RowError(actions_file, 0, f"history cannot run into the future ({plan.until.isoformat()})"))
    users, user_errors = _users(plan.incidents, rows, actions_file, ctx)
    errors += user_errors
    plan.users = [u for name, u in users.items() if name not in ctx.users]
    plan.actions, action_errors = _dry_run(plan.incidents, rows, users, actions_file, ctx)
    errors += action_errors
    return plan, sorted(errors, key=lambda e: (e.file != incidents_file, e.line))


def _users(incidents: Sequence[Incident], rows: Sequence[tuple[int, dict[str, Any]]], file: str,
           ctx: Context) -> tuple[dict[str, User], list[RowError]]:
    """Every actor with the role and office the file gives; an assignee nobody describes is an HRO of the case's
    office. A director's office defaults to the first configured office (headquarters), anyone else's to the case's.
    """
    office_of = {i.key: i.office for i in incidents}
    declared: dict[str, tuple[User, int]] = {}
    errors = []
    for line, row in rows:
        office = row["actor_office"] or (ctx.offices[0] if row["actor_role"] == "director"
                                         else office_of.get(incident_key(row)))
        if office is None:
            continue  # the unknown incident is reported by the dry run
        user, first = User(row["actor"], row["actor_role"], office), declared.get(row["actor"])
        if first is None:
            declared[user.username] = (user, line)
        elif (first[0].role, first[0].office) != (user.role, user.office):
            errors.append(RowError(file, line, f"{user.username} is {user.role} of {user.office} here but "
                                               f"{first[0].role} of {first[0].office} at line {first[1]}"))
    assignees = [(row["assignee"], office_of.get(incident_key(row)), line) for line, row in rows
                 if row["action"] == "assign"] + [(i.assignee, i.office, 0) for i in incidents if i.assignee]
    for name, office, line in assignees:
        if name and office and name not in declared:
            declared[name] = (User(name, "hro", office), line)
    users = dict(ctx.users)
    for name, (user, line) in declared.items():
        have = ctx.users.get(name)
        if have is not None and (have.role, have.office) != (user.role, user.office):
            errors.append(RowError(file, line, f"user {name} exists here as {have.role} of {have.office}, not "
                                               f"{user.role} of {user.office}"))
        elif user.office not in ctx.offices:
            errors.append(RowError(file, line, f"unknown office {user.office!r} for {name}; configured: "
                                               f"{', '.join(ctx.offices)}"))
        users.setdefault(name, user)
    return users, errors


def _dry_run(incidents: Sequence[Incident], rows: Sequence[tuple[int, dict[str, Any]]], users: Mapping[str, User],
             file: str, ctx: Context) -> tuple[list[Action], list[RowError]]:
    """Every action through the workflow's own rules, in time order, on cases as casework would register them."""
    cases = {i.key: _registered(i, users) for i in incidents}
    reported = {i.key: i.reported_at for i in incidents}
    actions, errors, broken = [], [], set()
    for line, row in sorted(rows, key=lambda r: (r[1]["at"], r[0])):
        key = incident_key(row)
        if key not in cases:
            errors.append(RowError(file, line, f"no incident {key} in the incidents file"))
            continue
        if row["at"] < reported[key]:
            errors.append(RowError(file, line, f"{row['action']} at {row['at'].isoformat()} is before the incident "
                                               f"was reported ({reported[key].isoformat()})"))
            continue
        if key in broken:
            continue
        command = _command(row, cases[key].case_id, file)
        try:
            actor = users[row["actor"]]
            if isinstance(command, legacy.RecordHistoricalClosure):
                events = legacy.decide(cases[key], command, actor, row["at"])
            else:
                events = decide(cases[key], command, actor, row["at"], users.get(row.get("assignee") or ""))
        except CommandRefused as exc:
            errors.append(RowError(file, line, f"{row['action']} refused: {exc} (later rows of {key} not checked)"))
            broken.add(key)
            continue
        for event in events:
            cases[key] = apply(cases[key], event)
        actions.append(Action(line, row["at"], key, command))
    return actions, errors


def _registered(incident: Incident, users: Mapping[str, User]) -> Case:
    """The case as casework's registration makes it: the sitrep's assignee kept only if an HRO of the office."""
    user = users.get(incident.assignee or "")
    keep = user is not None and user.active and user.role == "hro" and user.office == incident.office
    return Case(case_id=case_id_for(incident.key), reference=incident.key, incident_key=incident.key,
                office=incident.office, stage="reported", reported_at=incident.reported_at,
                registered_at=incident.reported_at, assignee=user.username if keep and user else None, version=1)


def _command(row: dict[str, Any], case_id: str, file: str) -> c.Command:
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
