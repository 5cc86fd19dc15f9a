"""Reading cases: lists filtered and sorted by urgency, one case with its history, the closure queue."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import Connection

from schemas.incident import IdentitiesSchema
from services.casework.adapters import access_log, schedules
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
from services.casework.domain.case import Case
from services.casework.domain.schedules import Schedule

blp = Blueprint("cases", __name__, description="Cases: lists by urgency, one case with its history, closures")
ALL = 10_000_000
_IDENTITIES = IdentitiesSchema()


def _in_scope(conn: Connection, office: str | None, **filters: Any) -> list[tuple[Case, list[Schedule]]]:
    """The cases the caller may read, each with the monitor's schedules of its clocks."""
    scope = read_scope(user())
    if office is not None and scope is not None and office != scope:
        raise forbidden(f"you may read the cases of {scope} only")
    found = repo.list_cases(conn, office=office or scope, limit=ALL, **filters)
    by_case = schedules.for_cases(conn, [case.case_id for case in found])
    return [(case, by_case[case.case_id]) for case in found]


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
    found = ctx.casework.read(lambda conn: _in_scope(conn, office, stage=stage, assignee=assignee))
    items = [present.summary(case, at, clocks) for case, clocks in found]
    if sla_state is not None:
        items = [item for item in items if item["sla_state"] == sla_state]
    items.sort(key=present.urgency_key)
    _, size, skip = offset({"page": page, "page_size": page_size})
    return present.page(items[skip:skip + size], len(items), page, size)


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
    found = ctx.casework.read(lambda conn: _in_scope(conn, None, stage="closure_requested"))
    found.sort(key=lambda pair: (pair[0].closure or {}).get("requested_at") or pair[0].reported_at)
    items = [{**present.summary(case, at, clocks),
              "you_may_decide": caller.role == "director" and (case.closure or {}).get("proposer") != caller.username}
             for case, clocks in found]
    skip = (page - 1) * page_size
    return present.page(items[skip:skip + page_size], len(items), page, page_size)
