"""The case workflow: which command is allowed, by whom, in which stage, and what event it makes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from marshmallow import ValidationError

from schemas.people import ConsentSchema
from schemas.text import normalised, refusal
from schemas.vocabulary import CLOSURE_REASONS, DELAY_REASONS, FOLLOW_UP_KINDS, OPEN_STAGES
from services.casework.domain import amendments, consent, identity_corrections
from services.casework.domain import commands as c
from services.casework.domain.case import Case, Event
from services.casework.domain.errors import CommandRefused, InvalidValue
from services.casework.domain.roles import User, is_team_leader_of, may_update

MAX_DELAY = timedelta(days=30)  # a justified delay pauses the stall clock at most this far ahead
NEXT_STAGE = {"preliminary": "investigation", "investigation": "concluded"}
EARLY_CLOSURE_REASONS = ("unsubstantiated", "duplicate", "merged")
# Details are amended while the case is worked on; a closure pending or decided is on the details as they stand
# (a Director reopens a closed case, or rejects the closure, to amend it).
AMENDABLE_AT = ("reported", *OPEN_STAGES)
MAX_TEXT = 4000  # as in schemas.case (ActivityLogged.description, ClosureRequested.note, CaseReopened.reason)


def decide(case: Case, command: c.Command, actor: User, now: datetime,
           assignee: User | None = None, stall_due: datetime | None = None) -> list[Event]:
    """Check a command against the rules and return the events it makes (never changes state itself).

    `stall_due`: when the case's running stall clock falls due, as the monitor last scheduled it (dated activities
    are bounded by it once it has passed)."""
    if not actor.active:
        raise CommandRefused(f"user {actor.username} is deactivated")
    rule = _RULES.get(type(command))
    if rule is None:
        raise CommandRefused(f"unknown command {type(command).__name__}")
    event_type, payload = rule(case, command, actor, now, assignee)
    at = _dated(case, command, now, stall_due)
    return [Event(event_type, {**case.common(actor.username, payload.pop("stage", None),
                                             payload.pop("assignee", None)), **payload}, at)]


def last_change(case: Case) -> datetime:
    """The time of the case's latest dated change that moves a clock (registration, recording, activity, stage,
    review, delay, closure): an activity dated before it would reach the monitor out of order."""
    times = [case.registered_at, case.recorded_at, case.last_activity_at, case.last_review_at, case.closed_at,
             (case.delay or {}).get("at"), (case.closure or {}).get("requested_at")]
    return max(t for t in times if t is not None)


def dating_refusal(case: Case, at: datetime, now: datetime, stall_due: datetime | None) -> str | None:
    """Why an activity cannot be dated `at` (work done before it is logged), or None. The one rule for every way an
    activity is logged: not ahead of now; not before the case's last change (its events stay in time order, which is
    how the monitor reads them); and not before its stall clock's deadline once that has passed, since the monitor
    has fired the breach then and a replay of the log, which restarts the clock at the activity's time, must fire
    the same breach."""
    if at > now:
        return f"when the activity was done: {at:%Y-%m-%d %H:%M} UTC is in the future"
    latest = last_change(case)
    if at < latest:
        return (f"when the activity was done: not before the case's last change, {latest:%Y-%m-%d %H:%M} UTC "
                "(its history stays in order)")
    if stall_due is not None and stall_due <= now and at < stall_due:
        return (f"when the activity was done: not before {stall_due:%Y-%m-%d %H:%M} UTC, when the case's stall clock "
                "fell due (its breach is on record)")
    return None


def _dated(case: Case, command: c.Command, now: datetime, stall_due: datetime | None) -> datetime:
    """The event's time: now, or the time a dated activity was done, within `dating_refusal`'s bounds."""
    at = command.at if isinstance(command, c.LogActivity) else None
    if at is None or at == now:
        return now
    refusal = dating_refusal(case, at, now, stall_due)
    if refusal:
        raise InvalidValue("at", refusal)
    return at


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise CommandRefused(message)


def _updater(case: Case, actor: User) -> None:
    _require(
        may_update(actor, case.office, case.assignee),
        f"only the assigned officer ({case.assignee or 'nobody yet'}) or a Team Leader of {case.office} "
        f"may update case {case.reference}",
    )


def _stage(case: Case, allowed: tuple[str, ...], action: str) -> None:
    _require(case.stage in allowed,
             f"cannot {action} case {case.reference} at stage '{case.stage}' (allowed at: {', '.join(allowed)})")


def _text(value: str, what: str) -> str:
    _require(bool(value and value.strip()), f"{what} is required")
    # The event schemas cap these texts; refuse here so the officer gets a reason, not a failed emit.
    _require(len(value.strip()) <= MAX_TEXT, f"{what} is too long (at most {MAX_TEXT} characters)")
    return value.strip()


def _record(case: Case, cmd: Any, actor: User, now: datetime, _: Any) -> tuple[str, dict]:
    _stage(case, ("reported",), "record")
    _updater(case, actor)
    return "CaseRecorded", {"stage": "preliminary", "reported_at": case.reported_at, "note": cmd.note}


def _assign(case: Case, cmd: Any, actor: User, now: datetime, assignee: User | None) -> tuple[str, dict]:
    _require(is_team_leader_of(actor, case.office), f"only a Team Leader of {case.office} assigns its cases")
    _require(case.stage != "closed", f"case {case.reference} is closed")
    _require(assignee is not None and assignee.active, f"no active user named {cmd.assignee!r}")
    assert assignee is not None
    _require(assignee.role == "hro" and assignee.office == case.office,
             f"{assignee.username} is not a Human Rights Officer of {case.office}")
    _require(assignee.username != case.assignee, f"case {case.reference} is already assigned to {assignee.username}")
    return "CaseAssigned", {"assignee": assignee.username, "previous_assignee": case.assignee}


def _activity(case: Case, cmd: Any, actor: User, now: datetime, _: Any) -> tuple[str, dict]:
    _stage(case, OPEN_STAGES, "log activity on")
    _updater(case, actor)
    return "ActivityLogged", {"description": _text(cmd.description, "a description of the activity")}


def _advance(case: Case, cmd: Any, actor: User, now: datetime, _: Any) -> tuple[str, dict]:
    _stage(case, tuple(NEXT_STAGE), "advance")
    _updater(case, actor)
    _require(cmd.stage == NEXT_STAGE[case.stage],
             f"case {case.reference} at '{case.stage}' can only move on to '{NEXT_STAGE[case.stage]}'")
    return "StageChanged", {"stage": cmd.stage, "previous_stage": case.stage, "note": cmd.note}


def _delay(case: Case, cmd: Any, actor: User, now: datetime, _: Any) -> tuple[str, dict]:
    _stage(case, OPEN_STAGES, "justify a delay on")
    _updater(case, actor)
    _require(cmd.reason in DELAY_REASONS, f"delay reason must be one of {', '.join(DELAY_REASONS)}")
    _require(now < cmd.until <= now + MAX_DELAY,
             f"a delay may pause the clock until a date after now and at most {MAX_DELAY.days} days ahead")
    return "DelayJustified", {"reason": cmd.reason, "until": cmd.until, "note": cmd.note}


def _review(case: Case, cmd: Any, actor: User, now: datetime, _: Any) -> tuple[str, dict]:
    _require(is_team_leader_of(actor, case.office), f"only a Team Leader of {case.office} reviews its cases")
    _stage(case, (*OPEN_STAGES, "closure_requested"), "review")
    return "CaseReviewed", {"note": cmd.note}


def _request_closure(case: Case, cmd: Any, actor: User, now: datetime, _: Any) -> tuple[str, dict]:
    _stage(case, OPEN_STAGES, "propose closure of")
    if actor.role != "director":
        _updater(case, actor)
    _require(cmd.reason in CLOSURE_REASONS, f"closure reason must be one of {', '.join(CLOSURE_REASONS)}")
    if case.stage != "concluded":
        _require(cmd.reason in EARLY_CLOSURE_REASONS,
                 f"before findings are concluded a case can only be closed as {', '.join(EARLY_CLOSURE_REASONS)}")
    note = _text(cmd.note, "a reason for the closure")
    return "ClosureRequested", {"stage": "closure_requested", "previous_stage": case.stage,
                                "reason": cmd.reason, "note": note}


def _decision(case: Case, actor: User, verb: str) -> str:
    _stage(case, ("closure_requested",), f"{verb} the closure of")
    assert case.closure is not None
    _require(actor.role == "director", "only the Director or a Deputy Director decides on a closure")
    proposer = str(case.closure["proposer"])
    _require(proposer != actor.username,
             f"you proposed this closure; another Director or Deputy Director must {verb} it (four eyes)")
    return proposer


def _approve(case: Case, cmd: Any, actor: User, now: datetime, _: Any) -> tuple[str, dict]:
    proposer = _decision(case, actor, "approve")
    return "ClosureApproved", {"stage": "closed", "proposer": proposer, "note": cmd.note}


def _reject(case: Case, cmd: Any, actor: User, now: datetime, _: Any) -> tuple[str, dict]:
    proposer = _decision(case, actor, "reject")
    assert case.closure is not None
    note = _text(cmd.note, "a reason for rejecting the closure")
    return "ClosureRejected", {"stage": case.closure["previous_stage"], "proposer": proposer, "note": note}


def _follow_up(case: Case, cmd: Any, actor: User, now: datetime, _: Any) -> tuple[str, dict]:
    _stage(case, ("concluded", "closure_requested", "closed"), "record a follow-up on")
    if actor.role != "director":
        _updater(case, actor)
    _require(cmd.kind in FOLLOW_UP_KINDS, f"follow-up kind must be one of {', '.join(FOLLOW_UP_KINDS)}")
    partner = " ".join((cmd.partner or "").split()) or None
    problem = consent.sharing_refusal(case.details.get("people") or [], cmd.kind, partner)
    if problem and problem.startswith("partner:"):
        raise InvalidValue("partner", problem)
    _require(problem is None, problem or "")
    return "FollowUpRecorded", {"kind": cmd.kind, "note": cmd.note, "partner": partner}


def _consent_of(case: Case, cmd: Any, actor: User, action: str = "record consent on") -> None:
    """A person's consent or identity: at any stage, closed included (a person may withdraw, or have their data
    corrected, whenever they ask); by those who update the case, or a Director."""
    _stage(case, (*AMENDABLE_AT, "closure_requested", "closed"), action)
    if actor.role != "director":
        _updater(case, actor)
    refs = ", ".join(p["ref"] for p in case.details.get("people") or [])
    if not refs:
        raise InvalidValue("person", f"person: case {case.reference} records no people")
    if consent.person(case.details, cmd.person) is None:
        raise InvalidValue("person", f"person: case {case.reference} has no person {cmd.person!r} (people: {refs})")


def _record_consent(case: Case, cmd: Any, actor: User, now: datetime, _: Any) -> tuple[str, dict]:
    _consent_of(case, cmd, actor)
    try:
        given = ConsentSchema().load({**cmd.consent, "withdrawn_at": None})
    except ValidationError as exc:
        name, problem = next(iter(exc.normalized_messages().items()))
        raise InvalidValue(name, f"{name}: {problem}") from None
    if given["obtained_at"] is not None and given["obtained_at"] > now:
        raise InvalidValue("obtained_at", "obtained_at: is in the future")
    return "ConsentRecorded", {"person": cmd.person, "consent": {**given, "obtained_by": given["obtained_by"]
                                                                 or actor.username,
                                                                 "obtained_at": given["obtained_at"] or now}}


def _withdraw_consent(case: Case, cmd: Any, actor: User, now: datetime, _: Any) -> tuple[str, dict]:
    _consent_of(case, cmd, actor)
    try:
        items = consent.check_items(cmd.withdrawn)
    except ValueError as exc:
        raise InvalidValue("withdrawn", str(exc)) from None
    at = cmd.withdrawn_at or now
    if at > now:
        raise InvalidValue("withdrawn_at", "withdrawn_at: is in the future")
    return "ConsentWithdrawn", {"person": cmd.person, "withdrawn": items, "withdrawn_at": at,
                                "partners": [" ".join(p.split()) for p in cmd.partners if p.strip()],
                                "note": (cmd.note or "").strip()}


def _correct_identity(case: Case, cmd: Any, actor: User, now: datetime, _: Any) -> tuple[str, dict]:
    _consent_of(case, cmd, actor, "correct an identity on")
    reason = identity_corrections.reason_of(normalised(cmd.reason or ""))
    if refusal(reason):
        raise InvalidValue("reason", f"reason: {refusal(reason)}")
    changed, after = identity_corrections.corrected(cmd.current, cmd.given)
    # `identity` is in the clear here: the handler seals it before the event leaves (ADR 20).
    return "IdentityCorrected", {"person": cmd.person, "changed": changed, "reason": reason, "identity": after}


def _reopen(case: Case, cmd: Any, actor: User, now: datetime, _: Any) -> tuple[str, dict]:
    _stage(case, ("closed",), "reopen")
    _require(actor.role == "director", "only the Director or a Deputy Director reopens a closed case")
    return "CaseReopened", {"stage": "investigation", "reason": _text(cmd.reason, "a reason to reopen")}


def _amend(case: Case, cmd: Any, actor: User, now: datetime, _: Any) -> tuple[str, dict]:
    _stage(case, AMENDABLE_AT, "amend the incident of")
    if actor.role != "director":
        _updater(case, actor)
    reason = normalised(cmd.reason or "").strip()
    if refusal(reason):
        raise InvalidValue("reason", f"reason: {refusal(reason)}")
    if not reason:
        raise InvalidValue("reason", "reason: say why the incident's details are amended")
    if len(reason) > amendments.MAX_REASON:
        raise InvalidValue("reason", f"reason: at most {amendments.MAX_REASON} characters")
    return "IncidentAmended", {"reason": reason,
                               "changes": amendments.checked(case.details, cmd.changes, case.reported_at)}


_RULES: dict[type, Callable[[Case, Any, User, datetime, User | None], tuple[str, dict]]] = {
    c.RecordCase: _record,
    c.AssignCase: _assign,
    c.LogActivity: _activity,
    c.AdvanceStage: _advance,
    c.JustifyDelay: _delay,
    c.ReviewCase: _review,
    c.RequestClosure: _request_closure,
    c.ApproveClosure: _approve,
    c.RejectClosure: _reject,
    c.RecordFollowUp: _follow_up,
    c.ReopenCase: _reopen,
    c.AmendIncident: _amend,
    c.RecordConsent: _record_consent,
    c.WithdrawConsent: _withdraw_consent,
    c.CorrectIdentity: _correct_identity,
}
