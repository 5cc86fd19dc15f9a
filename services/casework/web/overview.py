"""The overview: the audit's numbers per office, by aggregate queries on the case read model (ADR 0019), counted as
the reports count them (on time, stalled: as the monitor scheduled each clock; casework holds no copy of the policy)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Connection

from reference.gazetteer import BOUNDS, gazetteer
from services.casework.adapters import case_figures
from services.casework.adapters import duplicates as pairs
from services.casework.api.request import context
from services.casework.auth.policy import read_scope
from services.casework.domain.roles import may_read
from services.casework.web import charts
from services.casework.web.blueprint import bp, me, page
from services.casework.web.labels import label
from services.reporting.domain.cases import STAGE_ORDER
from services.reporting.domain.model import MapPoint, PointMap
from services.reporting.domain.recording import DELAY_BUCKETS
from services.reporting.domain.regions import RegionFigures
from services.reporting.domain.stats import DAY, share

OVERDUE_SHOWN = 100  # the longest overdue; the case list shows them all (stage "reported", overdue)


def figures(found: dict[str, int], delays: tuple[float | None, ...], ages: tuple[float | None, ...]
            ) -> dict[str, Any]:
    """The figures of one office (or all) as the reports' `key_figures` names them, from the read model's counts."""
    mean, median, p90 = delays
    oldest, median_overdue = ages
    on_time, late, unjudged, overdue = found["v_met"], found["v_missed"], found["v_unjudged"], found["v_overdue"]
    passed = on_time + late + unjudged + overdue  # the denominator of the share: incidents whose goal has come
    return {
        "incidents": found["incidents"], "recorded": found["recorded"],
        "unrecorded": found["incidents"] - found["recorded"],
        "mean_delay_days": mean, "median_delay_days": median, "p90_delay_days": p90,
        "within_goal": on_time, "goal_passed": passed, "within_goal_share": share(on_time, passed),
        "recorded_late": late + unjudged, "not_yet_due": found["v_pending"], "unscheduled": found["v_unscheduled"],
        "overdue_unrecorded": overdue, "oldest_overdue_days": oldest, "median_overdue_days": median_overdue,
        **{stage: found[stage] for stage in case_figures.STAGES},
        "closed_without_approval": found["closed_without_approval"], "closed_merged": found["closed_merged"],
        "closed_with_follow_up": found["closed_with_follow_up"],
        "stalled": found["stalled"], "stalled_without_reason": found["stalled_without_reason"],
    }


def office_figures(conn: Connection, scope: str | None, now: datetime,
                   tallies: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """The figures of each office with cases (and case_figures.TOTAL), by aggregate queries on the read model:
    counts grouped by office (from `tallies` when already read), then a few ordered reads per office for the
    medians and the oldest."""
    found = case_figures.counts(conn, scope, now, tallies)
    out = {}
    for office, mine in found.items():
        where = None if office == case_figures.TOTAL else office
        delays = case_figures.delays(conn, where, mine["recorded"], mine[case_figures.DELAY_SUM])
        out[office] = {**figures(mine, delays,
                                 case_figures.overdue_ages(conn, where, now, mine["v_overdue"])),
                       "buckets": [mine[f"b_{i}"] for i in range(len(case_figures.BUCKETS))]}
    return out


def overdue_list(conn: Connection, scope: str | None, now: datetime) -> list[dict[str, Any]]:
    """The unrecorded incidents past their goal in the reader's scope, the longest overdue first (the first 100)."""
    return [{"reference": r["reference"], "office": r["office"], "reported_at": r["reported_at"],
             "due_at": r["recording_due_at"], "days_past": (now - r["recording_due_at"]) / DAY,
             "assignee": r["assignee"]}
            for r in case_figures.overdue_list(conn, scope, now, OVERDUE_SHOWN)]


def regions_of(found: list[dict[str, Any]]) -> list[RegionFigures]:
    """One row per region with incidents, the most first; free-text places last (as reporting's `by_region`)."""
    places = gazetteer()
    rows = [RegionFigures(places.get(r["region_pcode"]) if r["region_pcode"] else None, int(r["incidents"]),
                          int(r["recorded"]), int(r["on_time"] or 0), int(r["goal_passed"] or 0),
                          int(r["overdue_unrecorded"] or 0), int(r["open_cases"] or 0)) for r in found]
    return sorted(rows, key=lambda r: (r.region is None, -r.incidents, r.name))


def incident_map(regions: Sequence[RegionFigures], own: Sequence[tuple[str, float, float]], incidents: int
                 ) -> PointMap:
    """The regions at their seats with their counts, and each incident with its own coordinates (as reporting's)."""
    seats = [MapPoint(r.name, r.region.lat, r.region.lon, r.incidents) for r in regions
             if r.region is not None and r.region.lat is not None and r.region.lon is not None]
    points = [MapPoint(ref, lat, lon, 1) for ref, lat, lon in own]
    return PointMap("map_by_region", "Incidents by region (at each region's seat)", dict(BOUNDS), tuple(seats),
                    tuple(points), unplaced=incidents - sum(p.count for p in seats))


def taken(conn: Connection, scope: str | None, now: datetime) -> tuple[Any, ...]:
    """Every figure of the page for one scope (None: all offices) at `now`, read in one transaction; one pass over
    the rows counts both the offices and the regions."""
    tallies = case_figures.tallies(conn, scope, now)
    return (office_figures(conn, scope, now, tallies), overdue_list(conn, scope, now),
            regions_of(case_figures.by_region(conn, scope, now, tallies)), case_figures.placed(conn, scope),
            case_figures.recording_goal_days(conn, scope), pairs.counts(conn, scope))


@bp.get("/overview")
def overview() -> str:
    ctx, user = context(), me()
    scope = read_scope(user)

    def take() -> tuple[tuple[Any, ...], datetime]:  # in a thread of its own when the last figures are kept
        now = ctx.clock.now()
        return ctx.casework.read(lambda conn: taken(conn, scope, now)), now

    # At most every overview_max_age seconds, shared by every reader of the scope (ADR 0025): the page says when.
    snapshot = ctx.snapshots.get(("overview", scope), ctx.overview_max_age, take)
    shared, overdue, regions, own, goal_days, duplicates = snapshot.value
    now, found = snapshot.at, dict(shared)  # the figures are shared: never change them in place
    total = found.pop(case_figures.TOTAL)
    with_cases = set(found)  # offices without a single case would only lengthen every table
    offices = [o for o in ctx.offices if o in with_cases or o == scope]
    offices += sorted(with_cases - set(offices))
    empty = figures(case_figures.no_counts(), (None, None, None), (None, None))
    rows = [(office, found.get(office, empty)) for office in offices]
    names = [o for o, _f in rows]
    reported_chart = charts.stacked_bars("chart-recorded", _("Incidents reported: recorded and not recorded"), names, [
        (_("Recorded on time"), [f["within_goal"] for _o, f in rows], charts.ON_TIME),
        (_("Recorded late"), [f["recorded"] - f["within_goal"] for _o, f in rows], charts.LATE),
        (_("Not recorded, past the goal"), [f["overdue_unrecorded"] for _o, f in rows], charts.OVERDUE),
        (_("Not recorded, goal still ahead"), [f["unrecorded"] - f["overdue_unrecorded"] for _o, f in rows],
         charts.PENDING)])
    stage_chart = charts.stacked_bars("chart-stages", _("Cases per stage"), names, [
        (label("stage", s), [f[s] if s != "reported" else f["unrecorded"] for _o, f in rows]) for s in STAGE_ORDER])
    counts = list(total["buckets"])
    distribution = [(label_, n, share(n, total["recorded"])) for (_high, label_), n in zip(DELAY_BUCKETS, counts,
                                                                                           strict=True)]
    # The recorded by delay, and the unrecorded past their goal beside them (an average never hides them). The
    # first bucket holds 4.0 days too, which the monitor judges late: it is named for its days, not "on time".
    none = [0] * len(counts)
    delay_chart = charts.stacked_bars(
        "chart-delay", _("Recorded cases by recording delay, and the unrecorded past their goal"),
        [*(_bucket(r[0]) for r in distribution), _("not recorded, past the goal")], [
            (_bucket("within 4 days"), [counts[0], *none[1:], 0], charts.ON_TIME),
            (_("later"), [0, *counts[1:], 0], charts.LATE),
            (_("Not recorded, past the goal"), [*none, total["overdue_unrecorded"]], charts.OVERDUE)])
    closure_chart = charts.stacked_bars("chart-closures", _("Closures with and without a Director's review"), names, [
        (_("With a Director's approval"),
         [f["closed"] - f["closed_without_approval"] - f["closed_merged"] for _o, f in rows], charts.ON_TIME),
        (_("Without it"), [f["closed_without_approval"] for _o, f in rows], charts.OVERDUE),
        (_("Merged into another case"), [f["closed_merged"] for _o, f in rows], charts.PENDING)])
    shown = incident_map(regions, own, total["incidents"])
    return page("overview.html", title=_("Overview"), rows=rows, total=total, now=now, max_age=ctx.overview_max_age,
                recording_goal_days=goal_days, overdue=[o for o in overdue if may_read(user, o["office"])],
                stages=STAGE_ORDER, distribution=[(_bucket(r[0]), r[1], r[2]) for r in distribution],
                charts={"recorded": reported_chart, "stages": stage_chart, "delay": delay_chart,
                        "closures": closure_chart, "map": region_map(shown, regions)}, scope=scope,
                regions=regions, duplicates=duplicates)


def region_map(shown: PointMap, regions: Sequence[RegionFigures]) -> Any:
    """The incidents by region as a point map at the regions' seats, with its figures in words."""
    counted = "; ".join(f"{r.name}: {r.incidents}" for r in regions if r.region is not None)
    desc = _("Incidents per region, drawn at each region's seat: %(counts)s.", counts=counted or _("none"))
    if shown.unplaced:
        desc += " " + ngettext("%(num)s incident with a free-text place is not on the map.",
                               "%(num)s incidents with a free-text place are not on the map.", shown.unplaced)
    return charts.point_map(
        "map-regions", _("Incidents by region"), desc, shown,
        lambda p: ngettext("%(region)s: %(num)s incident", "%(region)s: %(num)s incidents", p.count, region=p.label),
        lambda p: _("%(case)s, at its own coordinates", case=p.label))


def _bucket(text: str) -> str:
    words = {"within 4 days": _("within 4 days"), "5 to 30 days": _("5 to 30 days"),
             "31 to 60 days": _("31 to 60 days"), "61 to 90 days": _("61 to 90 days"),
             "91 to 180 days": _("91 to 180 days"), "181 to 365 days": _("181 to 365 days"),
             "over a year": _("over a year")}
    return words.get(text, text)
