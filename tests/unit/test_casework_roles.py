"""Who may update and read a case: the role predicates of casework, without a database."""

from __future__ import annotations

import pytest

from services.casework.domain.roles import User, is_team_leader_of, may_read, may_update

AWA = User("awa", "hro", "Mopti")
BAKARY = User("bakary", "hro", "Mopti")
TL_MOPTI = User("tl_mopti", "team_leader", "Mopti")
TL_GAO = User("tl_gao", "team_leader", "Gao")
DIRECTOR = User("director", "director", "Bamako")
AUDITOR = User("auditor", "auditor", "Bamako")
ADMIN = User("admin", "admin", "Mopti")


def test_a_user_with_an_unknown_role_cannot_exist_and_the_error_lists_the_roles() -> None:
    with pytest.raises(ValueError, match=r"unknown role 'chief'.*hro, team_leader, director, auditor, admin"):
        User("someone", "chief", "Mopti")


def test_users_are_active_unless_deactivated() -> None:
    assert AWA.active
    assert not User("gone", "hro", "Mopti", active=False).active


def test_a_team_leader_leads_only_their_own_office() -> None:
    assert is_team_leader_of(TL_MOPTI, "Mopti")
    assert not is_team_leader_of(TL_MOPTI, "Gao")


@pytest.mark.parametrize("user", [AWA, DIRECTOR, AUDITOR, ADMIN], ids=lambda u: u.role)
def test_nobody_but_a_team_leader_leads_an_office(user: User) -> None:
    assert not is_team_leader_of(user, user.office)


def test_the_assigned_officer_may_update_their_case() -> None:
    assert may_update(AWA, "Mopti", "awa")


def test_another_officer_of_the_same_office_may_not_update_the_case() -> None:
    assert not may_update(BAKARY, "Mopti", "awa")


def test_no_officer_may_update_a_case_nobody_is_assigned_to() -> None:
    assert not may_update(AWA, "Mopti", None)


def test_a_team_leader_of_the_office_may_update_any_of_its_cases_assigned_or_not() -> None:
    assert may_update(TL_MOPTI, "Mopti", "awa")
    assert may_update(TL_MOPTI, "Mopti", None)


def test_a_team_leader_of_another_office_may_not_update_the_case() -> None:
    assert not may_update(TL_GAO, "Mopti", "awa")


@pytest.mark.parametrize("user", [DIRECTOR, AUDITOR, ADMIN], ids=lambda u: u.role)
def test_directors_auditors_and_admins_do_not_update_cases_under_the_general_rule(user: User) -> None:
    assert not may_update(user, user.office, user.username)


@pytest.mark.parametrize("user", [DIRECTOR, AUDITOR, ADMIN], ids=lambda u: u.role)
def test_directors_auditors_and_admins_read_cases_of_every_office(user: User) -> None:
    assert may_read(user, "Kidal")


@pytest.mark.parametrize("user", [AWA, TL_MOPTI], ids=lambda u: u.role)
def test_officers_and_team_leaders_read_only_the_cases_of_their_office(user: User) -> None:
    assert may_read(user, "Mopti")
    assert not may_read(user, "Gao")
