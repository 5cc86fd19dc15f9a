"""The alerts worklist (one line per case, its clocks' alerts folded, the most urgent first) and the Director's
closure approvals queue."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.casework.adapters import repository as repo
from services.casework.api import alerts as api_alerts
from services.casework.api import cases as api_cases
from services.casework.api.request import context
from services.casework.api.schemas import NoteBody
from services.casework.domain import commands as c
from services.casework.domain.errors import CommandRefused
from services.casework.web import forms
from services.casework.web.blueprint import bp, me, page

PAGE_SIZE = 25  # cases a page, as every web list: a worklist is worked from the top, a page at a time


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


@bp.get("/alerts")
def alerts() -> str:
    state = request.args.get("state", "open")
    if state not in ("open", "all"):
        abort(400, _("Unknown filter value."))
    found = api_alerts.worklist(_page_number(), PAGE_SIZE, state)
    title = _("Escalations and alerts") if me().role == "director" else _("Alerts")
    # The open worklist's first pages count its cases as the menu does: the menu shows that count rather than
    # counting again, and the two agree on the page.
    return page("alerts.html", needing_action=found["needing_action"], title=title, result=found, state=state)


@bp.post("/alerts/<alert_id>/acknowledge")
def acknowledge(alert_id: str) -> Response:
    body = NoteBody().load({"note": request.form.get("note", "").strip()[:4000]})
    ctx, user = context(), me()
    try:
        with ctx.casework.unit_of_work() as uow:
            alert = repo.get_alert(uow.conn, alert_id)
            if alert is None:
                raise CommandRefused(f"no alert {alert_id!r}")
            g.case = uow.case(alert.case_id)  # for the access log
            uow.execute(c.AcknowledgeAlert(alert.case_id, user.username, alert_id, body["note"]), ctx.clock.now(),
                        user)
    except CommandRefused as exc:
        flash(forms.refusal(str(exc)), "error")
    else:
        flash(_("Alert acknowledged: you have taken it in hand."), "success")
    return redirect(url_for("web.alerts", state=request.form.get("state", "open")), code=303)


@bp.get("/closures")
def closures() -> Any:
    found = api_cases.closure_page(_page_number(), PAGE_SIZE)
    return page("closures.html", title=_("Closure approvals"), result=found)
