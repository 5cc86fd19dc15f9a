"""The alerts inbox (stall and recording breaches, escalations) and the Director's closure approvals queue."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.casework.api import alerts as api_alerts
from services.casework.api import cases as api_cases
from services.casework.api.errors import ApiError
from services.casework.api.schemas import NoteBody
from services.casework.web import forms
from services.casework.web.blueprint import bp, me, page

PAGE_SIZE = 50


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


@bp.get("/alerts")
def alerts() -> str:
    state = request.args.get("state", "open")
    if state not in ("open", "all"):
        abort(400, _("Unknown filter value."))
    found = api_alerts.alert_page(_page_number(), PAGE_SIZE, state)
    title = _("Escalations and alerts") if me().role == "director" else _("Alerts")
    return page("alerts.html", title=title, result=found, state=state)


@bp.post("/alerts/<alert_id>/acknowledge")
def acknowledge(alert_id: str) -> Response:
    body = NoteBody().load({"note": request.form.get("note", "").strip()[:4000]})
    try:
        api_alerts.acknowledge_alert(alert_id, body["note"])
    except ApiError as exc:
        flash(forms.refusal(exc.message), "error")
    else:
        flash(_("Alert acknowledged: you have taken it in hand."), "success")
    return redirect(url_for("web.alerts", state=request.form.get("state", "open")), code=303)


@bp.get("/closures")
def closures() -> Any:
    found = api_cases.closure_page(_page_number(), PAGE_SIZE)
    return page("closures.html", title=_("Closure approvals"), result=found)
