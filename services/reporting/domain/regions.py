"""Incidents by region: the region of each (reference.places.region_of_incident, from its P-code or its location as
written), its figures against the recording goal, and the point map of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from reference.gazetteer import BOUNDS, AdminUnit
from reference.places import UNKNOWN_REGION, region_of_incident
from services.reporting.domain.cases import CaseFacts
from services.reporting.domain.model import MapPoint, Pct, PointMap, Table, Targets
from services.reporting.domain.recording import recording_goal

NOT_OPEN = ("reported", "closed")  # an open case: recorded and not closed


@dataclass(frozen=True)
class RegionFigures:
    region: AdminUnit | None  # None: the place names no unit of the gazetteer
    incidents: int
    recorded: int
    on_time: int
    goal_passed: int  # the denominator of on_time: incidents whose recording goal has come, recorded or not
    overdue_unrecorded: int
    open_cases: int

    @property
    def name(self) -> str:
        return self.region.name if self.region is not None else UNKNOWN_REGION

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.goal_passed if self.goal_passed else None


def region_of(case: CaseFacts) -> AdminUnit | None:
    return region_of_incident(case.place_pcode, case.location)


def by_region(cases: Sequence[CaseFacts], as_of: datetime) -> list[RegionFigures]:
    """One row per region with incidents, the most incidents first; free-text places last, as "unknown region"."""
    groups: dict[str | None, list[CaseFacts]] = {}
    units: dict[str | None, AdminUnit | None] = {None: None}
    for case in cases:
        region = region_of(case)
        code = region.pcode if region is not None else None
        groups.setdefault(code, []).append(case)
        units[code] = region
    rows = [_figures(units[code], mine, as_of) for code, mine in groups.items()]
    return sorted(rows, key=lambda r: (r.region is None, -r.incidents, r.name))


def _figures(region: AdminUnit | None, cases: Sequence[CaseFacts], as_of: datetime) -> RegionFigures:
    goal = recording_goal(cases, as_of)  # the monitor's verdicts, as every other table counts them
    return RegionFigures(region, len(cases), sum(1 for c in cases if c.recorded_at is not None), goal.on_time,
                         goal.goal_passed, goal.overdue, sum(1 for c in cases if c.stage not in NOT_OPEN))


def region_table(cases: Sequence[CaseFacts], targets: Targets, as_of: datetime) -> Table:
    rows = by_region(cases, as_of)
    total = _figures(None, cases, as_of)
    days = f"{targets.recording_days:g}"
    body = [(r.name, r.region.pcode if r.region else "", r.incidents, r.recorded, r.on_time, r.goal_passed,
             Pct(r.on_time_share), r.overdue_unrecorded, r.open_cases) for r in rows]
    body.append(("Total", "", total.incidents, total.recorded, total.on_time, total.goal_passed,
                 Pct(total.on_time_share), total.overdue_unrecorded, total.open_cases))
    return Table(
        "by_region", "Incidents by region",
        ("Region", "P-code", "Incidents reported", "Recorded", "Recorded on time", f"Whose {days} days have passed",
         "On time, % of those", "Not recorded, past the goal", "Open cases (recorded, not closed)"),
        tuple(body),
        "The region of an incident is that of its place's P-code in the gazetteer (OCHA COD-AB Mali v03), or, for an "
        "incident without one, that of the unit its location names; a location that names no unit, or several, is "
        f"free text and counted under '{UNKNOWN_REGION}'. On time counts over every incident whose {days} days have "
        "passed, recorded or not.",
    )


def incident_map(cases: Sequence[CaseFacts], as_of: datetime, slug: str = "map_by_region") -> PointMap:
    """The regions with incidents at their seats (each with its count), and each incident with coordinates."""
    regions = [MapPoint(r.name, r.region.lat, r.region.lon, r.incidents) for r in by_region(cases, as_of)
               if r.region is not None and r.region.lat is not None and r.region.lon is not None]
    own = [MapPoint(c.reference, c.latitude, c.longitude, 1)
           for c in sorted(cases, key=lambda c: c.reference) if c.latitude is not None and c.longitude is not None]
    placed = sum(p.count for p in regions)
    return PointMap(slug, "Incidents by region (at each region's seat)", dict(BOUNDS), tuple(regions), tuple(own),
                    unplaced=len(cases) - placed)
