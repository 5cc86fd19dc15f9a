"""Places: the administrative units of the gazetteer a place field picks from, found by any spelling."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from reference.gazetteer import AdminUnit, gazetteer
from reference.places import describe, search
from schemas.text import Text
from services.casework.api import present
from services.casework.api.bodies import Blueprint
from services.casework.api.common import documented
from services.casework.api.schemas import PageArgs, PageSchema

blp = Blueprint("places", __name__, description="Places: Mali's administrative units with their P-codes (OCHA "
                                                "COD-AB Mali v03; seat coordinates from GeoNames)")


class PlaceArgs(PageArgs):
    q = Text(load_default="", validate=validate.Length(max=100),
             metadata={"description": "a name or P-code, in any case, with or without accents (\"menaka\" finds "
                                      "Ménaka, \"timbuktu\" Tombouctou); empty: every unit"})
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class PlaceSchema(Schema):
    pcode = fields.String(required=True, metadata={"example": "ML0503"})
    name = fields.String(required=True)
    variants = fields.List(fields.String(), required=True, metadata={"description": "other spellings it is known by"})
    level = fields.Integer(required=True, metadata={"description": "1 region, 2 cercle, 3 commune"})
    kind = fields.String(required=True, validate=validate.OneOf(("region", "cercle", "commune")))
    parent = fields.String(required=True, allow_none=True, metadata={"description": "P-code of the unit above"})
    parent_name = fields.String(required=True, allow_none=True)
    region = fields.String(required=True, metadata={"description": "P-code of its region (itself for a region)"})
    region_name = fields.String(required=True)
    latitude = fields.Float(required=True, allow_none=True, metadata={"description": "its seat's, when known"})
    longitude = fields.Float(required=True, allow_none=True)
    label = fields.String(required=True, metadata={"description": "as a picker offers it: \"Djenné (Mopti) — ML0503\""})


class PlacePageSchema(PageSchema):
    items = fields.List(fields.Nested(PlaceSchema), required=True)


def place(unit: AdminUnit) -> dict[str, Any]:
    places = gazetteer()
    parent = places.get(unit.parent) if unit.parent else None
    region = places.region_of(unit.pcode)
    return {"pcode": unit.pcode, "name": unit.name, "variants": list(unit.variants), "level": unit.level,
            "kind": unit.kind, "parent": unit.parent, "parent_name": parent.name if parent else None,
            "region": region.pcode, "region_name": region.name, "latitude": unit.lat, "longitude": unit.lon,
            "label": describe(unit)}


@blp.route("/places", methods=["GET"])
@blp.arguments(PlaceArgs, location="query", as_kwargs=True)
@blp.response(200, PlacePageSchema)
@documented(blp)
def list_places(q: str, page: int, page_size: int) -> dict[str, Any]:
    """Units whose name, a spelling variant or P-code matches `q`, the closest first (a whole name, then names that
    begin with it, then names that contain it; regions before cercles). Any signed-in role."""
    found = search(q, limit=page_size, skip=(page - 1) * page_size)
    return present.page([place(u) for u in found.units], found.total, page, page_size)
