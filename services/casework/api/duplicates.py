"""Likely duplicates for review (ADR 0022): the pairs, side by side, and a Team Leader's or a Director's decision."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import Connection

from schemas.text import Text
from services.casework.adapters import duplicates as pairs
from services.casework.api.bodies import Blueprint
from services.casework.api.common import documented, emitted
from services.casework.api.errors import ApiError, forbidden, not_found
from services.casework.api.request import context, now, user
from services.casework.api.schemas import MAX_TEXT, EmittedEventSchema, Out, PageArgs, PageSchema
from services.casework.auth.policy import duplicate_refusal, duplicate_reviewer
from services.casework.domain import commands as c
from services.casework.domain.duplicates import DECISIONS
from services.casework.domain.errors import CommandRefused, InvalidValue, NotPermitted
from services.casework.domain.roles import User

blp = Blueprint("duplicates", __name__, description="Likely duplicates: two cases that may be one incident")
STATUSES = ("open", "distinct", "merged", "superseded")  # superseded: a case of it was merged by another decision
# What a reviewer sees of each case: nothing that identifies anyone (no names, contacts or people's details).
SHOWN = ("case_id", "reference", "office", "stage", "reported_at", "occurred_at", "place", "place_pcode",
         "region_pcode", "violations", "perpetrator", "victims", "excerpt")


class DuplicateArgs(PageArgs):
    status = Text(load_default="open", validate=validate.OneOf(STATUSES))


class PairDecisionBody(Schema):
    decision = Text(required=True, validate=validate.OneOf(DECISIONS),
                    metadata={"description": "distinct: two incidents; same: one incident, the other case merged"})
    survivor = Text(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                    metadata={"description": "with `same`: the case (id or reference) that carries the incident on"})
    note = Text(load_default="", validate=validate.Length(max=MAX_TEXT),
                metadata={"description": "required with `distinct`: why they are two incidents"})


class PairCaseSchema(Schema):
    case_id = Out(required=True)
    reference = Out(required=True)
    office = Out(required=True)
    stage = Out(required=True)
    reported_at = fields.AwareDateTime(required=True)
    occurred_at = fields.AwareDateTime(allow_none=True)
    place = Out(required=True)
    place_pcode = Out(allow_none=True)
    region_pcode = Out(allow_none=True)
    violations = fields.List(Out(), required=True)
    perpetrator = Out(allow_none=True)
    victims = fields.Integer(required=True)
    excerpt = Out(required=True, metadata={"description": "the summary's first 240 characters"})


class PairSchema(Schema):
    pair_id = Out(required=True)
    status = Out(required=True)
    score = fields.Float(required=True, metadata={"description": "the summaries' similarity, 0 to 1 (trigrams)"})
    reasons = fields.List(Out(), required=True, metadata={
        "description": "window, same_place | same_region, violation, similar_summary, same_report"})
    found_at = fields.AwareDateTime(required=True)
    first = fields.Nested(PairCaseSchema, required=True)
    second = fields.Nested(PairCaseSchema, required=True)
    survivor_case_id = Out(allow_none=True)
    decided_by = Out(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    note = Out(required=True)


class PairPageSchema(PageSchema):
    items = fields.List(fields.Nested(PairSchema), required=True)


class DecisionResultSchema(Schema):
    pair = fields.Nested(PairSchema, required=True)
    events = fields.List(fields.Nested(EmittedEventSchema), required=True)


def _case(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    shown = {name: row[name] for name in SHOWN}
    shown["violations"] = row["violations"].split()
    return shown


def presented(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "reasons": row["reasons"].split(), "first": _case(row["first"]), "second": _case(row["second"])}


def reviewer() -> User:
    caller = user()
    if not duplicate_reviewer(caller):
        raise forbidden("only Team Leaders and Directors review likely duplicates")
    return caller


def pair_page(status: str, page: int, page_size: int) -> dict[str, Any]:
    """A page of pairs of this status that the caller may decide on: a Team Leader's, with a case of their office;
    a Director's, every office's. The API's and the web page's."""
    caller = reviewer()
    office = None if caller.role == "director" else caller.office

    def query(conn: Connection) -> dict[str, Any]:
        total, rows = pairs.page(conn, office, status, page_size, (page - 1) * page_size)
        return {"items": [presented(r) for r in rows if r["first"] and r["second"]], "total": total, "page": page,
                "page_size": page_size}

    return context().casework.read(query)


def decide(pair_id: str, decision: str, survivor: str | None, note: str) -> dict[str, Any]:
    """Authorise and decide in one unit of work: 403 not a reviewer of either office, 404 no pair, 400 a bad value,
    409 already decided or a case closed."""
    ctx, caller, at = context(), reviewer(), now()
    with ctx.casework.unit_of_work() as uow:
        pair = pairs.get(uow.conn, pair_id)
        if pair is None:
            raise not_found(f"no pair {pair_id!r}")
        refusal = duplicate_refusal(caller, (pair["first_office"], pair["second_office"]))
        if refusal:
            raise forbidden(refusal)
        try:
            out = uow.execute(c.DecideDuplicate(pair["first_case_id"], caller.username, pair_id, decision, survivor,
                                                note), at, caller)
        except NotPermitted as exc:
            raise forbidden(str(exc)) from None
        except InvalidValue as exc:
            raise ApiError(400, "bad_request", str(exc), {exc.field: [str(exc)]}) from None
        except CommandRefused as exc:
            raise ApiError(409, "conflict", str(exc)) from None
        uow.cases.flush(uow.conn)  # the read model as the decision left it, for the answer
        found = pairs.with_cases(uow.conn, pair_id)
    assert found is not None
    return {"pair": presented(found), "events": emitted(out)}


@blp.route("/duplicates", methods=["GET"])
@blp.arguments(DuplicateArgs, location="query", as_kwargs=True)
@blp.response(200, PairPageSchema)
@documented(blp, 403)
def list_pairs(status: str, page: int, page_size: int) -> dict[str, Any]:
    """Likely duplicates you may decide on (Team Leaders: a case of your office in the pair; Directors: all), the
    most recently found first, both cases side by side by fields that identify nobody."""
    return pair_page(status, page, page_size)


@blp.route("/duplicates/<pair_id>/decision", methods=["POST"])
@blp.arguments(PairDecisionBody)
@blp.response(200, DecisionResultSchema)
@documented(blp, 400, 403, 404, 409)
def decide_pair(body: dict[str, Any], pair_id: str) -> dict[str, Any]:
    """Decide on a pair (a Team Leader of either case's office, or a Director): `distinct` with a note, or `same`
    naming the surviving case; the other closes as merged into it and its clocks stop."""
    return decide(pair_id, body["decision"], body["survivor"], body["note"])

