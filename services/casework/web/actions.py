"""Which workflow forms a case page offers, asked of the same policy and workflow rules that the API enforces.

Nothing here decides anything: a form shown by mistake would still be refused on the server, and a form hidden
here is one the server would refuse. Each offer is a dry run of the command with placeholder values.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from marshmallow import Schema

from schemas.vocabulary import DELAY_REASONS
from services.casework.api.commands import COMMANDS, Build
from services.casework.api.schemas import PersonIdentityCorrectionBody, TypedAmendment
from services.casework.auth.policy import command_refusal
from services.casework.domain import commands as c
from services.casework.domain.case import Case
from services.casework.domain.errors import CommandRefused
from services.casework.domain.roles import User
from services.casework.domain.workflow import NEXT_STAGE, decide
from services.casework.web import dates, people_fields

BY_NAME: dict[str, tuple[type[Schema], Build]] = {name: (body, build) for name, _, body, build, _ in COMMANDS}
AMEND_PEOPLE = "amend-people"  # a second form of the same command: the case page's people and acts amended
# The amendment forms check their values in the workflow, which words each at its field (a row's own field for people
# and acts) as the incident form does; the API checks them first against its published schema.
_AMEND: tuple[type[Schema], Build] = (TypedAmendment, BY_NAME["amend-incident"][1])
CORRECT_IDENTITY = "correct-identity"  # a person's identifying fields, a form per person (only beside identities)
_CORRECT: tuple[type[Schema], Build] = (
    PersonIdentityCorrectionBody, lambda cid, actor, b: c.CorrectIdentity(cid, actor, b["person"], b["given"],
                                                                          b["reason"]))
FORMS: dict[str, tuple[type[Schema], Build]] = {**BY_NAME, "amend-incident": _AMEND, AMEND_PEOPLE: _AMEND,
                                                CORRECT_IDENTITY: _CORRECT}
PLACEHOLDER = "-"


def _probe(name: str, case: Case, user: User, now: datetime) -> c.Command:
    cid, me = case.case_id, user.username
    probes: dict[str, Callable[[], c.Command]] = {
        "record": lambda: c.RecordCase(cid, me),
        "assign": lambda: c.AssignCase(cid, me, "\x00"),
        "log-activity": lambda: c.LogActivity(cid, me, PLACEHOLDER),
        "advance": lambda: c.AdvanceStage(cid, me, NEXT_STAGE.get(case.stage, "investigation")),
        "justify-delay": lambda: c.JustifyDelay(cid, me, DELAY_REASONS[0], now + timedelta(days=1)),
        "review": lambda: c.ReviewCase(cid, me),
        "request-closure": lambda: c.RequestClosure(
            cid, me, "concluded" if case.stage == "concluded" else "unsubstantiated", PLACEHOLDER),
        "approve-closure": lambda: c.ApproveClosure(cid, me),
        "reject-closure": lambda: c.RejectClosure(cid, me, PLACEHOLDER),
        # A follow-up that shares nobody: whether a handover may share the people is checked when it is sent.
        "record-follow-up": lambda: c.RecordFollowUp(cid, me, "other"),
        "reopen": lambda: c.ReopenCase(cid, me, PLACEHOLDER),
        "record-consent": lambda: c.RecordConsent(cid, me, _first_person(case), {}),
        "withdraw-consent": lambda: c.WithdrawConsent(cid, me, _first_person(case), ("all",)),
        CORRECT_IDENTITY: lambda: c.CorrectIdentity(cid, me, _first_person(case), {"names": [PLACEHOLDER]},
                                                    PLACEHOLDER),
        # A dry run that changes something valid: the location to another two letters.
        "amend-incident": lambda: c.AmendIncident(cid, me, PLACEHOLDER, {"location": {
            "old": case.details.get("location"), "new": "xx" if case.details.get("location") != "xx" else "yy"}}),
    }
    return probes[name]()


def _first_person(case: Case) -> str:
    people = case.details.get("people") or []
    return str(people[0]["ref"]) if people else "\x00"


def refusal(name: str, case: Case, user: User, now: datetime) -> str | None:
    """Why `user` may not give this command on this case now (policy first, then the workflow), or None."""
    command = _probe(name, case, user, now)
    reason = command_refusal(user, command, case)
    if reason:
        return reason
    stand_in = User("\x00", "hro", case.office) if name == "assign" else None
    try:
        decide(case, command, user, now, stand_in)
    except CommandRefused as exc:
        return str(exc)
    return None


def offered(case: Case, user: User, now: datetime) -> dict[str, str | None]:
    """Every command with the reason it is refused (None: the form is offered)."""
    return {name: refusal(name, case, user, now) for name in (*BY_NAME, CORRECT_IDENTITY)}


class UnreadableDate(ValueError):
    """A date or time typed in a form that cannot be read: which field, and whether it wants a time."""

    def __init__(self, field: str, with_time: bool):
        super().__init__(field)
        self.field, self.with_time = field, with_time


# The incident's facts the amendment form shows, as the case's details name them; victims as one count a group.
AMENDED_ON_THE_PAGE = ("occurred_at", "location", "violation_types", "perpetrator_category", "source_type", "victims",
                       "summary")
VICTIM_GROUPS = ("female_adult", "female_child", "male_adult", "male_child", "unknown")


def amendment_from_form(form: Any, locale: str) -> dict[str, Any]:
    """The API body of the amendment form: for each fact the page showed (its value then, as JSON in `old-FIELD`),
    the old value and what the form holds now; the workflow leaves out those that did not change."""
    changes: dict[str, Any] = {}
    for name in AMENDED_ON_THE_PAGE:
        if f"old-{name}" not in form:
            continue
        try:
            old = json.loads(form[f"old-{name}"])
        except ValueError:
            old = form[f"old-{name}"]
        if name == "violation_types":
            new: Any = form.getlist(name)
        elif name == "victims":
            new = {g: form.get(f"victims_{g}", "").strip() or "0" for g in VICTIM_GROUPS}
        elif name == "occurred_at":
            try:
                new = dates.parse_datetime(form.get(name, ""), locale).isoformat()
            except ValueError:
                raise UnreadableDate(name, True) from None
        else:
            new = form.get(name, "").strip()
        changes[name] = {"old": old, "new": new}
    return {"reason": form.get("reason", "").strip(), "changes": changes}


def amendment_values(details: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """The form's fields as the case holds them now (what it shows before anyone types)."""
    values: dict[str, Any] = {k: details.get(k) or "" for k in ("location", "perpetrator_category", "source_type",
                                                                 "summary")}
    values["violation_types"] = list(details.get("violation_types") or [])
    occurred = details.get("occurred_at")
    values["occurred_at"] = dates.show(datetime.fromisoformat(occurred), locale) if occurred else ""
    values |= {f"victims_{g}": str((details.get("victims") or {}).get(g, 0)) for g in VICTIM_GROUPS}
    return values


def consent_from_form(name: str, form: Any) -> dict[str, Any]:
    """The API body of the consent form: the person, then what they consent to (partners one a line or comma
    separated) or, to withdraw, the items ticked."""
    partners = [p.strip() for p in form.get("partners", "").replace("\n", ",").split(",") if p.strip()]
    body: dict[str, Any] = {"person": form.get("person", "").strip()}
    if name == "withdraw-consent":
        return body | {"withdrawn": form.getlist("withdrawn"), "partners": partners,
                       "note": form.get("note", "").strip()}
    return body | {"consent": {"recorded": "recorded" in form, "contact": "contact" in form, "share_with": partners,
                               "referral": "referral" in form}}


def correction_from_form(form: Any, locale: str) -> dict[str, Any]:
    """The body of a person's identity form: names one a line (the main one first), the date of birth in the reader's
    format or ISO, the contact; an empty date or contact clears it. The workflow keeps what did not change."""
    names = [line.strip() for line in form.get("names", "").split("\n") if line.strip()]
    born = form.get("date_of_birth", "").strip()
    try:
        day = f"{dates.parse_date(born, locale):%Y-%m-%d}" if born else None
    except ValueError:
        raise UnreadableDate("date_of_birth", False) from None
    return {"person": form.get("person", "").strip(), "reason": form.get("reason", "").strip(), "names": names,
            "date_of_birth": day, "contact": form.get("contact", "").strip() or None}


def body_from_form(name: str, form: Any, locale: str) -> dict[str, Any]:
    """The API body a form stands for (the same schema validates it); empty fields are left out. A date that cannot
    be read raises UnreadableDate."""
    if name == "amend-incident":
        return amendment_from_form(form, locale)
    if name in ("record-consent", "withdraw-consent"):
        return consent_from_form(name, form)
    if name == AMEND_PEOPLE:
        return people_fields.amendment_of_rows(form, locale)
    if name == CORRECT_IDENTITY:
        return correction_from_form(form, locale)
    fields = {"record": ("note",), "assign": ("assignee",), "log-activity": ("description", "at"),
              "advance": ("stage", "note"), "justify-delay": ("reason", "until", "note"), "review": ("note",),
              "request-closure": ("reason", "note"), "approve-closure": ("note",), "reject-closure": ("note",),
              "record-follow-up": ("kind", "note", "partner"), "reopen": ("reason",)}[name]
    body = {f: form.get(f, "").strip() for f in fields if form.get(f, "").strip()}
    try:
        if "until" in body:  # a day typed in the reader's format or ISO: the start of that day, UTC
            body["until"] = f"{dates.parse_date(body['until'], locale):%Y-%m-%d}T00:00:00+00:00"
    except ValueError:
        raise UnreadableDate("until", False) from None
    try:
        if "at" in body:  # when the work was done: a date and time in the reader's format or ISO, UTC
            body["at"] = dates.parse_datetime(body["at"], locale).isoformat()
    except ValueError:
        raise UnreadableDate("at", True) from None
    return body
