"""Cases: an officer's own, a team's queue with filters, and the case page with its history and forms."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from schemas.vocabulary import CLOSURE_REASONS, DELAY_REASONS, FOLLOW_UP_KINDS, STAGES, offered
from services.casework.adapters import access_log, units
from services.casework.adapters import repository as repo
from services.casework.api import cases as api_cases
from services.casework.api.common import readable_case
from services.casework.api.errors import ApiError
from services.casework.api.request import context
from services.casework.api.schemas import CaseListArgs, OpeningBody
from services.casework.auth.policy import (
    decision_opening_refusal,
    decision_pending,
    may_see_openings,
    read_scope,
)
from services.casework.domain.errors import CommandRefused, InvalidValue, NotPermitted
from services.casework.domain.schedules import SLA_STATES
from services.casework.domain.workflow import last_change
from services.casework.web import actions, forms, people_fields, place_fields
from services.casework.web.blueprint import bp, me, page
from services.casework.web.labels import choices
from services.casework.web.officers import officer_choices

PAGE_SIZE = 25
DONE = {
    "record": _l("Case recorded: the preliminary stage has started."), "assign": _l("Case assigned."),
    "log-activity": _l("Activity logged: the stall clock restarts."), "advance": _l("Case moved to its next stage."),
    "justify-delay": _l("Delay justified: the stall clock is paused."), "review": _l("Review recorded."),
    "request-closure": _l("Closure proposed: it now awaits a Director's decision."),
    "approve-closure": _l("Closure approved: the case is closed."),
    "reject-closure": _l("Closure rejected: the case is back at its previous stage."),
    "record-follow-up": _l("Follow-up recorded."), "reopen": _l("Case reopened at the investigation stage."),
    "amend-incident": _l("Incident details amended: the history shows each change."),
    "amend-people": _l("People and acts amended: the history shows each change."),
    "correct-identity": _l("Identity corrected: the history names the fields, never their values."),
}
DATE_FIELDS = {"until": _l("Pause the stall clock until"), "at": _l("When it was done (UTC)"),
               "occurred_at": _l("Occurred at (UTC)"), "date_of_birth": _l("Date of birth")}


@bp.get("/")
def home() -> Response:
    role = me().role
    target = {"hro": "web.my_cases", "team_leader": "web.queue", "director": "web.closures"}.get(role, "web.overview")
    return redirect(url_for(target))


@bp.get("/my-cases")
def my_cases() -> str:
    args = _args()
    found = api_cases.case_page(args["page"], PAGE_SIZE, assignee=me().username)
    return page("cases.html", title=_("My cases"), result=found, filters=None, args=args)


@bp.get("/cases")
def queue() -> str:
    args = _args()
    try:
        found = api_cases.case_page(args["page"], PAGE_SIZE, office=args.get("office"), stage=args.get("stage"),
                                    assignee=args.get("assignee"), sla_state=args.get("sla_state"))
    except ApiError as exc:
        abort(exc.status, forms.refusal(exc.message))
    title = _("Team queue") if me().role == "team_leader" else _("Cases")
    return page("cases.html", title=title, result=found, filters=_filter_choices(), args=args)


def _args() -> dict[str, Any]:
    raw = {k: v for k, v in request.args.items() if v and k in ("office", "stage", "assignee", "sla_state", "page")}
    try:
        loaded = dict(CaseListArgs().load(raw))
        loaded.pop("page_size", None)
        return loaded
    except ValidationError:
        abort(400, _("Unknown filter value."))


def _filter_choices() -> dict[str, Any]:
    user, ctx = me(), context()
    scope = read_scope(user)
    offices = ctx.offices if scope is None else (scope,)
    return {"offices": offices, "stages": choices("stage", STAGES), "sla_states": choices("sla", SLA_STATES),
            "assignees": officer_choices(offices), "office_fixed": scope is not None}


@bp.get("/cases/<ref>")
def case(ref: str) -> str:
    return _case_page(ref)


@bp.post("/cases/<ref>/open-identities")
def open_identities(ref: str) -> Any:
    """A Director deciding this case's closure opens its identities, saying why (ADR 13): shown on this page only."""
    try:
        body = OpeningBody().load({"reason": request.form.get("reason", "")})
    except ValidationError:
        return _case_page(ref, "open-identities", {"reason": [_("Say why you need them: at least 10 characters.")]}
                          ), 422
    return _case_page(ref, opening_reason=body["reason"].strip())


def _case_page(ref: str, failed: str | None = None, errors: dict[str, list[str]] | None = None,
               refused: str | None = None, opening_reason: str | None = None) -> str:
    try:
        detail = api_cases.case_detail(ref, opening_reason=opening_reason)
    except ApiError as exc:
        abort(exc.status, forms.refusal(exc.message))
    ctx, user = context(), me()
    now = ctx.clock.now()
    found = ctx.casework.read(lambda conn: repo.get_case(conn, detail["case_id"]))
    if found is None:
        abort(404)
    openings = ([{"at": o.at, "username": o.username, "office": o.office, "reason": o.reason}
                 for o in ctx.casework.read(lambda conn: access_log.openings(conn, found.case_id))]
                if may_see_openings(user, found) else None)
    if openings is not None and opening_reason is not None:  # this one: logged as the answer leaves
        openings.append({"at": now, "username": user.username, "office": user.office, "reason": opening_reason})
    may_open = (detail["identities_redacted"] and decision_pending(found)
                and decision_opening_refusal(user, found) is None)
    offers = actions.offered(found, user, now)
    officers = [u for u in ctx.casework.read(repo.list_users)
                if u.role == "hro" and u.office == found.office and u.active]
    details = detail.get("details") or {}
    where = (detail.get("place_pcode") or details.get("place_pcode"), details.get("location") or "")
    amending = failed == "amend-incident"
    amend_values = (request.form.to_dict(flat=True) | {"violation_types": request.form.getlist("violation_types")}
                    if amending else actions.amendment_values(found.details, forms.locale()))
    return page("case.html", title=detail["reference"], case=detail, offers=offers, failed=failed,
                place=place_fields.place_line(*where), place_flagged=place_fields.is_free_text(*where),
                amend_old=_amend_old(found.details, amending), amend_values=amend_values,
                rows=(people_fields.values_of(request.form) if failed == actions.AMEND_PEOPLE
                      else people_fields.case_rows(found.details, forms.locale())),
                rows_old={name: (request.form.get(f"old-{name}", "[]") if failed == actions.AMEND_PEOPLE
                                 else json.dumps(found.details.get(name) or [])) for name in ("people", "acts")},
                person_options=people_fields.options(), places=place_fields.options(),
                occupations=choices("occupation", offered("occupation_categories")),
                units=[(u.code, f"{u.name} ({u.code})") for u in ctx.casework.read(units.list_units)
                       if not u.retired],
                last_change=last_change(found),
                victim_groups=actions.VICTIM_GROUPS, violations=choices("violation", offered("violation_types")),
                perpetrators=choices("perpetrator", offered("perpetrator_types")),
                sources=choices("source", offered("source_types")),
                errors=errors or {}, refused=refused, values=request.form if failed else {}, now=now,
                officer_choices=[(u.username, u.display_name or u.username) for u in officers],
                closure_reasons=choices("closure_reason", CLOSURE_REASONS),
                delay_reasons=choices("delay_reason", DELAY_REASONS),
                follow_ups=choices("follow_up", FOLLOW_UP_KINDS),
                people_refs=[(p["ref"], f"{p['ref']} ({p['role']})")
                             for p in found.details.get("people") or []],
                next_stage=actions.NEXT_STAGE.get(found.stage),
                openings=openings, may_open=may_open, opened=opening_reason is not None)


def _amend_old(details: dict[str, Any], amending: bool) -> dict[str, str]:
    """The values the amendment form was opened on, as JSON: sent back with it, so that a change someone made
    meanwhile is refused (the workflow compares them), also when the form comes back with an error."""
    if amending:
        return {name: request.form.get(f"old-{name}", "null") for name in actions.AMENDED_ON_THE_PAGE}
    return {name: json.dumps(details.get(name)) for name in actions.AMENDED_ON_THE_PAGE}


@bp.post("/cases/<ref>/<action>")
def command(ref: str, action: str) -> Any:
    """One workflow command from a form: the API's schema, then casework's unit of work (policy, workflow, outbox)."""
    if action not in actions.FORMS:
        abort(404)
    schema, build = actions.FORMS[action]
    try:
        written = actions.body_from_form(action, request.form, forms.locale())
    except actions.UnreadableDate as exc:  # name the field and the format to type
        return _case_page(ref, action, {exc.field: [forms.date_problem(str(DATE_FIELDS[exc.field]), exc.with_time)]}
                          ), 422
    try:
        body = schema().load(written)
    except ValidationError as exc:
        return _case_page(ref, action, forms.flatten(exc.messages)), 422
    ctx, user = context(), me()
    try:
        with ctx.casework.unit_of_work() as uow:
            case = readable_case(uow.conn, ref)
            uow.execute(build(case.case_id, user.username, body), ctx.clock.now(), user)
    except ApiError as exc:
        if exc.status == 404:
            abort(404, forms.refusal(exc.message))
        return _case_page(ref, action, refused=forms.refusal(exc.message)), exc.status
    except InvalidValue as exc:  # a value typed, refused: shown at its field (a row's own field for people and acts)
        row = people_fields.refused_row(str(exc))
        if row is not None:
            return _case_page(ref, action, {row[0]: [forms.message(row[1])]}), 422
        return _case_page(ref, action, {exc.field: [forms.value_refusal(exc.field, str(exc))]}), 422
    except CommandRefused as exc:
        return _case_page(ref, action, refused=forms.refusal(str(exc))), 403 if isinstance(exc, NotPermitted) else 409
    flash(str(DONE[action]), "success")
    target = request.form.get("next", "")
    if target.startswith("/web/") and "//" not in target:
        return redirect(target, code=303)
    return redirect(url_for("web.case", ref=case.reference), code=303)
