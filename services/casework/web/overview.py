"""The overview: the audit's numbers per office, from the case events and the monitor's schedules, by the reporting
functions (on time, stalled: as the monitor scheduled each clock; casework holds no copy of the policy)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Connection

from schemas.registry import latest_version, load_payload
from services.casework.adapters import duplicates as pairs
from services.casework.adapters import read_model
from services.casework.adapters import schedules as schedule_store
from services.casework.api.request import context
from services.casework.auth.policy import read_scope
from services.casework.domain.roles import User, may_read
from services.casework.web import charts
from services.casework.web.blueprint import bp, me, page
from services.casework.web.labels import label
from services.reporting.domain.cases import STAGE_ORDER, CaseFacts, fold
from services.reporting.domain.compliance import Cohort, key_figures
from services.reporting.domain.events import Event
from services.reporting.domain.model import Scope, Targets
from services.reporting.domain.recording import delay_distribution, overdue_days, overdue_unrecorded
from services.reporting.domain.regions import RegionFigures, by_region, incident_map

OVERDUE_SHOWN = 100  # the longest overdue; the case list shows them all (stage "reported", overdue)


def schedule_events(conn: Connection, office: str | None) -> list[Event]:
    """The monitor's latest schedule of each clock of each case casework holds, as reports read SlaScheduled."""
    ids = None if office is None else read_model.case_ids_of_office(conn, office)
    return [Event("SlaScheduled", s.stopped_at or s.started_at, s.case_id, s.__dict__)
            for s in schedule_store.all_schedules(conn, ids)]


def recording_goal_days(found: Sequence[Event]) -> float | None:
    """The recording goal the monitor last scheduled a clock with (the text names it; casework holds no policy)."""
    recording = [e.payload for e in found if e.payload["clock"] == "recording"]
    if not recording:
        return None
    latest: Any = max(recording, key=lambda p: p["started_at"])
    return float((latest["due_at"] - latest["started_at"]).total_seconds() / 86400)


def case_events(conn: Connection, office: str | None) -> list[Event]:
    """Every case event casework holds (its own history of each case), typed as reports read them."""
    return [Event(type_, at, case_id, load_payload(type_, latest_version(type_), payload), seq)
            for seq, type_, at, case_id, payload in read_model.history_of_cases(conn, office)]


def figures(cases_: Sequence[CaseFacts], now: datetime, targets: Targets) -> dict[str, Any]:
    return dict(key_figures(Cohort(tuple(cases_), (), 0, ()), Scope(as_of=now), targets))


def overdue_list(facts: Sequence[CaseFacts], now: datetime, user: User) -> list[dict[str, Any]]:
    """The unrecorded incidents past their goal that this user may open, the longest overdue first."""
    return [{"reference": c.reference, "office": c.office, "reported_at": c.reported_at,
             "due_at": c.clocks["recording"]["due_at"], "days_past": overdue_days(c, now), "assignee": c.assignee}
            for c in overdue_unrecorded(facts, now) if may_read(user, c.office)]


@bp.get("/overview")
def overview() -> str:
    ctx, user = context(), me()
    now = ctx.clock.now()
    scope = read_scope(user)
    events, scheduled, duplicates = ctx.casework.read(
        lambda conn: (case_events(conn, scope), schedule_events(conn, scope), pairs.counts(conn, scope)))
    facts = list(fold(events, now, scheduled).values())
    targets = Targets("casework")  # names only: every verdict comes from the schedules
    with_cases = {c.office for c in facts}  # offices without a single case would only lengthen every table
    offices = [o for o in ctx.offices if o in with_cases or o == scope]
    offices += sorted(with_cases - set(offices))
    rows = [(office, figures([c for c in facts if c.office == office], now, targets)) for office in offices]
    total = figures(facts, now, targets)
    names = [o for o, _f in rows]
    reported_chart = charts.stacked_bars("chart-recorded", _("Incidents reported: recorded and not recorded"), names, [
        (_("Recorded on time"), [f["within_goal"] for _o, f in rows], charts.ON_TIME),
        (_("Recorded late"), [f["recorded"] - f["within_goal"] for _o, f in rows], charts.LATE),
        (_("Not recorded, past the goal"), [f["overdue_unrecorded"] for _o, f in rows], charts.OVERDUE),
        (_("Not recorded, goal still ahead"), [f["unrecorded"] - f["overdue_unrecorded"] for _o, f in rows],
         charts.PENDING)])
    stage_chart = charts.stacked_bars("chart-stages", _("Cases per stage"), names, [
        (label("stage", s), [f[s] if s != "reported" else f["unrecorded"] for _o, f in rows]) for s in STAGE_ORDER])
    distribution = delay_distribution(facts)
    # The recorded by delay, and the unrecorded past their goal beside them (an average never hides them). The
    # first bucket holds 4.0 days too, which the monitor judges late: it is named for its days, not "on time".
    counts = [int(r[1]) for r in distribution.rows]
    none = [0] * len(counts)
    delay_chart = charts.stacked_bars(
        "chart-delay", _("Recorded cases by recording delay, and the unrecorded past their goal"),
        [*(_bucket(r[0]) for r in distribution.rows), _("not recorded, past the goal")], [
            (_bucket("within 4 days"), [counts[0], *none[1:], 0], charts.ON_TIME),
            (_("later"), [0, *counts[1:], 0], charts.LATE),
            (_("Not recorded, past the goal"), [*none, total["overdue_unrecorded"]], charts.OVERDUE)])
    closure_chart = charts.stacked_bars("chart-closures", _("Closures with and without a Director's review"), names, [
        (_("With a Director's approval"),
         [f["closed"] - f["closed_without_approval"] - f["closed_merged"] for _o, f in rows], charts.ON_TIME),
        (_("Without it"), [f["closed_without_approval"] for _o, f in rows], charts.OVERDUE),
        (_("Merged into another case"), [f["closed_merged"] for _o, f in rows], charts.PENDING)])
    overdue = overdue_list(facts, now, user)
    regions = by_region(facts, now)
    return page("overview.html", title=_("Overview"), rows=rows, total=total, now=now,
                recording_goal_days=recording_goal_days(scheduled), overdue=overdue[:OVERDUE_SHOWN],
                stages=STAGE_ORDER, distribution=[(_bucket(r[0]), r[1], r[2].value) for r in distribution.rows],
                charts={"recorded": reported_chart, "stages": stage_chart, "delay": delay_chart,
                        "closures": closure_chart, "map": region_map(facts, regions, now)}, scope=scope,
                regions=regions, duplicates=duplicates)


def region_map(facts: Sequence[CaseFacts], regions: Sequence[RegionFigures], now: datetime) -> Any:
    """The incidents by region as a point map at the regions' seats, with its figures in words."""
    shown = incident_map(facts, now)
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
