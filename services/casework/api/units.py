"""The perpetrator units an admin keeps, for any signed-in user to name in acts."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from marshmallow import Schema, fields

from services.casework.adapters import units as store
from services.casework.api.bodies import Blueprint
from services.casework.api.common import documented
from services.casework.api.request import context

blp = Blueprint("units", __name__, description="Perpetrator units: the named units an admin keeps")


class UnitSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    perpetrator_category = fields.String(required=True, metadata={"description": "a perpetrator_types code"})
    un_supported_security_force = fields.Boolean(
        required=True, metadata={"description": "a non-UN security force receiving UN support (HRDDP)"})
    added_at = fields.AwareDateTime(required=True)
    retired = fields.Boolean(required=True, metadata={"description": "kept for acts that name it; not offered"})


class UnitListSchema(Schema):
    units = fields.List(fields.Nested(UnitSchema), required=True)


@blp.route("/units", methods=["GET"])
@blp.response(200, UnitListSchema)
@documented(blp)
def list_units() -> dict[str, Any]:
    """Every unit, retired ones included (old acts name them), by perpetrator category and name; any role."""
    found = context().casework.read(store.list_units)
    return {"units": [asdict(u) for u in found]}
