"""Incidents by region from the case events (the incident's P-code when it has one, else its location), their
figures against the recording goal, and the point map drawn from them: as SVG on the overview, PNG in the report."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.casework.web.charts import point_map
from services.reporting.adapters.charts import write_map
from services.reporting.domain.cases import fold
from services.reporting.domain.events import Event
from services.reporting.domain.model import Targets
from services.reporting.domain.regions import by_region, incident_map, region_table

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
NOW = T0 + 30 * DAY
# Each incident: its place as the case event carries it, whether it was recorded, and its recording's verdict.
PLACES: list[tuple[dict[str, Any], str | None]] = [
    ({"place_pcode": "ML0502", "location": "Djenné"}, "met"),  # Mopti
    ({"location": "Konna"}, "missed"),  # Mopti, by its name
    ({"location": "mopti"}, None),  # Mopti, unrecorded, past its goal
    ({"place_pcode": "ML1001", "location": "the market", "latitude": 15.9, "longitude": 2.4}, "met"),  # Ménaka
    ({"location": "Menaka"}, None),  # Ménaka, unrecorded, past its goal
    ({"location": "timbuktu"}, "met"),  # Tombouctou
    ({"location": "Village 12"}, None),  # free text
    ({"location": "Bamako Commune IV"}, "met"),  # free text (commune not in the gazetteer)
]


def events() -> tuple[list[Event], list[Event]]:
    found, schedules = [], []
    for n, (place, verdict) in enumerate(PLACES, start=1):
        case_id, reported = f"c-{n}", T0 + n * DAY
        base = {"case_id": case_id, "reference": f"MOP-2026-{n:04d}", "office": "Mopti", "assignee": None,
                "stage": "reported"}
        found.append(Event("CaseRegistered", reported, case_id, {
            **base, "incident_key": f"SR#{n}", "sitrep_id": "SR", "violation_types": ["killing"],
            "reported_at": reported, **place}, offset=2 * n))
        recorded = reported + (DAY if verdict == "met" else 6 * DAY)
        if verdict is not None:
            found.append(Event("CaseRecorded", recorded, case_id, {**base, "stage": "preliminary", "actor": "awa"},
                               offset=2 * n + 1))
        schedules.append(Event("SlaScheduled", reported, case_id, {
            "case_id": case_id, "clock": "recording", "state": "stopped" if verdict else "running",
            "started_at": reported, "due_at": reported + 4 * DAY, "stopped_at": recorded if verdict else None,
            "outcome": verdict}, offset=100 + n))
    return found, schedules


def test_each_region_counts_what_a_reader_counts_by_hand() -> None:
    found, schedules = events()
    rows = by_region(list(fold(found, NOW, schedules).values()), NOW)
    by_hand = [  # name, incidents, recorded, on time, whose goal has passed, overdue unrecorded, open
        ("Mopti", 3, 2, 1, 3, 1, 2), ("Ménaka", 2, 1, 1, 2, 1, 1), ("Tombouctou", 1, 1, 1, 1, 0, 1),
        ("unknown region", 2, 1, 1, 2, 1, 1)]
    assert [(r.name, r.incidents, r.recorded, r.on_time, r.goal_passed, r.overdue_unrecorded, r.open_cases)
            for r in rows] == by_hand
    assert [r.region.pcode if r.region else None for r in rows] == ["ML05", "ML10", "ML06", None]


def test_the_reports_table_ends_with_the_total_and_names_the_denominator() -> None:
    found, schedules = events()
    table = region_table(list(fold(found, NOW, schedules).values()), Targets("test"), NOW)
    assert table.columns[4:7] == ("Recorded on time", "Whose 4 days have passed", "On time, % of those")
    total = table.rows[-1]
    assert total[0] == "Total" and total[2:6] == (8, 5, 4, 8) and total[7:] == (3, 5)
    assert total[6].value == 0.5


def test_the_map_has_a_marker_per_region_with_incidents_and_its_count_and_the_free_text_left_off() -> None:
    found, schedules = events()
    shown = incident_map(list(fold(found, NOW, schedules).values()), NOW)
    assert [(p.label, p.count) for p in shown.regions] == [("Mopti", 3), ("Ménaka", 2), ("Tombouctou", 1)]
    assert [(p.label, p.latitude, p.longitude) for p in shown.incidents] == [("MOP-2026-0004", 15.9, 2.4)]
    assert shown.unplaced == 2
    svg = str(point_map("m", "Incidents by region", "Mopti: 3; Ménaka: 2; Tombouctou: 1", shown,
                        lambda p: f"{p.label}: {p.count} incidents", lambda p: p.label))
    markers = re.findall(r'<g class="marker" data-region="([^"]+)" data-count="(\d+)"><title>([^<]+)</title>'
                         r'<circle [^>]+/><text [^>]+>([^<]+)</text></g>', svg)
    assert [(m[0], m[1], m[3]) for m in markers] == [("Mopti", "3", "Mopti: 3"), ("Ménaka", "2", "Ménaka: 2"),
                                                     ("Tombouctou", "1", "Tombouctou: 1")]
    assert '<title id="m-title">Incidents by region</title>' in svg and '<desc id="m-desc">' in svg
    assert svg.count('<g class="incident">') == 1 and "<script" not in svg and "href" not in svg
    # Mopti's seat lies west of Ménaka's and south of Tombouctou's: the points stand where the places are.
    x = {name: float(v) for name, v in re.findall(r'data-region="([^"]+)"[^>]*><title>[^<]+</title><circle '
                                                   r'cx="([0-9.]+)"', svg)}
    assert x["Mopti"] < x["Tombouctou"] < x["Ménaka"]


def test_the_reports_map_is_a_png_and_the_same_map_gives_the_same_bytes(tmp_path: Path) -> None:
    found, schedules = events()
    shown = incident_map(list(fold(found, NOW, schedules).values()), NOW)
    first, second = write_map(shown, tmp_path / "a.png"), write_map(shown, tmp_path / "b.png")
    assert first.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert first.read_bytes() == second.read_bytes()
