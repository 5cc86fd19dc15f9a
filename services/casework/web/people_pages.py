"""Finding a person across cases (ADR 23): the lookup page, requests for access, and the Team Leader's decisions."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from services.casework.api import people as api_people
from services.casework.api.errors import ApiError
from services.casework.api.schemas import AccessDecisionBody, AccessRequestBody, LookupBody, RevocationBody
from services.casework.auth.policy import people_lookup_refusal
from services.casework.web.blueprint import bp, me, page

STRENGTH_LABELS = {"name_year": _l("Name and birth year"), "all_tokens": _l("Every word of a name"),
                   "some_tokens": _l("Some words of a name")}


def _lookers_only() -> None:
    if people_lookup_refusal(me()):
        abort(403, _("Only officers, Team Leaders and Directors look people up across cases."))


def _asked() -> tuple[dict[str, Any], dict[str, str]]:
    """The form's names (one a line) and birth year, as the API's body; and the values to show again."""
    values = {"names": request.form.get("names", "")[:2200], "birth_year": request.form.get("birth_year", "")[:4]}
    body: dict[str, Any] = {"names": [n.strip() for n in values["names"].splitlines() if n.strip()][:10]}
    year = values["birth_year"].strip()
    body["birth_year"] = int(year) if year.isdigit() else (year or None)
    return body, values


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    messages = exc.normalized_messages()
    found: dict[str, list[str]] = {}
    if "names" in messages:
        found["names"] = [_("Give a name of at least one word of two letters or more (200 characters at most).")]
    if "birth_year" in messages:
        found["birth_year"] = [_("A year between 1880 and 2100, or nothing.")]
    if "reason" in messages:
        found["reason"] = [_("Give a reason of at least 10 characters (500 at most).")]
    return found


def _strengths() -> dict[str, str]:
    return {key: str(text) for key, text in STRENGTH_LABELS.items()}


@bp.get("/people/lookup")
def people_lookup() -> str:
    _lookers_only()
    return page("people_lookup.html", title=_("Find a person"), values={}, errors={}, result=None,
                strengths=_strengths())


@bp.post("/people/lookup")
def people_lookup_run() -> tuple[str, int]:
    _lookers_only()
    body, values = _asked()
    try:
        loaded = LookupBody().load(body)
    except ValidationError as exc:
        return page("people_lookup.html", title=_("Find a person"), values=values, errors=_errors(exc), result=None,
                    strengths=_strengths()), 400
    found = api_people.look_up(loaded["names"], loaded["birth_year"])
    return page("people_lookup.html", title=_("Find a person"), values=values, errors={}, result=found,
                strengths=_strengths()), 200


@bp.post("/people/access-requests")
def people_request_access() -> Any:
    _lookers_only()
    body, values = _asked()
    body.update(office=request.form.get("office", "")[:40], reason=request.form.get("reason", "")[:500])
    try:
        api_people.ask_access(AccessRequestBody().load(body))
    except ValidationError as exc:
        flash(" ".join(m for ms in _errors(exc).values() for m in ms) or _("The request is incomplete."), "error")
        found = api_people.look_up(*_names_and_year(body))
        return page("people_lookup.html", title=_("Find a person"), values=values, errors={}, result=found,
                    strengths=_strengths()), 400
    except ApiError as exc:
        if exc.status != 409:
            raise
        flash(_("No case of %(office)s that you may not read matches this person.", office=body["office"]), "error")
        return redirect(url_for("web.people_lookup"), code=303)
    flash(_("Your request was sent to the Team Leaders of %(office)s.", office=body["office"]), "success")
    return redirect(url_for("web.people_requests"), code=303)


def _names_and_year(body: dict[str, Any]) -> tuple[list[str], int | None]:
    year = body.get("birth_year")
    return body.get("names") or ["-"], year if isinstance(year, int) and 1880 <= year <= 2100 else None


@bp.get("/people/requests")
def people_requests() -> str:
    _lookers_only()
    return page("people_requests.html", title=_("Access requests"), result=api_people.requests_of(me()))


def _refused_by_api(exc: ApiError, conflict: str) -> None:
    if exc.status == 403:
        abort(403, _("Only a Team Leader of the office decides on access to its cases."))
    if exc.status == 404:
        abort(404)
    flash(conflict, "error")


@bp.post("/people/requests/<request_id>/decision")
def people_decide(request_id: str) -> Response:
    grant = request.form.get("decision") == "grant"
    reason = request.form.get("reason", "").strip()[:500] or None
    days = request.form.get("days", "").strip()
    try:
        body = AccessDecisionBody().load({"grant": grant, "reason": reason,
                                          **({"days": int(days) if days.isdigit() else days} if days else {})})
        decided = api_people.decide(request_id, grant, reason, body["days"])
    except ValidationError as exc:
        flash(_("A grant lasts 1 to 365 days.") if "days" in exc.messages
              else _("Say why you grant or refuse access."), "error")
    except ApiError as exc:
        _refused_by_api(exc, _("This request was decided already."))
    else:
        flash(_("Access granted to %(user)s until %(end)s.", user=decided["requester"],
                end=decided["expires_at"].strftime("%Y-%m-%d %H:%M UTC")) if grant
              else _("Access refused to %(user)s.", user=decided["requester"]), "success")
    return redirect(url_for("web.people_requests"), code=303)


@bp.post("/people/requests/<request_id>/revocation")
def people_revoke(request_id: str) -> Response:
    reason = request.form.get("reason", "").strip()[:500]
    try:
        RevocationBody().load({"reason": reason})
        revoked = api_people.revoke(request_id, reason)
    except ValidationError:
        flash(_("Say why you revoke this access."), "error")
    except ApiError as exc:
        _refused_by_api(exc, _("This access is no longer in force."))
    else:
        flash(_("Access of %(user)s revoked.", user=revoked["requester"]), "success")
    return redirect(url_for("web.people_requests"), code=303)
