"""deploy/grafana: the provisioned dashboard's queries are valid PromQL (promtool parses them) over metrics hrcase
exports, its panels do not overlap, and it uses the provisioned data source."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.integration.metrics_names import exported_names

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "hrcase-overview.json"
# What Grafana substitutes before sending a query.
VARIABLES = {"$office": ".*", "$__range": "7d", "$__rate_interval": "1m", "$__interval": "15s"}


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def queries() -> list[tuple[str, str]]:
    return [(p["title"], t["expr"]) for p in dashboard()["panels"] for t in p.get("targets", [])]


def grafana_expanded(expr: str) -> str:
    for name, value in VARIABLES.items():
        expr = expr.replace(name, value)
    return expr


def test_every_query_is_valid_promql(tmp_path: Path) -> None:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.fail("promtool is not installed: `make test` installs it (Debian package prometheus)")
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:panel_{n}", "expr": grafana_expanded(expr)} for n, (_t, expr) in enumerate(queries())]}]}
    (tmp_path / "dashboard.yml").write_text(yaml.safe_dump(rules))
    result = subprocess.run([tool, "check", "rules", str(tmp_path / "dashboard.yml")], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_metric_a_panel_shows_is_exported_by_hrcase(tmp_path: Path) -> None:
    used = {name for _t, expr in queries() for name in re.findall(r"\b(hrcase_[a-z_]+)\b", expr)}
    assert len(used) >= 15
    assert used - exported_names(tmp_path) == set()


def test_it_shows_the_pipeline_and_the_sla_picture_per_office() -> None:
    titles = {p["title"] for p in dashboard()["panels"]}
    assert {"Pipeline: situation reports to cases", "SLA per office", "Open SLA breaches by clock and office",
            "Open cases by office and stage", "Recorded on time, of incidents whose 4 days have passed",
            "Not recorded, past the 4-day goal (incidents)", "Consumer lag by group and topic",
            "Unacknowledged alerts by office", "Closures", "Dead letters"} <= titles
    office = next(v for v in dashboard()["templating"]["list"] if v["name"] == "office")
    assert office["includeAll"] and office["multi"]
    per_office = [t for t, expr in queries() if 'office=~"$office"' in expr]
    assert len(per_office) >= 12


def test_panels_do_not_overlap_on_the_grid() -> None:
    cells: dict[tuple[int, int], str] = {}
    for panel in dashboard()["panels"]:
        g = panel["gridPos"]
        assert g["x"] + g["w"] <= 24, panel["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_it_uses_the_provisioned_data_source_and_has_a_unique_stable_uid() -> None:
    source = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())["datasources"][0]
    uids = {t["datasource"]["uid"] for p in dashboard()["panels"] for t in p.get("targets", [])}
    assert uids == {source["uid"]}
    ids = [p["id"] for p in dashboard()["panels"]]
    assert len(ids) == len(set(ids))
    assert dashboard()["uid"] == "hrcase-overview"
