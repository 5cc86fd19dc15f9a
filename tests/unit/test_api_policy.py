"""Who may see identities, read the access log, submit incidents and give commands: the server-side rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.casework.auth.policy import (
    command_refusal,
    decision_opening_refusal,
    decision_pending,
    incident_refusal,
    may_read_access_log,
    may_see_identities,
    may_see_openings,
    read_scope,
)
from services.casework.domain import commands as c
from services.casework.domain.case import Case
from services.casework.domain.roles import User

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CASE = Case("c1", "MOP-2026-0001", "SR-1#1", "Mopti", "closure_requested", reported_at=T0, registered_at=T0,
            assignee="awa", closure={"proposer": "dir_bko", "requested_at": T0})


def user(name: str, role: str, office: str = "Mopti") -> User:
    return User(name, role, office)


@pytest.mark.parametrize(("who", "sees"), [
    (user("awa", "hro"), True), (user("bakary", "hro"), False), (user("tl", "team_leader"), True),
    (user("tl", "team_leader", "Gao"), False), (user("d", "director"), True), (user("d", "director", "Bamako"), False),
    (user("a", "auditor"), False), (user("x", "admin"), False),
])
def test_identities_are_for_the_assigned_hro_their_team_leader_and_directors_of_the_office(who: User,
                                                                                          sees: bool) -> None:
    assert may_see_identities(who, CASE) is sees


def test_read_scope_is_the_office_except_for_directors_auditors_and_admins() -> None:
    assert [read_scope(user("u", r)) for r in ("hro", "team_leader", "director", "auditor", "admin")] == [
        "Mopti", "Mopti", None, None, None]
    assert [may_read_access_log(user("u", r)) for r in ("hro", "team_leader", "director", "auditor", "admin")] == [
        False, False, True, True, False]


def test_four_eyes_the_proposer_may_not_decide_on_their_own_closure() -> None:
    proposer, other = user("dir_bko", "director", "Bamako"), user("deputy", "director", "Bamako")
    assert "four eyes" in (command_refusal(proposer, c.ApproveClosure(CASE.case_id, "dir_bko"), CASE) or "")
    assert "four eyes" in (command_refusal(proposer, c.RejectClosure(CASE.case_id, "dir_bko", "no"), CASE) or "")
    assert command_refusal(other, c.ApproveClosure(CASE.case_id, "deputy"), CASE) is None


def test_an_hro_acts_only_on_cases_assigned_to_them_and_never_outside_their_office() -> None:
    assert command_refusal(user("awa", "hro"), c.LogActivity(CASE.case_id, "awa", "x"), CASE) is None
    assert "only the assigned officer (awa)" in (
        command_refusal(user("bakary", "hro"), c.LogActivity(CASE.case_id, "bakary", "x"), CASE) or "")
    assert "outside your office" in (
        command_refusal(user("awa", "hro", "Gao"), c.LogActivity(CASE.case_id, "awa", "x"), CASE) or "")


def test_incidents_come_from_officers_team_leaders_of_the_office_and_directors() -> None:
    assert incident_refusal(user("awa", "hro"), "Mopti") is None
    assert incident_refusal(user("awa", "hro"), "Gao") == "you may submit incidents for your own office (Mopti) only"
    assert incident_refusal(user("d", "director", "Bamako"), "Gao") is None
    assert incident_refusal(user("a", "auditor"), "Mopti") is not None


@pytest.mark.parametrize(("who", "refused"), [
    (user("d", "director", "Bamako"), None), (user("d", "director", "Gao"), None), (user("d", "director"), None),
    (user("dir_bko", "director", "Bamako"), "four eyes"), (User("d", "director", "Bamako", active=False), "only"),
    (user("tl", "team_leader"), "only"), (user("awa", "hro"), "only"), (user("a", "auditor", "Bamako"), "only"),
    (user("x", "admin", "Bamako"), "only"),
])
def test_only_a_director_who_may_decide_the_closure_opens_identities_for_it(who: User, refused: str | None) -> None:
    found = decision_opening_refusal(who, CASE)
    assert found is None if refused is None else refused in (found or "")


def test_an_opening_needs_a_pending_closure_and_its_log_is_for_the_offices_team_leaders_directors_auditors() -> None:
    from dataclasses import replace

    assert decision_pending(CASE) and not decision_pending(replace(CASE, stage="investigation"))
    seeing = [u.username for u in (user("tl", "team_leader"), user("tlg", "team_leader", "Gao"), user("awa", "hro"),
                                   user("d", "director", "Gao"), user("a", "auditor", "Gao"), user("x", "admin"))
              if may_see_openings(u, CASE)]
    assert seeing == ["tl", "d", "a"]
