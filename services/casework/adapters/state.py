"""The case's state column: a marshmallow schema between the Case dataclass and its JSON text, and every case read
back in chunks (what the read model's and the search index's rebuilds walk)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from marshmallow import Schema, fields, post_load
from sqlalchemy import Connection, select

from schemas import compiled
from services.casework.adapters.tables import cases
from services.casework.domain.case import Case


class _Closure(Schema):
    proposer = fields.String(required=True)
    reason = fields.String(required=True)
    note = fields.String(required=True)
    previous_stage = fields.String(required=True)
    requested_at = fields.AwareDateTime(required=True)


class _Delay(Schema):
    reason = fields.String(required=True)
    until = fields.AwareDateTime(required=True)
    note = fields.String(load_default="")
    at = fields.AwareDateTime(required=True)


class CaseStateSchema(Schema):
    case_id = fields.String(required=True)
    reference = fields.String(required=True)
    incident_key = fields.String(required=True)
    office = fields.String(required=True)
    stage = fields.String(required=True)
    reported_at = fields.AwareDateTime(required=True)
    registered_at = fields.AwareDateTime(required=True)
    assignee = fields.String(allow_none=True, load_default=None)
    recorded_at = fields.AwareDateTime(allow_none=True, load_default=None)
    last_activity_at = fields.AwareDateTime(allow_none=True, load_default=None)
    last_review_at = fields.AwareDateTime(allow_none=True, load_default=None)
    closure = fields.Nested(_Closure, allow_none=True, load_default=None)
    delay = fields.Nested(_Delay, allow_none=True, load_default=None)
    follow_ups = fields.List(fields.String(), load_default=list)
    possible_duplicates = fields.List(fields.String(), load_default=list)
    closed_at = fields.AwareDateTime(allow_none=True, load_default=None)
    approved_by = fields.String(allow_none=True, load_default=None)
    merged_into = fields.String(allow_none=True, load_default=None)
    merged_from = fields.List(fields.String(), load_default=list)
    version = fields.Integer(required=True)
    details = fields.Dict(load_default=dict)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Case:
        data["follow_ups"] = tuple(data["follow_ups"])
        data["possible_duplicates"] = tuple(data["possible_duplicates"])
        data["merged_from"] = tuple(data["merged_from"])
        return Case(**data)


_SCHEMA = CaseStateSchema()


def dumps(case: Case) -> str:
    return orjson.dumps(compiled.dump(_SCHEMA, case), option=orjson.OPT_SORT_KEYS).decode()


def loads(text: str) -> Case:
    result: Case = compiled.load(_SCHEMA, orjson.loads(text))
    return result


def every_case(conn: Connection, chunk: int = 500) -> Iterator[list[Case]]:
    """Every case, `chunk` at a time in case id order (keyset: each chunk one indexed read, however many cases)."""
    after = ""
    while True:
        texts = list(conn.scalars(select(cases.c.state).where(cases.c.case_id > after)
                                  .order_by(cases.c.case_id).limit(chunk)))
        if not texts:
            return
        found = [loads(text) for text in texts]
        yield found
        after = found[-1].case_id
