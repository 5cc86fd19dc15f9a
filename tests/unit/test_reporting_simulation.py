"""Simulated histories reach their profile's counts exactly, for any seed, and refuse impossible profiles."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from services.reporting.simulation.files import write_history
from services.reporting.simulation.generator import generate
from services.reporting.simulation.profile import OIOS_2021_011, OfficeSpec, Profile, ProfileError, from_toml
from sitreps.key import key_of

SMALL = Profile(
    name="small", seed=3, start=date(2022, 1, 1), end=date(2023, 6, 30), as_of=date(2024, 1, 1), cut_year=2022,
    offices=(OfficeSpec("Mopti", 2, 2, 1.3), OfficeSpec("Gao", 1, 1)), incidents=120, unrecorded=30,
    preliminary=20, preliminary_since_cut=12, investigation=50, investigation_idle_since_cut=20, concluded=4,
    closure_requested=2, closed=14, closed_without_approval=3, closed_with_follow_up=5, mean_recording_days=25,
    within_goal=15, delay_reasons=6,
)


def outcome(profile: Profile) -> dict[str, int | float]:
    history = generate(profile)
    actions: dict[str, list[dict]] = {}
    for a in history.actions:
        actions.setdefault(key_of(a), []).append(a)
    kinds = Counter(a["action"] for a in history.actions)
    return {"incidents": len(history.incidents), "recorded": kinds["record"], "closed": kinds["approve_closure"]
            + kinds["close_without_approval"], "without": kinds["close_without_approval"],
            "follow_ups": kinds["follow_up"], "delays": kinds["delay"],
            "concluded": sum(1 for rows in actions.values() if rows[-1]["action"] == "advance"
                             and rows[-1].get("stage") == "concluded"),
            "awaiting": sum(1 for rows in actions.values() if rows[-1]["action"] == "request_closure")}


@pytest.mark.parametrize("seed", [1, 2, 3, 99])
def test_every_count_of_the_profile_is_reached_whatever_the_seed(seed: int) -> None:
    got = outcome(replace(SMALL, seed=seed))
    assert got == {"incidents": 120, "recorded": 90, "closed": 14, "without": 3, "follow_ups": 5, "delays": 6,
                   "concluded": 4, "awaiting": 2}


def test_the_oios_profile_adds_up_to_the_audits_numbers() -> None:
    p = OIOS_2021_011.check()
    assert (p.incidents, p.unrecorded, p.recorded) == (1496, 468, 1028)
    assert (p.preliminary, p.preliminary_since_cut, p.investigation, p.investigation_idle_since_cut) == (226, 195,
                                                                                                        768, 330)
    assert (p.closed, p.closed_without_approval, p.start, p.end, p.as_of) == (34, 8, date(2017, 7, 1),
                                                                              date(2019, 12, 31), date(2020, 6, 30))


def test_the_same_seed_gives_the_same_history_and_another_seed_another() -> None:
    assert generate(SMALL) == generate(SMALL)
    assert generate(SMALL).actions != generate(replace(SMALL, seed=4)).actions


def test_actions_come_in_time_order_then_by_sitrep_and_incident_number() -> None:
    actions = generate(SMALL).actions
    keys = [(a["at"], a["sitrep_id"], a["incident_number"]) for a in actions]
    assert keys == sorted(keys) and len(actions) > 200
    directors = [a for a in actions if a["actor_role"] == "director"]
    assert directors and all(a["actor_office"] == "Mopti" for a in directors)


def test_a_profile_refused_while_generating_leaves_no_files_behind(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="can be 'investigation_idle'"):
        write_history(replace(SMALL, cut_year=2021), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_outcomes_that_do_not_add_up_are_refused() -> None:
    with pytest.raises(ProfileError, match="outcomes add up to 121, not to the 120 incidents"):
        replace(SMALL, closed=15).check()
    with pytest.raises(ProfileError, match="closed_without_approval must be between 0 and 14"):
        replace(SMALL, closed_without_approval=20).check()


def test_a_history_too_short_for_its_outcomes_is_refused() -> None:
    with pytest.raises(ProfileError, match="can be 'investigation_idle'"):
        generate(replace(SMALL, cut_year=2021))


def test_a_mission_file_gives_counts_or_shares(tmp_path: Path) -> None:
    path = tmp_path / "mission.toml"
    path.write_text("""
name = "test-mission"
seed = 5
start = 2022-01-01
end = 2022-12-31
as_of = 2023-06-30
cut_year = 2022
incidents = 200
[recording]
never = 0.25
mean_days = 30
within_goal = 20
[stages]
preliminary = 0.2
preliminary_since_cut = 0.5
investigation = 90
investigation_idle_since_cut = 0.4
closed_without_approval = 2
[[offices]]
name = "Mopti"
hros = 3
[[offices]]
name = "Gao"
weight = 0.5
""")
    p = from_toml(path).check()
    assert (p.incidents, p.unrecorded, p.preliminary, p.preliminary_since_cut, p.investigation) == (200, 50, 30, 15, 90)
    assert (p.investigation_idle_since_cut, p.closed, p.closed_without_approval, p.within_goal) == (36, 30, 2, 20)
    assert outcome(p)["recorded"] == 150
