"""The admin's page of perpetrator units: the list, a unit added, a unit retired."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from schemas.vocabulary import offered
from services.casework.adapters import units as store
from services.casework.api.request import context
from services.casework.web.blueprint import bp, me, page
from services.casework.web.labels import choices


def _admin_only() -> None:
    if me().role != "admin":
        abort(403, _("Only an administrator keeps the list of units."))


def _units_page(errors: dict[str, list[str]] | None = None, values: dict[str, Any] | None = None,
                status: int = 200) -> tuple[str, int]:
    found = context().casework.read(store.list_units)
    return page("units.html", title=_("Perpetrator units"), units=found, errors=errors or {}, values=values or {},
                categories=choices("perpetrator", offered("perpetrator_types"))), status


@bp.get("/units")
def units() -> tuple[str, int]:
    _admin_only()
    return _units_page()


@bp.post("/units")
def add_unit() -> Any:
    _admin_only()
    form = request.form
    values = {k: form.get(k, "")[:200] for k in ("code", "name", "perpetrator_category", "un_supported")}
    now: datetime = context().clock.now()
    try:
        unit = context().casework.write(lambda conn: store.add_unit(
            conn, values["code"], values["name"], values["perpetrator_category"], values["un_supported"] == "yes",
            now))
    except ValueError as exc:
        field, _sep, message = str(exc).partition(": ")
        return _units_page({field: [_refusal(field, message)]}, values, 400)
    flash(_("Unit %(name)s added.", name=unit.name), "success")
    return redirect(url_for("web.units"), code=303)


def _refusal(field: str, message: str) -> str:
    """The refusal in the reader's language: what the field needs (the domain's English text names the details)."""
    return {"code": _("A code of 1 to 40 lower-case letters, digits, - and _, not used before: %(detail)s",
                      detail=message),
            "name": _("A name of 1 to 200 characters."),
            "perpetrator_category": _("Choose a perpetrator category.")}.get(field, message)


@bp.post("/units/<code>/retire")
def retire_unit(code: str) -> Response:
    _admin_only()
    try:
        unit = context().casework.write(lambda conn: store.retire_unit(conn, code))
    except (LookupError, ValueError):
        abort(404)
    flash(_("Unit %(name)s retired: acts that name it keep it.", name=unit.name), "success")
    return redirect(url_for("web.units"), code=303)
