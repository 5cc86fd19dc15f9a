"""Authorisation on the server: the design's role rules, office scoping, four eyes and who sees identities."""

from __future__ import annotations

from services.casework.domain import commands as c
from services.casework.domain.alerts import Alert, may_acknowledge
from services.casework.domain.case import Case
from services.casework.domain.roles import User, is_team_leader_of, may_read, may_update

DIVISION_READERS = ("director", "auditor", "admin")
INCIDENT_SUBMITTERS = ("hro", "team_leader", "director")


def read_scope(user: User) -> str | None:
    """The one office whose cases a user may read, or None for the whole division."""
    return None if user.role in DIVISION_READERS else user.office


def may_read_case(user: User, case: Case, granted: bool = False) -> bool:
    """The office's cases (the division's for Directors, auditors, admins), and one of another office that its Team
    Leader granted this user reading (`granted`: a grant of ADR 23 is held; never identities)."""
    return may_read(user, case.office) or (granted and user.active)


PEOPLE_LOOKERS = ("hro", "team_leader", "director")


def people_lookup_refusal(user: User) -> str | None:
    """Who may look a person up across cases (ADR 23): those who see identities in their scope."""
    if user.active and user.role in PEOPLE_LOOKERS:
        return None
    return "only officers, Team Leaders and Directors look people up across cases"


def may_decide_access(user: User, office: str) -> bool:
    """A request to read an office's cases is granted or refused by that office's Team Leaders."""
    return user.active and is_team_leader_of(user, office)


def may_export_cases(user: User) -> bool:
    """A CSV of search results (no identities, but case by case): those who work or oversee cases. Not admins: they
    manage users and settings, and case information is shared narrowly (design: users and roles)."""
    return user.active and user.role in ("hro", "team_leader", "director", "auditor")



def may_see_identities(user: User, case: Case) -> bool:
    """Names and contacts of victims, witnesses and sources: the assigned HRO, their Team Leader, the
    Directors of that office. Everyone else, and every export, alert and log, gets them redacted."""
    if case.office != user.office or not user.active:
        return False
    if user.role == "hro":
        return case.assignee == user.username
    return user.role in ("team_leader", "director")


def decision_opening_refusal(user: User, case: Case) -> str | None:
    """Why this user may not open this case's identities to decide its closure (a 403), or None (ADR 13).

    Only a Director or Deputy Director who may decide the pending closure: not its proposer (four eyes). Whether a
    closure is pending is the case's state (a 409), checked by `decision_pending`.
    """
    if user.role != "director" or not user.active:
        return "only the Director or a Deputy Director opens a case's identities, to decide on its closure"
    if case.closure and case.closure.get("proposer") == user.username and case.stage == "closure_requested":
        return "you proposed this closure; another Director or Deputy Director decides on it (four eyes)"
    return None


def decision_pending(case: Case) -> bool:
    return case.stage == "closure_requested"


def may_see_openings(user: User, case: Case) -> bool:
    """Who opened this case's identities for a decision, and why: its office's Team Leaders, Directors, auditors."""
    return user.active and (is_team_leader_of(user, case.office) or user.role in ("director", "auditor"))


def may_read_access_log(user: User) -> bool:
    return user.role in ("director", "auditor")


def command_refusal(user: User, command: c.Command, case: Case) -> str | None:
    """Why this user may not give this command on this case (a 403), or None when the role rules allow it.

    The workflow checks the same rules again; this check exists so that a refusal for *who you are* is told
    apart from a refusal for *where the case is* (a 409).
    """
    if not may_read_case(user, case):
        return f"case {case.reference} belongs to {case.office}, outside your office ({user.office})"
    updater = may_update(user, case.office, case.assignee)
    not_updater = (f"only the assigned officer ({case.assignee or 'nobody yet'}) or a Team Leader of "
                   f"{case.office} may update case {case.reference}")
    if isinstance(command, c.RecordCase | c.LogActivity | c.AdvanceStage | c.JustifyDelay):
        return None if updater else not_updater
    if isinstance(command, c.AssignCase | c.ReviewCase):
        verb = "assigns" if isinstance(command, c.AssignCase) else "reviews"
        return None if is_team_leader_of(user, case.office) else f"only a Team Leader of {case.office} {verb} its cases"
    if isinstance(command, c.CorrectIdentity) and not may_see_identities(user, case):
        # Correcting what one may not see would be blind: only those who see the case's identities correct them.
        return f"only those who see the identities of case {case.reference} may correct them"
    if isinstance(command, c.RequestClosure | c.RecordFollowUp | c.AmendIncident | c.RecordConsent
                  | c.WithdrawConsent | c.CorrectIdentity):
        return None if updater or user.role == "director" else not_updater
    if isinstance(command, c.ApproveClosure | c.RejectClosure):
        if user.role != "director":
            return "only the Director or a Deputy Director decides on a closure"
        if case.stage == "closure_requested" and case.closure and case.closure.get("proposer") == user.username:
            return "you proposed this closure; another Director or Deputy Director must decide on it (four eyes)"
        return None
    if isinstance(command, c.ReopenCase):
        return None if user.role == "director" else "only the Director or a Deputy Director reopens a closed case"
    return f"unknown command {type(command).__name__}"


def acknowledge_refusal(user: User, alert: Alert) -> str | None:
    if may_acknowledge(user, alert):
        return None
    return f"alert {alert.alert_id} is not addressed to you"


def incident_refusal(user: User, office: str) -> str | None:
    if user.role not in INCIDENT_SUBMITTERS:
        return "only officers, Team Leaders and Directors submit incidents"
    if user.role != "director" and user.office != office:
        return f"you may submit incidents for your own office ({user.office}) only"
    return None


def duplicate_reviewer(user: User) -> bool:
    """Who reviews likely duplicates at all: Team Leaders (pairs with a case of their office) and Directors."""
    return user.active and user.role in ("team_leader", "director")


def duplicate_refusal(user: User, offices: tuple[str, str]) -> str | None:
    """Why this user may not decide on a pair of cases of these offices (a 403), or None: a Team Leader of either
    office, or a Director (ADR 0022). They see both cases side by side, by fields that identify nobody."""
    if not user.active:
        return f"user {user.username} is deactivated"
    if user.role == "director" or (user.role == "team_leader" and user.office in offices):
        return None
    named = " or ".join(dict.fromkeys(offices))
    return f"only a Team Leader of {named}, or a Director, decides whether these cases are one incident"
