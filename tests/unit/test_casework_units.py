"""Perpetrator units: an admin's new unit is checked field by field; an act may name only a unit on the list and
not retired, of the act's category."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.casework.domain.units import Unit, new_unit, retire, unit_problem

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
FAMA = Unit("fama-33rci", "33e Régiment des commandos parachutistes", "state_armed_forces", True, NOW)
OLD = Unit("gign-bamako", "GIGN Bamako", "state_security_forces", False, NOW, retired=True)


def test_a_new_unit_keeps_its_fields_with_its_name_tidied() -> None:
    unit = new_unit("katiba-macina", "  Katiba   Macina ", "armed_group", False, [FAMA, OLD], NOW)
    assert unit == Unit("katiba-macina", "Katiba Macina", "armed_group", False, NOW, retired=False)


@pytest.mark.parametrize(("code", "name", "category", "message"), [
    ("Katiba Macina", "Katiba Macina", "armed_group", "code: 'Katiba Macina' is not a unit code"),
    ("", "Katiba Macina", "armed_group", "code: '' is not a unit code"),
    ("katiba", " ", "armed_group", "name: a unit needs a name of 1 to 200 characters"),
    ("katiba", "Katiba Macina", "jihadists", "perpetrator_category: 'jihadists' is not one of state_armed_forces"),
    ("fama-33rci", "Another", "state_armed_forces", "code: 'fama-33rci' is taken by"),
    ("gign-bamako", "GIGN", "state_security_forces", "(retired: codes are never reused)"),
])
def test_a_unit_is_refused_with_the_field_named(code: str, name: str, category: str, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        new_unit(code, name, category, False, [FAMA, OLD], NOW)
    assert message in str(refused.value)


def test_an_act_names_an_active_unit_of_its_own_category_or_none() -> None:
    units = [FAMA, OLD]
    assert unit_problem(None, units) is None and unit_problem("", units) is None
    assert unit_problem("fama-33rci", units, perpetrator_category="state_armed_forces") is None
    assert unit_problem("nope", units, field="acts[0].perpetrator_unit") == (
        "acts[0].perpetrator_unit: 'nope' is not a unit on the admin's list (`GET /units`)")
    assert unit_problem("gign-bamako", units) == (
        "perpetrator_unit: 'gign-bamako' (GIGN Bamako) is retired and can no longer be named")
    assert unit_problem("fama-33rci", units, perpetrator_category="armed_group") == (
        "perpetrator_unit: 33e Régiment des commandos parachutistes is of category state_armed_forces, "
        "not the act's armed_group")


def test_a_unit_is_retired_once() -> None:
    assert retire(FAMA).retired and retire(FAMA).code == FAMA.code
    with pytest.raises(ValueError, match="already retired"):
        retire(OLD)
