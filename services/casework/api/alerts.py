"""My alerts, and acknowledging one."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import Connection

from services.casework.adapters import delivery, schedules
from services.casework.adapters import repository as repo
from services.casework.adapters.inbox import inbox_page, worklist_page
from services.casework.api import present
from services.casework.api.bodies import Blueprint
from services.casework.api.common import documented, emitted
from services.casework.api.errors import ApiError, forbidden, not_found
from services.casework.api.request import context, now, user
from services.casework.api.schemas import (
    AcknowledgeResultSchema,
    AlertListArgs,
    AlertPageSchema,
    NoteBody,
    WorklistSchema,
)
from services.casework.domain import commands as c
from services.casework.domain.errors import CommandRefused, NotPermitted

blp = Blueprint("alerts", __name__, description="Alerts addressed to you: SLA warnings, breaches, escalations")


@blp.route("/alerts/mine", methods=["GET"])
@blp.arguments(AlertListArgs, location="query", as_kwargs=True)
@blp.response(200, AlertPageSchema)
@documented(blp)
def my_alerts(page: int, page_size: int, state: str) -> dict[str, Any]:
    """The alerts that have reached you (by role; by office except for Directors; HROs: their own cases), one per
    case and clock, the most urgent first: by level, then the longest overdue."""
    return alert_page(page, page_size, state)


@blp.route("/alerts/worklist", methods=["GET"])
@blp.arguments(AlertListArgs, location="query", as_kwargs=True)
@blp.response(200, WorklistSchema)
@documented(blp)
def my_worklist(page: int, page_size: int, state: str) -> dict[str, Any]:
    """The cases your alerts are about, one item per case with its clocks' alerts, the most urgent first: by its
    most urgent alert's level, then its due (`total` counts cases up to 999, or to the page's end if further; past
    that `total_is_exact` is false and `total` is that bound: there are more)."""
    return worklist(page, page_size, state)


def worklist(page: int, page_size: int, state: str) -> dict[str, Any]:
    """A page of the caller's worklist (`open` or `all`): the API's and the web alert page."""
    caller, at = user(), now()

    def query(conn: Connection) -> dict[str, Any]:
        listed = worklist_page(conn, caller, open_only=state == "open", limit=page_size,
                               offset=(page - 1) * page_size)
        found = listed.items
        held = [a for item in found for a in item.alerts]
        sent = delivery.for_alerts(conn, [a.alert_id for a in held], caller.username)
        clocks = schedules.for_cases(conn, [item.case_id for item in found])
        items = [{**item.__dict__, "alerts": [present.alert(a, sent, clocks[a.case_id], at) for a in item.alerts]}
                 for item in found]
        return {**present.page(items, listed.total, page, page_size), "total_is_exact": listed.exact,
                "needing_action": listed.needing_action}  # for the web page's menu; not in the API's schema

    return context().casework.read(query)


def alert_page(page: int, page_size: int, state: str) -> dict[str, Any]:
    """A page of the caller's alerts (`open` or `all`), one per case and clock, the most urgent first."""
    caller, at = user(), now()

    def query(conn: Connection) -> dict[str, Any]:
        total, found = inbox_page(conn, caller, open_only=state == "open", limit=page_size,
                                  offset=(page - 1) * page_size)
        sent = delivery.for_alerts(conn, [a.alert_id for a in found], caller.username)
        clocks = schedules.for_cases(conn, list({a.case_id for a in found}))
        return present.page([present.alert(a, sent, clocks[a.case_id], at) for a in found], total, page, page_size)

    return context().casework.read(query)


@blp.route("/alerts/<alert_id>/acknowledge", methods=["POST"])
@blp.arguments(NoteBody)
@blp.response(200, AcknowledgeResultSchema)
@documented(blp, 403, 404, 409)
def acknowledge(body: dict[str, Any], alert_id: str) -> dict[str, Any]:
    """Acknowledge an alert addressed to you: you take it in hand."""
    return acknowledge_alert(alert_id, body["note"])


def acknowledge_alert(alert_id: str, note: str) -> dict[str, Any]:
    """Authorise and acknowledge in one unit of work (403 not yours, 404 no such alert, 409 already closed)."""
    ctx, caller, at = context(), user(), now()
    with ctx.casework.unit_of_work() as uow:
        alert = repo.get_alert(uow.conn, alert_id)
        if alert is None:
            raise not_found(f"no alert {alert_id!r}")
        g.case = uow.case(alert.case_id)
        try:
            out = uow.execute(c.AcknowledgeAlert(alert.case_id, caller.username, alert_id, note), at, caller)
        except NotPermitted as exc:
            raise forbidden(str(exc)) from None
        except CommandRefused as exc:
            raise ApiError(409, "conflict", str(exc)) from None
        after = repo.get_alert(uow.conn, alert_id)
        sent = delivery.for_alerts(uow.conn, [alert_id], caller.username)
        clocks = schedules.for_cases(uow.conn, [alert.case_id])[alert.case_id]
        return {"alert": present.alert(after, sent, clocks, at) if after else None, "events": emitted(out)}
