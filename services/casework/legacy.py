"""Historical facts the live workflow forbids, recorded as such by the history import only (ADR 0006)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from schemas.vocabulary import CLOSURE_REASONS, OPEN_STAGES
from services.casework.adapters.command_batch import CommandBatch
from services.casework.domain.case import Case, Event, apply
from services.casework.domain.commands import Command
from services.casework.domain.errors import CommandRefused
from services.casework.domain.roles import User
from services.casework.handlers import record_events
from services.messaging.ports import Outgoing

CLOSABLE = (*OPEN_STAGES, "closure_requested")


@dataclass(frozen=True)
class RecordHistoricalClosure(Command):
    """An earlier database closed this case without a Director's decision; hrcase records that it did.

    Not one of the workflow's commands: `workflow.decide` refuses it, and neither the CLI nor the API
    offers it. Only `hrcase import` gives it, for rows of a file that say so.
    """

    reason: str
    note: str
    source: str


def decide(case: Case, command: RecordHistoricalClosure, actor: User, now: datetime) -> list[Event]:
    if case.stage not in CLOSABLE:
        raise CommandRefused(f"cannot record a closure of case {case.reference} at stage '{case.stage}' "
                             f"(allowed at: {', '.join(CLOSABLE)})")
    if command.reason not in CLOSURE_REASONS:
        raise CommandRefused(f"closure reason must be one of {', '.join(CLOSURE_REASONS)}")
    payload = {**case.common(actor.username, "closed"), "previous_stage": case.stage, "reason": command.reason,
               "note": command.note.strip(), "source": command.source}
    return [Event("CaseClosedWithoutApproval", payload, now)]


def execute(conn: Connection, command: RecordHistoricalClosure, now: datetime, store: CommandBatch) -> list[Outgoing]:
    """As `handlers.execute`, for this one historical command; refusals change nothing."""
    actor = store.get_user(conn, command.actor)
    if actor is None:
        raise CommandRefused(f"unknown user {command.actor!r}")
    case = store.get_case(conn, command.case_id)
    if case is None:
        raise CommandRefused(f"no case {command.case_id!r}")
    events = decide(case, command, actor, now)
    after = case
    for event in events:
        after = apply(after, event)
    store.update_case(conn, case, after)
    return record_events(conn, events, store)
