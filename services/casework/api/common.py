"""Helpers every API view shares: a case looked up and scoped to the caller, documented errors."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from flask import g
from flask_smorest import Blueprint
from sqlalchemy import Connection

from services.casework.adapters import access_requests
from services.casework.adapters import repository as repo
from services.casework.api.errors import forbidden, not_found
from services.casework.api.request import now, user
from services.casework.auth.policy import may_read_case
from services.casework.domain.case import Case
from services.logs import bind
from services.messaging.ports import Outgoing

F = TypeVar("F", bound=Callable[..., Any])
NAMES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT"}


def readable_case(conn: Connection, ref: str) -> Case:
    """The case by id or reference, if this caller may read it: 404 if there is none, 403 if out of scope."""
    case = repo.get_case(conn, ref)
    if case is None:
        raise not_found(f"no case {ref!r}")
    g.case = case
    bind(case_reference=case.reference)  # for this request's logs; the request's end unbinds it
    if not may_read_case(user(), case) and not may_read_case(user(), case, access_requests.granted(
            conn, user().username, case.case_id, now())):
        raise forbidden(f"case {case.reference} belongs to {case.office}, outside your office ({user().office})")
    return case


def documented(blp: Blueprint, *statuses: int) -> Callable[[F], F]:
    """Declare the error answers an operation gives (401 always), each with the ErrorSchema body."""

    def decorate(func: F) -> F:
        for status in sorted({401, *statuses}, reverse=True):
            func = blp.alt_response(status, response=NAMES[status])(func)
        return func

    return decorate


def emitted(out: Sequence[Outgoing]) -> list[dict[str, Any]]:
    """The events a command emitted, as its answer lists them."""
    envelopes = [json.loads(o.value) for o in out]
    return [{"event_id": e["event_id"], "type": e["type"], "occurred_at": datetime.fromisoformat(e["occurred_at"])}
            for e in envelopes]


def offset(args: dict[str, Any]) -> tuple[int, int, int]:
    page, size = args["page"], args["page_size"]
    return page, size, (page - 1) * size
