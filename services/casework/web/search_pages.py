"""Searching cases on the web (ADR 0021): words and facets with their counts, results with excerpts, the CSV export."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, request, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from reference.gazetteer import gazetteer
from schemas.vocabulary import PERPETRATOR_CATEGORIES, STAGES, VIOLATION_TYPES
from services.casework.api import search as api_search
from services.casework.api.errors import ApiError
from services.casework.api.request import context
from services.casework.api.schemas import SearchArgs
from services.casework.auth.policy import may_export_cases, read_scope
from services.casework.domain.schedules import SLA_STATES
from services.casework.domain.summaries import FLAGS
from services.casework.web import dates, forms
from services.casework.web.blueprint import bp, me, page
from services.casework.web.labels import choices
from services.casework.web.officers import officer_choices

PAGE_SIZE = 25
DATES = ("reported_from", "reported_to", "occurred_from", "occurred_to")
FLAG_LABELS = {"possible_duplicate": _l("Possible duplicate"), "consent_withdrawn": _l("Consent withdrawn"),
               "free_text_place": _l("Place not in the gazetteer"), "unit_unknown": _l("Unit not on the list"),
               "delay_justified": _l("Delay justified"), "closed_without_approval": _l("Closed without approval")}
WORDS = ("q", "office", "stage", "sla_state", "violation", "perpetrator", "region_pcode", "place_pcode", "assignee")


def _args() -> tuple[dict[str, Any], dict[str, Any], dict[str, list[str]]]:
    """What the form asked (as typed, for the form and links) and as loaded, or the errors naming each field."""
    typed: dict[str, Any] = {k: v.strip() for k in (*WORDS, *DATES) if (v := request.args.get(k, "")).strip()}
    flags = [f for f in request.args.getlist("flag") if f]
    if flags:
        typed["flag"] = flags
    raw = {k: v for k, v in typed.items() if k not in DATES}
    errors: dict[str, list[str]] = {}
    for name in DATES:  # typed as the reader writes a day (JJ/MM/AAAA in French) or ISO
        if name in typed:
            try:
                raw[name] = dates.parse_date(typed[name], forms.locale()).isoformat()
            except ValueError:
                errors[name] = [_("Not a date: write it as %(format)s.", format=dates.placeholder(forms.locale(),
                                                                                                    False))]
    raw["page"] = request.args.get("page", "1")
    raw["page_size"] = str(PAGE_SIZE)
    try:
        loaded = dict(SearchArgs().load(raw))
    except ValidationError as exc:
        messages: dict[str, Any] = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        errors |= {k: [forms.message(str(m)) for m in v] if isinstance(v, list) else [str(v)]
                   for k, v in messages.items()}
        loaded = {}
    return typed, loaded, errors


def _choices() -> dict[str, Any]:
    user, ctx = me(), context()
    scope = read_scope(user)
    offices = ctx.offices if scope is None else (scope,)
    return {"offices": offices, "office_fixed": scope is not None, "stages": choices("stage", STAGES),
            "sla_states": choices("sla", SLA_STATES), "violations": choices("violation", tuple(VIOLATION_TYPES)),
            "perpetrators": choices("perpetrator", tuple(PERPETRATOR_CATEGORIES)),
            "regions": [(u.pcode, u.name) for u in gazetteer().regions()],
            "assignees": officer_choices(offices),
            "flags": [(f, FLAG_LABELS[f]) for f in FLAGS], "may_export": may_export_cases(user)}


@bp.get("/cases/search")
def search() -> Any:
    typed, loaded, errors = _args()
    result = None
    if not errors:
        try:
            result = api_search.search_page(loaded)
        except ApiError as exc:
            if exc.status == 403:
                abort(403, forms.refusal(exc.message))
            errors = {k: [forms.message(m) for m in v] for k, v in (exc.errors or {}).items()}
    html = page("search.html", title=_("Search cases"), result=result, args=typed, errors=errors,
                filters=_choices())
    return (html, 400) if errors else html


@bp.get("/cases/search.csv")
def export() -> Any:
    _typed, loaded, errors = _args()
    if errors:
        abort(400, _("Unknown filter value."))
    try:
        name, lines = api_search.export_rows(loaded)
    except ApiError as exc:
        abort(exc.status, forms.refusal(exc.message))
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
