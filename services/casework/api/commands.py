"""The workflow commands on a case, one endpoint each: checked for who you are (403) and where the case is (409)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema

from services.casework.adapters import schedules
from services.casework.api import present, schemas
from services.casework.api.bodies import Blueprint
from services.casework.api.common import documented, emitted, readable_case
from services.casework.api.errors import ApiError, forbidden
from services.casework.api.request import context, now, user
from services.casework.domain import commands as c
from services.casework.domain.errors import CommandRefused, InvalidValue, NotPermitted

blp = Blueprint("commands", __name__, description="Workflow commands on a case (each emits a case event)")
Build = Callable[[str, str, dict[str, Any]], c.Command]


def run(ref: str, build: Build, body: dict[str, Any]) -> dict[str, Any]:
    """Authorise and execute in one unit of work; a refusal of any kind leaves everything as it was."""
    ctx, caller, at = context(), user(), now()
    with ctx.casework.unit_of_work() as uow:
        case = readable_case(uow.conn, ref)
        try:
            out = uow.execute(build(case.case_id, caller.username, body), at, caller)
        except NotPermitted as exc:
            raise forbidden(str(exc)) from None
        except InvalidValue as exc:  # a value given, refused whatever the case's state: named, as a 400
            raise ApiError(400, "bad_request", str(exc), {exc.field: [str(exc)]}) from None
        except CommandRefused as exc:
            raise ApiError(409, "conflict", str(exc)) from None
        after = uow.case(case.case_id)
        # The schedules the monitor last published: the event's own ones follow asynchronously (ADR 0011).
        clocks = schedules.for_cases(uow.conn, [case.case_id])[case.case_id]
    assert after is not None
    return {"case": present.summary(after, at, clocks), "events": emitted(out)}


def endpoint(name: str, path: str, body: type[Schema], build: Build, doc: str) -> None:
    def view(payload: dict[str, Any], ref: str) -> dict[str, Any]:
        return run(ref, build, payload)

    view.__name__ = name.replace("-", "_")
    view.__doc__ = doc
    decorated = documented(blp, 400, 403, 404, 409)(view)
    decorated = blp.response(200, schemas.CommandResultSchema)(decorated)
    decorated = blp.arguments(body)(decorated)
    blp.route(path, methods=["POST"], endpoint=name)(decorated)


COMMANDS: tuple[tuple[str, str, type[Schema], Build, str], ...] = (
    ("record", "/cases/<ref>/record", schemas.NoteBody,
     lambda cid, actor, b: c.RecordCase(cid, actor, b["note"]),
     "Record a reported incident as a case (assigned HRO or Team Leader; starts the preliminary stage)."),
    ("assign", "/cases/<ref>/assign", schemas.AssignBody,
     lambda cid, actor, b: c.AssignCase(cid, actor, b["assignee"]),
     "Assign the case to an HRO of its office (Team Leader of the office)."),
    ("log-activity", "/cases/<ref>/activities", schemas.ActivityBody,
     lambda cid, actor, b: c.LogActivity(cid, actor, b["description"], b.get("at")),
     "Log investigative work (assigned HRO or Team Leader); restarts the stall clock from when it was done "
     "(`at`: now, or a past time not before the case's last change nor a stall deadline already passed; 400 "
     "otherwise)."),
    ("advance", "/cases/<ref>/advance", schemas.AdvanceBody,
     lambda cid, actor, b: c.AdvanceStage(cid, actor, b["stage"], b["note"]),
     "Move the case to its next stage: investigation, then concluded."),
    ("justify-delay", "/cases/<ref>/delays", schemas.DelayBody,
     lambda cid, actor, b: c.JustifyDelay(cid, actor, b["reason"], b["until"], b["note"]),
     "Justify a delay: pauses the stall clock until a date at most 30 days ahead."),
    ("review", "/cases/<ref>/reviews", schemas.NoteBody,
     lambda cid, actor, b: c.ReviewCase(cid, actor, b["note"]),
     "Record a Team Leader's review of an open case."),
    ("request-closure", "/cases/<ref>/closure/request", schemas.ClosureRequestBody,
     lambda cid, actor, b: c.RequestClosure(cid, actor, b["reason"], b["note"]),
     "Propose closure, with a reason (assigned HRO, Team Leader, or a Director)."),
    ("approve-closure", "/cases/<ref>/closure/approve", schemas.NoteBody,
     lambda cid, actor, b: c.ApproveClosure(cid, actor, b["note"]),
     "Director: approve a closure proposed by someone else (four eyes)."),
    ("reject-closure", "/cases/<ref>/closure/reject", schemas.RejectBody,
     lambda cid, actor, b: c.RejectClosure(cid, actor, b["note"]),
     "Director: reject a closure, with a reason; the case goes back to its previous stage."),
    ("record-follow-up", "/cases/<ref>/follow-ups", schemas.FollowUpBody,
     lambda cid, actor, b: c.RecordFollowUp(cid, actor, b["kind"], b["note"], b.get("partner")),
     "Record a follow-up (for example, handover to national authorities). A handover or a referral of a case with "
     "people is refused (409, naming each person and the consent missing) unless every victim, witness and source "
     "consented to sharing with `partner` (a handover) or to referral."),
    ("reopen", "/cases/<ref>/reopen", schemas.ReopenBody,
     lambda cid, actor, b: c.ReopenCase(cid, actor, b["reason"]),
     "Director: reopen a closed case, with a reason."),
    ("amend-incident", "/cases/<ref>/amendments", schemas.AmendmentBody,
     lambda cid, actor, b: c.AmendIncident(cid, actor, b["reason"], b["changes"]),
     "Amend the accepted incident's details (assigned HRO, Team Leader of the office, or a Director; not once a "
     "closure is requested or the case is closed). `changes` maps each field of the incident as written to its "
     "`old` value (as the case holds it: 409 if it changed since) and its `new` one (422 if invalid on its own, "
     "400 if it breaks a rule across fields). `reported_at` is never amended: it anchors the recording clock."),
    ("record-consent", "/cases/<ref>/consent", schemas.ConsentBody,
     lambda cid, actor, b: c.RecordConsent(cid, actor, b["person"], b["consent"]),
     "Record a person's consent obtained after intake (assigned HRO, Team Leader of the office, or a Director; at "
     "any stage); 400 naming the field for an unknown person or a bad value."),
    ("withdraw-consent", "/cases/<ref>/consent/withdrawals", schemas.ConsentWithdrawalBody,
     lambda cid, actor, b: c.WithdrawConsent(cid, actor, b["person"], tuple(b["withdrawn"]), tuple(b["partners"]),
                                             b.get("withdrawn_at"), b["note"]),
     "Record that a person withdrew all or part of their consent: later handovers, referrals and exports leave "
     "them out (ADR 0015)."),
)

for _name, _path, _body, _build, _doc in COMMANDS:
    endpoint(_name, _path, _body, _build, _doc)


@blp.route("/cases/<ref>/people/<person>/identity", methods=["POST"], endpoint="correct-identity")
@blp.arguments(schemas.IdentityCorrectionBody)
@blp.response(200, schemas.CommandResultSchema)
@documented(blp, 400, 403, 404, 409)
def correct_identity(payload: dict[str, Any], ref: str, person: str) -> dict[str, Any]:
    """Correct a person's identifying fields: names (with spelling variants), date of birth, contact (assigned HRO,
    Team Leader of the office, or a Director; at any stage). The fields given replace the person's, those left out
    are kept. The history names the fields corrected and the reason, never a value; the corrected identity is
    sealed (ADR 20). 400 naming the field for an unknown person or a bad value, 409 when nothing changes."""
    return run(ref, lambda cid, actor, b: c.CorrectIdentity(cid, actor, person, b["given"], b["reason"]), payload)
