"""Incidents by region on the overview and in `hrcase report`, against the figures worked out by hand from the review's
history (tests/integration/unrecorded_world.py): each incident's region from its location as written."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from services.cli import cli
from services.embedded import EmbeddedRuntime
from tests.integration.test_unrecorded_figures import world_on
from tests.integration.unrecorded_world import AS_OF_DATE, build
from tests.integration.web_world import browser

# The history's incidents are numbered 1 to 20 (Mopti 1-18, Gao 19-20), each at the place tests/factories.py gives
# its number: Mopti's office writes Djenné (n % 4 == 0: region Mopti), Bandiagara and Koro (1, 2: region Bandiagara
# since 2023) and Douentza (3: region Douentza); Gao's writes Bourem (19) and Tessit (20), both region Gao.
# Recorded: 1, 2 and 3 on time, 4 late; 5 to 17, 19 and 20 unrecorded past their goal; 18 not yet due.
BY_HAND = {  # region: (incidents, recorded, on time, whose goal has passed, unrecorded past the goal, open cases)
    "Bandiagara": (10, 2, 2, 9, 7, 2),  # 1, 2, 5, 6, 9, 10, 13, 14, 17, 18
    "Mopti": (4, 1, 0, 4, 3, 1),  # 4, 8, 12, 16
    "Douentza": (4, 1, 1, 4, 3, 1),  # 3, 7, 11, 15
    "Gao": (2, 0, 0, 2, 2, 0),  # 19, 20
}
ROW = re.compile(r'<tr><th scope="row">([^<]+) <span class="muted">(ML\d\d)</span></th><td>(\d+)</td><td>(\d+)</td>'
                 r'<td>(\d+)</td><td>(\d+)</td><td(?: class="late")?>(\d+)</td><td>(\d+)</td></tr>')
MARKER = re.compile(r'<g class="marker" data-region="([^"]+)" data-count="(\d+)"><title>([^<]+)</title>')


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedRuntime:
    return build(tmp_path_factory.mktemp("regions") / "data")


def test_the_overview_counts_by_region_as_worked_out_by_hand_and_maps_each_region(history: EmbeddedRuntime) -> None:
    page = browser(world_on(history.casework), "dir").get("/web/overview").get_data(as_text=True)
    table = page[page.index('id="table-regions"'):]
    table = table[:table.index("</table>")]
    rows = {name: tuple(int(v) for v in values) for name, _code, *values in ROW.findall(table)}
    assert rows == BY_HAND
    assert list(rows) == ["Bandiagara", "Douentza", "Mopti", "Gao"]  # the most incidents first, then by name
    markers = {region: (int(count), title) for region, count, title in MARKER.findall(page)}
    assert markers == {name: (figures[0], f"{name}: {figures[0]} incidents") for name, figures in BY_HAND.items()}
    desc = re.search(r'<desc id="map-regions-desc">([^<]+)</desc>', page)
    assert desc is not None and "Bandiagara: 10" in desc.group(1) and "Gao: 2" in desc.group(1)


def test_a_team_leader_sees_the_regions_of_their_own_office_only(history: EmbeddedRuntime) -> None:
    page = browser(world_on(history.casework), "tl_gao").get("/web/overview").get_data(as_text=True)
    assert {m[0]: int(m[1]) for m in MARKER.findall(page)} == {"Gao": 2}


def test_the_report_has_the_same_figures_by_region_and_a_map(history: EmbeddedRuntime, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["report", "--data-dir", str(history.settings.data_dir), "--as-of",
                                      AS_OF_DATE.isoformat(), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with (out / "by_region.csv").open() as f:
        rows = {r["Region"]: r for r in csv.DictReader(f)}
    columns = ("Incidents reported", "Recorded", "Recorded on time", "Whose 4 days have passed",
               "Not recorded, past the goal", "Open cases (recorded, not closed)")
    assert {name: tuple(int(r[c]) for c in columns) for name, r in rows.items() if name != "Total"} == BY_HAND
    assert tuple(int(rows["Total"][c]) for c in columns) == (20, 4, 3, 19, 15, 4)
    assert float(rows["Bandiagara"]["On time, % of those"]) == round(100 * 2 / 9, 1)
    assert (out / "map_by_region.png").read_bytes()[:4] == b"\x89PNG"
    markdown = (out / "report.md").read_text()
    assert "## 8. Incidents by region" in markdown and "![Incidents by region (at each region's seat)]" \
                                                        "(map_by_region.png)" in markdown
