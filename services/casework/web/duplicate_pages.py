"""Likely duplicates for Team Leaders and Directors (ADR 0022): two cases side by side, and the decision on them."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.casework.api import duplicates as api_duplicates
from services.casework.api.errors import ApiError
from services.casework.web import forms
from services.casework.web.blueprint import bp, page

PAGE_SIZE = 20


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


@bp.get("/duplicates")
def duplicates() -> Any:
    status = request.args.get("status", "open")
    if status not in api_duplicates.STATUSES:
        abort(400, _("Unknown filter value."))
    try:
        found = api_duplicates.pair_page(status, _page_number(), PAGE_SIZE)
    except ApiError as exc:
        abort(exc.status, forms.refusal(exc.message))
    return page("duplicates.html", title=_("Likely duplicates"), result=found, status=status)


@bp.post("/duplicates/<pair_id>/decision")
def decide_duplicate(pair_id: str) -> Response:
    decision = request.form.get("decision", "")
    survivor = request.form.get("survivor") or None
    note = request.form.get("note", "").strip()[:4000]
    try:
        found = api_duplicates.decide(pair_id, decision, survivor, note)
    except ApiError as exc:
        if exc.status in (403, 404):
            abort(exc.status, forms.refusal(exc.message))
        flash(forms.refusal(exc.message), "error")
    else:
        pair = found["pair"]
        if pair["status"] == "merged":
            kept = pair["first"] if pair["survivor_case_id"] == pair["first"]["case_id"] else pair["second"]
            gone = pair["second"] if kept is pair["first"] else pair["first"]
            flash(_("%(merged)s is merged into %(kept)s and closed.", merged=gone["reference"],
                    kept=kept["reference"]), "success")
        else:
            flash(_("Marked as distinct incidents."), "success")
    return redirect(url_for("web.duplicates"), code=303)
