"""Reading cases: lists filtered and sorted by urgency, one case with its history, the closure queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g
from sqlalchemy import Connection

from schemas.incident import IdentitiesSchema
from services.casework.adapters import access_log, case_lists, schedules
from services.casework.adapters import repository as repo
from services.casework.api import present
from services.casework.api.bodies import Blueprint
from services.casework.api.common import documented, offset, readable_case
from services.casework.api.errors import ApiError, forbidden
from services.casework.api.request import context, now, user
from services.casework.api.schemas import (
    CaseDetailSchema,
    CaseListArgs,
    CasePageSchema,
    ClosureQueueSchema,
    OpeningBody,
    OpeningsSchema,
    PageArgs,
)
from services.casework.auth.policy import (
    decision_opening_refusal,
    decision_pending,
    may_see_identities,
    may_see_openings,
    read_scope,
)

blp = Blueprint("cases", __name__, description="Cases: lists by urgency, one case with its history, closures")
_IDENTITIES = IdentitiesSchema()


def _scope(office: str | None) -> str | None:
    """The office the caller may read (None: every office), refusing another one asked for by name."""
    scope = read_scope(user())
    if office is not None and scope is not None and office != scope:
        raise forbidden(f"you may read the cases of {scope} only")
    return office or scope


def _items(conn: Connection, found: list[dict[str, Any]], at: datetime) -> list[dict[str, Any]]:
    """A page's items from their read-model rows, with the running clocks and closure requests of those cases only."""
    ids = [row["case_id"] for row in found]
    by_case = schedules.for_cases(conn, ids)
    closures = case_lists.closures_of(conn, [row["case_id"] for row in found if row["closure_requested_at"]])
    return [present.summary_row(row, at, by_case[row["case_id"]], closures.get(row["case_id"])) for row in found]


@blp.route("/cases", methods=["GET"])
@blp.arguments(CaseListArgs, location="query", as_kwargs=True)
@blp.response(200, CasePageSchema)
@documented(blp, 403)
def list_cases(page: int, page_size: int, office: str | None = None, stage: str | None = None,
               assignee: str | None = None, sla_state: str | None = None) -> dict[str, Any]:
    """Cases you may read, most urgent first (soonest next deadline; overdue ones first).

    HROs and Team Leaders see their office; Directors, auditors and admins the whole division.
    """
    return case_page(page, page_size, office=office, stage=stage, assignee=assignee, sla_state=sla_state)


def case_page(page: int, page_size: int, office: str | None = None, stage: str | None = None,
              assignee: str | None = None, sla_state: str | None = None) -> dict[str, Any]:
    """A page of the cases the caller may read, most urgent first (the API's list and the web pages')."""
    ctx, at = context(), now()
    _, size, skip = offset({"page": page, "page_size": page_size})
    wanted = case_lists.Filters(office=_scope(office), stage=stage, assignee=assignee, sla_state=sla_state)

    def load(conn: Connection) -> dict[str, Any]:
        found, total = case_lists.case_page(conn, wanted, at, size, skip)
        return present.page(_items(conn, found, at), total, page, size)

    return ctx.casework.read(load)


@blp.route("/cases/<ref>", methods=["GET"])
@blp.response(200, CaseDetailSchema)
@documented(blp, 403, 404)
def get_case(ref: str) -> dict[str, Any]:
    """One case (by id or reference) with its whole history.

    Identities of victims, witnesses and sources are included only for the assigned HRO, their Team Leader
    and the Directors of the case's office; for everyone else they are redacted (null).
    """
    return case_detail(ref)


@blp.route("/cases/<ref>/identities-for-decision", methods=["POST"])
@blp.arguments(OpeningBody)
@blp.response(200, CaseDetailSchema)
@documented(blp, 403, 404, 409)
def open_for_decision(body: dict[str, Any], ref: str) -> dict[str, Any]:
    """One case with its identities, for a Director deciding its pending closure, who says why (ADR 13).

    Any Director or Deputy Director who may decide the closure (not its proposer), in any office, while the closure
    awaits a decision. The reason goes to the access log, and the office's Team Leader sees it
    (`GET /cases/{ref}/identity-openings`). Each opening is for this answer only: nothing else widens.
    """
    return case_detail(ref, opening_reason=body["reason"].strip())


@blp.route("/cases/<ref>/identity-openings", methods=["GET"])
@blp.response(200, OpeningsSchema)
@documented(blp, 403, 404)
def identity_openings(ref: str) -> dict[str, Any]:
    """Who opened this case's identities to decide its closure, when and why, oldest first.

    The Team Leaders of the case's office, Directors and auditors.
    """
    caller = user()

    def load(conn: Connection) -> dict[str, Any]:
        case = readable_case(conn, ref)
        if not may_see_openings(caller, case):
            raise forbidden(f"only the Team Leaders of {case.office}, Directors and auditors see who opened "
                            "a case's identities")
        return {"items": [present.opening(entry) for entry in access_log.openings(conn, case.case_id)]}

    return context().casework.read(load)


def case_detail(ref: str, opening_reason: str | None = None) -> dict[str, Any]:
    """One case with its history, identities only for those allowed (the API's and the web case page); with a
    reason, for a Director opening them to decide the case's closure (ADR 13)."""
    ctx, caller = context(), user()

    def load(conn: Connection) -> dict[str, Any]:
        case = readable_case(conn, ref)
        identities = None
        if opening_reason is not None:
            refusal = decision_opening_refusal(caller, case)
            if refusal:
                raise forbidden(refusal)
            if not decision_pending(case):
                raise ApiError(409, "conflict", f"case {case.reference} has no closure awaiting a decision")
            g.access_reason = opening_reason
        if opening_reason is not None or may_see_identities(caller, case):
            # Sealed at the edge as written: loaded, every list and contact is there (empty, None) as before.
            identities = _IDENTITIES.load(ctx.casework.vault.open(repo.load_identities(conn, case.case_id)))
            g.identities_shown = True
        clocks = schedules.for_cases(conn, [case.case_id])[case.case_id]
        return present.detail(case, now(), clocks, repo.history(conn, case.case_id), identities)

    return ctx.casework.read(load)


@blp.route("/closures/pending", methods=["GET"])
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, ClosureQueueSchema)
@documented(blp)
def closure_queue(page: int, page_size: int) -> dict[str, Any]:
    """The closure approvals queue: cases awaiting a Director's decision, oldest request first."""
    return closure_page(page, page_size)


def closure_page(page: int, page_size: int) -> dict[str, Any]:
    """The closure approvals queue, oldest request first, with whether the caller may decide each."""
    ctx, at, caller = context(), now(), user()
    office, skip = _scope(None), (page - 1) * page_size

    def load(conn: Connection) -> dict[str, Any]:
        found, total = case_lists.closure_queue(conn, office, at, page_size, skip)
        items = [{**item, "you_may_decide": caller.role == "director"
                  and (item["closure"] or {}).get("proposer") != caller.username}
                 for item in _items(conn, found, at)]
        return present.page(items, total, page, page_size)

    return ctx.casework.read(load)
