"""Mission profiles: offices, officers, incident volume and exact outcomes to reach; built-in or from TOML."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any


class ProfileError(ValueError):
    """The profile cannot be read, or its numbers cannot all hold at once."""


@dataclass(frozen=True)
class OfficeSpec:
    name: str
    weight: float = 1.0  # relative share of the incidents
    hros: int = 3
    speed: float = 1.0  # > 1: this office records more slowly than the mission's average


@dataclass(frozen=True)
class Profile:
    """What a simulated history must show as at `as_of`: every count is reached exactly."""

    name: str
    seed: int
    start: date  # first day of the reporting period (situation reports every week, on Fridays)
    end: date  # last day of the reporting period
    as_of: date  # the history stops the day before
    cut_year: int  # "since YEAR or earlier"
    offices: tuple[OfficeSpec, ...]
    incidents: int
    unrecorded: int
    preliminary: int
    preliminary_since_cut: int
    investigation: int
    investigation_idle_since_cut: int
    closed: int
    closed_without_approval: int
    concluded: int = 0
    closure_requested: int = 0
    closed_with_follow_up: int = 0
    mean_recording_days: float = 60.0
    within_goal: int = 0  # recorded within the 4-day goal
    assigned_in_sitrep: float = 0.85  # share of incidents whose sitrep names the officer
    delay_reasons: int = 0  # open cases whose officer records a justified delay after their last activity

    @property
    def recorded(self) -> int:
        return self.incidents - self.unrecorded

    def check(self) -> Profile:
        outcomes = (self.unrecorded + self.preliminary + self.investigation + self.concluded + self.closure_requested
                    + self.closed)
        problems = []
        if outcomes != self.incidents:
            problems.append(f"outcomes add up to {outcomes}, not to the {self.incidents} incidents")
        for part, whole, what in ((self.preliminary_since_cut, self.preliminary, "preliminary_since_cut"),
                                  (self.investigation_idle_since_cut, self.investigation, "investigation_idle"),
                                  (self.closed_without_approval, self.closed, "closed_without_approval"),
                                  (self.closed_with_follow_up, self.closed, "closed_with_follow_up"),
                                  (self.within_goal, self.recorded, "within_goal"),
                                  (self.delay_reasons, self.preliminary + self.investigation, "delay_reasons")):
            if not 0 <= part <= whole:
                problems.append(f"{what} must be between 0 and {whole}, not {part}")
        if not self.start <= self.end < self.as_of:
            problems.append("the dates must run start <= end < as_of")
        if not self.offices or any(o.hros < 1 or o.weight <= 0 for o in self.offices):
            problems.append("every office needs a positive weight and at least one HRO")
        if problems:
            raise ProfileError(f"profile {self.name}: " + "; ".join(problems))
        return self


MINUSMA = (OfficeSpec("Bamako", 1.0, 3, 0.8), OfficeSpec("Mopti", 3.0, 5, 1.1), OfficeSpec("Gao", 2.2, 4, 1.2),
           OfficeSpec("Timbuktu", 1.6, 3, 0.9), OfficeSpec("Kidal", 0.8, 2, 1.3), OfficeSpec("Menaka", 0.9, 2, 1.0))

# OIOS report 2021/011 (MINUSMA): 1,496 incidents in weekly situation reports from 1 July 2017 to 31 December
# 2019; 468 never recorded, 1,028 recorded on average about two months later; as at 30 June 2020, 226 cases at
# preliminary information gathering (195 since 2018 or earlier), 768 at investigation (330 with no activity
# since 2018), 34 closed, 8 of them without the Director's or Deputy Director's approval.
OIOS_2021_011 = Profile(
    name="oios-2021-011", seed=2021011, start=date(2017, 7, 1), end=date(2019, 12, 31), as_of=date(2020, 6, 30),
    cut_year=2018, offices=MINUSMA, incidents=1496, unrecorded=468, preliminary=226, preliminary_since_cut=195,
    investigation=768, investigation_idle_since_cut=330, closed=34, closed_without_approval=8,
    mean_recording_days=60.0, within_goal=80, assigned_in_sitrep=0.8,
)
BUILT_IN = {OIOS_2021_011.name: OIOS_2021_011}


def load_profile(name_or_path: str, seed: int | None = None) -> Profile:
    profile = BUILT_IN.get(name_or_path)
    if profile is None:
        path = Path(name_or_path)
        if not path.exists():
            raise ProfileError(f"no built-in profile {name_or_path!r} ({', '.join(BUILT_IN)}) and no such file")
        profile = from_toml(path)
    return (replace(profile, seed=seed) if seed is not None else profile).check()


def from_toml(path: Path) -> Profile:
    """A mission file: dates, offices, volume, and outcomes as counts (>= 1) or shares (< 1) of their whole."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return _parse(data, path.stem)
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ProfileError):
            raise
        raise ProfileError(f"profile file {path}: {exc!r}") from None


def _parse(data: dict[str, Any], default_name: str) -> Profile:
    offices = tuple(OfficeSpec(o["name"], float(o.get("weight", 1)), int(o.get("hros", 3)), float(o.get("speed", 1)))
                    for o in data["offices"])
    start, end, as_of = data["start"], data["end"], data["as_of"]
    weeks = max(1, ((end - start).days + 1) // 7)
    incidents = int(data.get("incidents") or round(float(data["incidents_per_week"]) * weeks))
    rec, stages = data.get("recording", {}), data.get("stages", {})

    def part(value: Any, whole: int) -> int:
        number = float(value or 0)
        return round(number * whole) if number < 1 else int(number)

    unrecorded = part(rec.get("never", 0.3), incidents)
    recorded = incidents - unrecorded
    counts = {k: part(stages.get(k, 0), recorded) for k in ("preliminary", "investigation", "concluded",
                                                            "closure_requested")}
    closed = recorded - sum(counts.values())
    return Profile(
        name=data.get("name", default_name), seed=int(data.get("seed", 1)), start=start, end=end, as_of=as_of,
        cut_year=int(data.get("cut_year", as_of.year - 2)), offices=offices, incidents=incidents,
        unrecorded=unrecorded, preliminary=counts["preliminary"],
        preliminary_since_cut=part(stages.get("preliminary_since_cut", 0), counts["preliminary"]),
        investigation=counts["investigation"],
        investigation_idle_since_cut=part(stages.get("investigation_idle_since_cut", 0), counts["investigation"]),
        concluded=counts["concluded"], closure_requested=counts["closure_requested"], closed=closed,
        closed_without_approval=part(stages.get("closed_without_approval", 0), closed),
        closed_with_follow_up=part(stages.get("closed_with_follow_up", 0), closed),
        mean_recording_days=float(rec.get("mean_days", 20)), within_goal=part(rec.get("within_goal", 0.2), recorded),
        assigned_in_sitrep=float(rec.get("assigned_in_sitrep", 0.85)),
        delay_reasons=part(stages.get("delay_reasons", 0), counts["preliminary"] + counts["investigation"]),
    )
