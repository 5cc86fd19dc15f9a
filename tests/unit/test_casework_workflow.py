"""The case workflow: each command allowed or refused by role, office, assignment and stage, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from schemas.registry import dump_payload
from schemas.vocabulary import OPEN_STAGES, STAGES
from services.casework.domain import commands as c
from services.casework.domain.case import Case, Event
from services.casework.domain.errors import CommandRefused
from services.casework.domain.roles import User
from services.casework.domain.workflow import decide

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=2)

AWA = User("awa", "hro", "Mopti")  # the assigned officer
BAKARY = User("bakary", "hro", "Mopti")
GARBA = User("garba", "hro", "Gao")
TL_MOPTI = User("tl_mopti", "team_leader", "Mopti")
TL_GAO = User("tl_gao", "team_leader", "Gao")
DIRECTOR = User("director", "director", "Bamako")
DEPUTY = User("deputy", "director", "Bamako")
AUDITOR = User("auditor", "auditor", "Mopti")
ADMIN = User("admin", "admin", "Mopti")

OUTSIDERS = [BAKARY, GARBA, TL_GAO, AUDITOR, ADMIN]  # may not update a Mopti case assigned to awa
UPDATERS = [AWA, TL_MOPTI]
NOT_DIRECTORS = [AWA, TL_MOPTI, TL_GAO, AUDITOR, ADMIN]
by_name = lambda u: u.username  # noqa: E731


def case_at(stage: str = "reported", assignee: str | None = "awa", proposer: str = "tl_mopti",
            previous_stage: str = "concluded") -> Case:
    closure = None
    if stage in ("closure_requested", "closed"):
        closure = {"proposer": proposer, "reason": "concluded", "note": "findings published",
                   "previous_stage": previous_stage, "requested_at": T0}
    return Case(case_id="case-1", reference="MOP-2026-0001", incident_key="SR-1#1", office="Mopti", stage=stage,
                reported_at=T0, registered_at=T0, assignee=assignee, closure=closure)


def one(case: Case, command: c.Command, actor: User, assignee: User | None = None) -> Event:
    events = decide(case, command, actor, NOW, assignee)
    assert len(events) == 1
    return events[0]


def refused(case: Case, command: c.Command, actor: User, match: str, assignee: User | None = None) -> None:
    with pytest.raises(CommandRefused, match=match):
        decide(case, command, actor, NOW, assignee)


def stages_except(*allowed: str) -> list[str]:
    return [s for s in STAGES if s not in allowed]


# Every command ------------------------------------------------------------------------------------------

def test_every_event_carries_the_case_its_stage_after_the_event_the_actor_and_the_assignee() -> None:
    event = one(case_at("preliminary"), c.LogActivity("case-1", "awa", "met two witnesses"), AWA)
    assert {k: event.payload[k] for k in ("case_id", "reference", "office", "stage", "actor", "assignee")} == {
        "case_id": "case-1", "reference": "MOP-2026-0001", "office": "Mopti", "stage": "preliminary",
        "actor": "awa", "assignee": "awa"}
    assert event.occurred_at == NOW


def test_a_deactivated_user_may_do_nothing_even_on_their_own_case() -> None:
    refused(case_at(), c.RecordCase("case-1", "awa"), replace(AWA, active=False), "user awa is deactivated")


def test_a_command_the_workflow_does_not_know_is_refused_by_name() -> None:
    refused(case_at(), c.AcknowledgeAlert("case-1", "tl_mopti", "alert-1"), TL_MOPTI,
            "unknown command AcknowledgeAlert")


def test_deciding_never_changes_the_case_itself() -> None:
    case = case_at()
    decide(case, c.RecordCase("case-1", "awa"), AWA, NOW)
    assert case == case_at()


# RecordCase ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("actor", UPDATERS, ids=by_name)
def test_the_assigned_officer_or_a_team_leader_of_the_office_records_a_reported_case(actor: User) -> None:
    event = one(case_at(), c.RecordCase("case-1", actor.username, "entered from sitrep 12"), actor)
    assert (event.type, event.payload["stage"], event.payload["note"]) == ("CaseRecorded", "preliminary",
                                                                           "entered from sitrep 12")


@pytest.mark.parametrize("actor", [*OUTSIDERS, DIRECTOR], ids=by_name)
def test_nobody_else_records_a_case(actor: User) -> None:
    refused(case_at(), c.RecordCase("case-1", actor.username), actor,
            r"only the assigned officer \(awa\) or a Team Leader of Mopti may update case MOP-2026-0001")


def test_an_unassigned_case_is_recorded_by_a_team_leader_not_by_any_officer() -> None:
    refused(case_at(assignee=None), c.RecordCase("case-1", "awa"), AWA, r"assigned officer \(nobody yet\)")
    assert one(case_at(assignee=None), c.RecordCase("case-1", "tl_mopti"), TL_MOPTI).type == "CaseRecorded"


@pytest.mark.parametrize("stage", stages_except("reported"))
def test_a_case_is_recorded_only_once_while_reported(stage: str) -> None:
    refused(case_at(stage), c.RecordCase("case-1", "awa"), AWA,
            f"cannot record case MOP-2026-0001 at stage '{stage}' \\(allowed at: reported\\)")


# AssignCase ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stage", stages_except("closed"))
def test_a_team_leader_assigns_a_case_to_an_active_officer_of_the_office(stage: str) -> None:
    event = one(case_at(stage), c.AssignCase("case-1", "tl_mopti", "bakary"), TL_MOPTI, BAKARY)
    assert event.type == "CaseAssigned"
    assert (event.payload["assignee"], event.payload["previous_assignee"]) == ("bakary", "awa")
    assert event.payload["stage"] == stage


def test_a_first_assignment_has_no_previous_assignee() -> None:
    event = one(case_at(assignee=None), c.AssignCase("case-1", "tl_mopti", "awa"), TL_MOPTI, AWA)
    assert (event.payload["assignee"], event.payload["previous_assignee"]) == ("awa", None)


@pytest.mark.parametrize("actor", [AWA, BAKARY, TL_GAO, DIRECTOR, AUDITOR, ADMIN], ids=by_name)
def test_nobody_but_a_team_leader_of_the_office_assigns_its_cases(actor: User) -> None:
    refused(case_at(), c.AssignCase("case-1", actor.username, "bakary"), actor,
            "only a Team Leader of Mopti assigns its cases", BAKARY)


def test_a_closed_case_is_not_assigned() -> None:
    refused(case_at("closed"), c.AssignCase("case-1", "tl_mopti", "bakary"), TL_MOPTI,
            "case MOP-2026-0001 is closed", BAKARY)


def test_a_case_is_not_assigned_to_an_unknown_user() -> None:
    refused(case_at(), c.AssignCase("case-1", "tl_mopti", "ghost"), TL_MOPTI, "no active user named 'ghost'")


def test_a_case_is_not_assigned_to_a_deactivated_officer() -> None:
    refused(case_at(), c.AssignCase("case-1", "tl_mopti", "bakary"), TL_MOPTI, "no active user named 'bakary'",
            replace(BAKARY, active=False))


@pytest.mark.parametrize("assignee", [GARBA, TL_MOPTI, DIRECTOR, AUDITOR], ids=by_name)
def test_a_case_is_assigned_only_to_a_human_rights_officer_of_its_office(assignee: User) -> None:
    refused(case_at(), c.AssignCase("case-1", "tl_mopti", assignee.username), TL_MOPTI,
            f"{assignee.username} is not a Human Rights Officer of Mopti", assignee)


def test_assigning_a_case_to_its_current_officer_is_refused_as_a_no_op() -> None:
    refused(case_at(), c.AssignCase("case-1", "tl_mopti", "awa"), TL_MOPTI, "already assigned to awa", AWA)


# LogActivity --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stage", OPEN_STAGES)
@pytest.mark.parametrize("actor", UPDATERS, ids=by_name)
def test_activity_is_logged_on_an_open_case_by_its_officer_or_team_leader(stage: str, actor: User) -> None:
    event = one(case_at(stage), c.LogActivity("case-1", actor.username, "  visited the site  "), actor)
    assert (event.type, event.payload["stage"], event.payload["description"]) == (
        "ActivityLogged", stage, "visited the site")


@pytest.mark.parametrize("actor", [*OUTSIDERS, DIRECTOR], ids=by_name)
def test_nobody_else_logs_activity(actor: User) -> None:
    refused(case_at("investigation"), c.LogActivity("case-1", actor.username, "x"), actor,
            "only the assigned officer")


@pytest.mark.parametrize("stage", stages_except(*OPEN_STAGES))
def test_activity_is_not_logged_outside_the_open_stages(stage: str) -> None:
    refused(case_at(stage), c.LogActivity("case-1", "awa", "x"), AWA, f"cannot log activity on case .* '{stage}'")


@pytest.mark.parametrize("text", ["", "   "])
def test_an_activity_needs_a_description(text: str) -> None:
    refused(case_at("preliminary"), c.LogActivity("case-1", "awa", text), AWA,
            "a description of the activity is required")


def test_an_activity_description_longer_than_the_event_allows_is_refused_with_a_reason() -> None:
    refused(case_at("preliminary"), c.LogActivity("case-1", "awa", "x" * 4001), AWA,
            r"a description of the activity is too long \(at most 4000 characters\)")


# AdvanceStage -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("stage", "to"), [("preliminary", "investigation"), ("investigation", "concluded")])
@pytest.mark.parametrize("actor", UPDATERS, ids=by_name)
def test_a_case_advances_one_stage_at_a_time(stage: str, to: str, actor: User) -> None:
    event = one(case_at(stage), c.AdvanceStage("case-1", actor.username, to, "enough facts"), actor)
    assert (event.type, event.payload["stage"], event.payload["previous_stage"]) == ("StageChanged", to, stage)


def test_a_case_cannot_skip_investigation() -> None:
    refused(case_at("preliminary"), c.AdvanceStage("case-1", "awa", "concluded"), AWA,
            "at 'preliminary' can only move on to 'investigation'")


def test_advancing_cannot_be_used_to_close_a_case() -> None:
    refused(case_at("investigation"), c.AdvanceStage("case-1", "awa", "closed"), AWA,
            "at 'investigation' can only move on to 'concluded'")


@pytest.mark.parametrize("stage", ["reported", "concluded", "closure_requested", "closed"])
def test_no_stage_advances_by_this_command_outside_preliminary_and_investigation(stage: str) -> None:
    refused(case_at(stage), c.AdvanceStage("case-1", "awa", "concluded"), AWA,
            f"cannot advance case MOP-2026-0001 at stage '{stage}'")


@pytest.mark.parametrize("actor", [*OUTSIDERS, DIRECTOR], ids=by_name)
def test_nobody_else_advances_a_case(actor: User) -> None:
    refused(case_at("preliminary"), c.AdvanceStage("case-1", actor.username, "investigation"), actor,
            "only the assigned officer")


# JustifyDelay -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stage", OPEN_STAGES)
@pytest.mark.parametrize("actor", UPDATERS, ids=by_name)
def test_a_delay_is_justified_on_an_open_case_until_at_most_thirty_days_ahead(stage: str, actor: User) -> None:
    until = NOW + timedelta(days=30)
    event = one(case_at(stage), c.JustifyDelay("case-1", actor.username, "security", until, "road closed"), actor)
    assert event.type == "DelayJustified"
    assert (event.payload["reason"], event.payload["until"], event.payload["note"]) == ("security", until,
                                                                                         "road closed")


@pytest.mark.parametrize("until", [NOW, NOW - timedelta(days=1), NOW + timedelta(days=30, seconds=1)],
                         ids=["now", "past", "beyond-30-days"])
def test_a_delay_must_end_after_now_and_within_thirty_days(until: datetime) -> None:
    refused(case_at("investigation"), c.JustifyDelay("case-1", "awa", "security", until), AWA,
            "until a date after now and at most 30 days ahead")


def test_a_delay_needs_one_of_the_known_reasons() -> None:
    refused(case_at("investigation"), c.JustifyDelay("case-1", "awa", "busy", NOW + timedelta(days=1)), AWA,
            "delay reason must be one of access_constraints, security, awaiting_information, other")


@pytest.mark.parametrize("stage", stages_except(*OPEN_STAGES))
def test_no_delay_is_justified_outside_the_open_stages(stage: str) -> None:
    refused(case_at(stage), c.JustifyDelay("case-1", "awa", "security", NOW + timedelta(days=1)), AWA,
            f"cannot justify a delay on case .* '{stage}'")


@pytest.mark.parametrize("actor", [*OUTSIDERS, DIRECTOR], ids=by_name)
def test_nobody_else_justifies_a_delay(actor: User) -> None:
    refused(case_at("investigation"), c.JustifyDelay("case-1", actor.username, "security", NOW + timedelta(1)),
            actor, "only the assigned officer")


# ReviewCase ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stage", [*OPEN_STAGES, "closure_requested"])
def test_a_team_leader_of_the_office_reviews_an_open_case(stage: str) -> None:
    event = one(case_at(stage), c.ReviewCase("case-1", "tl_mopti", "on track"), TL_MOPTI)
    assert (event.type, event.payload["stage"], event.payload["note"]) == ("CaseReviewed", stage, "on track")


@pytest.mark.parametrize("actor", [AWA, BAKARY, TL_GAO, DIRECTOR, AUDITOR, ADMIN], ids=by_name)
def test_nobody_but_a_team_leader_of_the_office_reviews_its_cases(actor: User) -> None:
    refused(case_at("investigation"), c.ReviewCase("case-1", actor.username), actor,
            "only a Team Leader of Mopti reviews its cases")


@pytest.mark.parametrize("stage", ["reported", "closed"])
def test_a_case_not_yet_recorded_or_already_closed_is_not_reviewed(stage: str) -> None:
    refused(case_at(stage), c.ReviewCase("case-1", "tl_mopti"), TL_MOPTI, f"cannot review case .* '{stage}'")


# RequestClosure -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("stage", ["preliminary", "investigation"])
@pytest.mark.parametrize("reason", ["unsubstantiated", "duplicate", "merged"])
@pytest.mark.parametrize("actor", [*UPDATERS, DIRECTOR], ids=by_name)
def test_a_case_may_be_proposed_for_closure_early_as_unsubstantiated_duplicate_or_merged(
        stage: str, reason: str, actor: User) -> None:
    event = one(case_at(stage), c.RequestClosure("case-1", actor.username, reason, " see SR-2#4 "), actor)
    assert event.type == "ClosureRequested"
    assert {k: event.payload[k] for k in ("stage", "previous_stage", "reason", "note", "actor")} == {
        "stage": "closure_requested", "previous_stage": stage, "reason": reason, "note": "see SR-2#4",
        "actor": actor.username}


@pytest.mark.parametrize("stage", ["preliminary", "investigation"])
def test_a_case_without_concluded_findings_cannot_be_closed_as_concluded(stage: str) -> None:
    refused(case_at(stage), c.RequestClosure("case-1", "awa", "concluded", "done"), AWA,
            "before findings are concluded a case can only be closed as unsubstantiated, duplicate, merged")


@pytest.mark.parametrize("reason", ["concluded", "unsubstantiated", "duplicate", "merged"])
def test_a_concluded_case_may_be_proposed_for_closure_with_any_reason(reason: str) -> None:
    event = one(case_at("concluded"), c.RequestClosure("case-1", "awa", reason, "handed over"), AWA)
    assert (event.payload["reason"], event.payload["previous_stage"]) == (reason, "concluded")


def test_a_closure_reason_must_be_one_of_the_known_reasons() -> None:
    refused(case_at("concluded"), c.RequestClosure("case-1", "awa", "tired", "x"), AWA,
            "closure reason must be one of concluded, unsubstantiated, duplicate, merged")


@pytest.mark.parametrize("note", ["", "  "])
def test_a_closure_is_never_proposed_without_a_note(note: str) -> None:
    refused(case_at("concluded"), c.RequestClosure("case-1", "awa", "concluded", note), AWA,
            "a reason for the closure is required")


@pytest.mark.parametrize("stage", ["reported", "closure_requested", "closed"])
def test_a_closure_is_proposed_only_from_an_open_stage(stage: str) -> None:
    refused(case_at(stage), c.RequestClosure("case-1", "awa", "duplicate", "x"), AWA,
            f"cannot propose closure of case MOP-2026-0001 at stage '{stage}'")


@pytest.mark.parametrize("actor", OUTSIDERS, ids=by_name)
def test_nobody_but_the_officer_a_team_leader_of_the_office_or_a_director_proposes_a_closure(actor: User) -> None:
    refused(case_at("concluded"), c.RequestClosure("case-1", actor.username, "concluded", "x"), actor,
            "only the assigned officer")


# ApproveClosure and RejectClosure -----------------------------------------------------------------------

@pytest.mark.parametrize("proposer", ["awa", "tl_mopti", "deputy"])
def test_a_director_approves_a_closure_someone_else_proposed(proposer: str) -> None:
    event = one(case_at("closure_requested", proposer=proposer), c.ApproveClosure("case-1", "director", "ok"),
                DIRECTOR)
    assert event.type == "ClosureApproved"
    assert (event.payload["stage"], event.payload["proposer"], event.payload["actor"]) == (
        "closed", proposer, "director")


def test_a_director_may_not_approve_a_closure_they_proposed() -> None:
    refused(case_at("closure_requested", proposer="director"), c.ApproveClosure("case-1", "director"), DIRECTOR,
            "you proposed this closure; another Director or Deputy Director must approve it \\(four eyes\\)")


@pytest.mark.parametrize("actor", NOT_DIRECTORS, ids=by_name)
def test_nobody_but_a_director_approves_a_closure(actor: User) -> None:
    refused(case_at("closure_requested"), c.ApproveClosure("case-1", actor.username), actor,
            "only the Director or a Deputy Director decides on a closure")


@pytest.mark.parametrize("stage", stages_except("closure_requested"))
def test_only_a_requested_closure_is_approved(stage: str) -> None:
    refused(case_at(stage), c.ApproveClosure("case-1", "director"), DIRECTOR,
            f"cannot approve the closure of case MOP-2026-0001 at stage '{stage}'")


@pytest.mark.parametrize("previous_stage", OPEN_STAGES)
def test_a_rejected_closure_returns_the_case_to_the_stage_it_came_from(previous_stage: str) -> None:
    case = case_at("closure_requested", previous_stage=previous_stage)
    event = one(case, c.RejectClosure("case-1", "director", " interview the second witness "), DIRECTOR)
    assert event.type == "ClosureRejected"
    assert (event.payload["stage"], event.payload["proposer"], event.payload["note"]) == (
        previous_stage, "tl_mopti", "interview the second witness")


@pytest.mark.parametrize("note", ["", " "])
def test_a_closure_is_never_rejected_without_a_reason(note: str) -> None:
    refused(case_at("closure_requested"), c.RejectClosure("case-1", "director", note), DIRECTOR,
            "a reason for rejecting the closure is required")


def test_a_director_may_not_reject_a_closure_they_proposed() -> None:
    refused(case_at("closure_requested", proposer="deputy"), c.RejectClosure("case-1", "deputy", "no"), DEPUTY,
            "another Director or Deputy Director must reject it \\(four eyes\\)")


@pytest.mark.parametrize("actor", NOT_DIRECTORS, ids=by_name)
def test_nobody_but_a_director_rejects_a_closure(actor: User) -> None:
    refused(case_at("closure_requested"), c.RejectClosure("case-1", actor.username, "no"), actor,
            "only the Director or a Deputy Director decides on a closure")


@pytest.mark.parametrize("stage", stages_except("closure_requested"))
def test_only_a_requested_closure_is_rejected(stage: str) -> None:
    refused(case_at(stage), c.RejectClosure("case-1", "director", "no"), DIRECTOR,
            f"cannot reject the closure of case MOP-2026-0001 at stage '{stage}'")


# RecordFollowUp -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("stage", ["concluded", "closure_requested", "closed"])
@pytest.mark.parametrize("actor", [*UPDATERS, DIRECTOR], ids=by_name)
def test_a_follow_up_is_recorded_once_findings_are_concluded(stage: str, actor: User) -> None:
    cmd = c.RecordFollowUp("case-1", actor.username, "handover_national_authorities", "file sent to prosecutor")
    event = one(case_at(stage), cmd, actor)
    assert (event.type, event.payload["stage"], event.payload["kind"]) == (
        "FollowUpRecorded", stage, "handover_national_authorities")


@pytest.mark.parametrize("stage", ["reported", "preliminary", "investigation"])
def test_no_follow_up_is_recorded_before_findings_are_concluded(stage: str) -> None:
    refused(case_at(stage), c.RecordFollowUp("case-1", "awa", "advocacy"), AWA,
            f"cannot record a follow-up on case .* '{stage}' \\(allowed at: concluded, closure_requested, closed\\)")


def test_a_follow_up_is_of_a_known_kind() -> None:
    refused(case_at("concluded"), c.RecordFollowUp("case-1", "awa", "party"), AWA,
            "follow-up kind must be one of handover_national_authorities")


@pytest.mark.parametrize("actor", OUTSIDERS, ids=by_name)
def test_nobody_else_records_a_follow_up(actor: User) -> None:
    refused(case_at("concluded"), c.RecordFollowUp("case-1", actor.username, "advocacy"), actor,
            "only the assigned officer")


# ReopenCase ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("director", [DIRECTOR, DEPUTY], ids=by_name)
def test_a_director_reopens_a_closed_case_into_investigation_with_a_reason(director: User) -> None:
    event = one(case_at("closed"), c.ReopenCase("case-1", director.username, "new witness came forward"), director)
    assert (event.type, event.payload["stage"], event.payload["reason"]) == (
        "CaseReopened", "investigation", "new witness came forward")


def test_a_case_is_never_reopened_without_a_reason() -> None:
    refused(case_at("closed"), c.ReopenCase("case-1", "director", " "), DIRECTOR, "a reason to reopen is required")


@pytest.mark.parametrize("actor", NOT_DIRECTORS, ids=by_name)
def test_nobody_but_a_director_reopens_a_case(actor: User) -> None:
    refused(case_at("closed"), c.ReopenCase("case-1", actor.username, "x"), actor,
            "only the Director or a Deputy Director reopens a closed case")


@pytest.mark.parametrize("stage", stages_except("closed"))
def test_only_a_closed_case_is_reopened(stage: str) -> None:
    refused(case_at(stage), c.ReopenCase("case-1", "director", "x"), DIRECTOR,
            f"cannot reopen case MOP-2026-0001 at stage '{stage}' \\(allowed at: closed\\)")


# The events fit their wire contracts --------------------------------------------------------------------

@pytest.mark.parametrize(("case", "command", "actor", "assignee"), [
    (case_at(), c.RecordCase("case-1", "awa", "n"), AWA, None),
    (case_at(), c.AssignCase("case-1", "tl_mopti", "bakary"), TL_MOPTI, BAKARY),
    (case_at("preliminary"), c.LogActivity("case-1", "awa", "d"), AWA, None),
    (case_at("preliminary"), c.AdvanceStage("case-1", "awa", "investigation"), AWA, None),
    (case_at("investigation"), c.JustifyDelay("case-1", "awa", "security", NOW + timedelta(days=3)), AWA, None),
    (case_at("investigation"), c.ReviewCase("case-1", "tl_mopti"), TL_MOPTI, None),
    (case_at("concluded"), c.RequestClosure("case-1", "awa", "concluded", "n"), AWA, None),
    (case_at("closure_requested"), c.ApproveClosure("case-1", "director"), DIRECTOR, None),
    (case_at("closure_requested"), c.RejectClosure("case-1", "director", "n"), DIRECTOR, None),
    (case_at("closed"), c.RecordFollowUp("case-1", "director", "public_report"), DIRECTOR, None),
    (case_at("closed"), c.ReopenCase("case-1", "director", "r"), DIRECTOR, None),
], ids=lambda v: type(v).__name__ if isinstance(v, c.Command) else None)
def test_every_event_the_workflow_makes_fits_its_schema(case: Case, command: c.Command, actor: User,
                                                         assignee: User | None) -> None:
    event = one(case, command, actor, assignee)
    assert dump_payload(event.type, 1, event.payload)["case_id"] == "case-1"
