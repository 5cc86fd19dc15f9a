"""Render the Grafana dashboard's panels from a scenario run, for docs/operations.md (Grafana itself is not run).

The demo's six simulated weeks run on the embedded runtime; the metrics are scraped every six simulated hours,
backfilled into a Prometheus TSDB (`promtool tsdb create-blocks-from openmetrics`), a local Prometheus (loopback)
answers every panel's own PromQL, and matplotlib draws the answers on the dashboard's grid.

    .venv/bin/python deploy/grafana/render_dashboard.py docs/images/dashboard-demo.png

Needs `promtool` and `prometheus` (Debian package prometheus).
"""

from __future__ import annotations

import json
import math
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from services.config import Settings
from services.demo import Demo
from services.demo_script import END, START
from services.embedded import EmbeddedRuntime

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "hrcase-overview.json"
STEP = 6 * 3600
BG, PANEL, TEXT, GRID = "#111217", "#181b1f", "#d8d9da", "#2c3235"
COLOURS = ["#73bf69", "#f2cc0c", "#5794f2", "#ff780a", "#b877d9", "#f2495c", "#8ab8ff", "#fade2a", "#96d98d",
           "#ffb357", "#ca95e5", "#ff7383"]


class RecordingDemo(Demo):
    """The demo, scraped after every settle at its simulated time."""

    snapshots: list[tuple[float, str]]

    def settle(self, now: datetime) -> None:
        super().settle(now)
        at = now.timestamp()
        if not self.snapshots or at - self.snapshots[-1][0] >= STEP:
            self.snapshots.append((at, generate_latest(self.runtime.metrics.registry).decode()))


def run_scenario(data: Path) -> list[tuple[float, str]]:
    demo = RecordingDemo(EmbeddedRuntime(Settings(data_dir=data)), ROOT / "examples" / "sitreps", lambda _s: None)
    # A scrape before anything happens, as Prometheus would have taken: increase() then counts from zero.
    demo.snapshots = [(START.timestamp() - STEP, generate_latest(demo.runtime.metrics.registry).decode())]
    demo.run()
    demo.snapshots.append((END.timestamp(), generate_latest(demo.runtime.metrics.registry).decode()))
    return demo.snapshots


def openmetrics(snapshots: list[tuple[float, str]]) -> str:
    """One OpenMetrics text with every sample at its simulated time: families once, each series in time order."""
    kinds: dict[str, str] = {}
    series: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[float, float]]]] = defaultdict(dict)
    for at, page in snapshots:
        for family in text_string_to_metric_families(page):
            kinds[family.name] = family.type
            for s in family.samples:
                if s.name.endswith("_created"):
                    continue
                key = (s.name, tuple(sorted(s.labels.items(), key=lambda kv: (kv[0] == "le", kv[0]))))
                series[family.name].setdefault(key, []).append((at, s.value))
    lines = []
    for name, kind in kinds.items():
        lines.append(f"# TYPE {name} {kind}")
        groups: dict[tuple[tuple[str, str], ...], list[tuple[str, tuple[tuple[str, str], ...]]]] = defaultdict(list)
        for key in series[name]:
            groups[tuple(kv for kv in key[1] if kv[0] != "le")].append(key)
        for keys in groups.values():
            order = sorted(keys, key=lambda k: (not k[0].endswith("_bucket"), _le(k[1]), k[0]))
            times = sorted({t for k in keys for t, _v in series[name][k]})
            for t in times:
                for key in order:
                    value = dict(series[name][key]).get(t)
                    if value is not None:
                        labels = ",".join(f'{k}="{v}"' for k, v in key[1])
                        lines.append(f"{key[0]}{{{labels}}} {value} {t:.3f}" if labels else f"{key[0]} {value} {t:.3f}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def _le(labels: tuple[tuple[str, str], ...]) -> float:
    le = dict(labels).get("le")
    return float("inf") if le in (None, "+Inf") else float(le)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Prometheus:
    def __init__(self, tsdb: Path, work: Path):
        self.port = free_port()
        (work / "prometheus.yml").write_text("global: {scrape_interval: 1h}\n")
        self.process = subprocess.Popen(
            [_tool("prometheus"), f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={tsdb}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=100y",
             "--query.lookback-delta=7h"],  # samples are six hours apart
            stdout=subprocess.DEVNULL, stderr=(work / "prometheus.log").open("w"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self._get("/-/ready"):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("prometheus did not start: " + (work / "prometheus.log").read_text()[-2000:])

    def _get(self, path: str, **params: Any) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}{query}", timeout=30) as response:
            body = response.read()
        return json.loads(body) if path.startswith("/api") else body

    def instant(self, expr: str, at: float) -> list[dict]:
        return self._get("/api/v1/query", query=expr, time=at)["data"]["result"]

    def range(self, expr: str, start: float, end: float) -> list[dict]:
        return self._get("/api/v1/query_range", query=expr, start=start, end=end, step=STEP)["data"]["result"]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed (Debian package prometheus)")
    return found


def expand(expr: str, range_days: int) -> str:
    for name, value in (("$office", ".*"), ("$__range", f"{range_days}d"), ("$__rate_interval", "1d"),
                        ("$__interval", "6h")):
        expr = expr.replace(name, value)
    return expr


def legend(template: str, metric: dict[str, str]) -> str:
    for key, value in metric.items():
        template = template.replace("{{" + key + "}}", value)
    return template


def draw(dashboard: dict, prom: Prometheus, out: Path) -> None:
    start, end = START.timestamp() - STEP, END.timestamp()
    days = math.ceil((end - start) / 86400)  # Grafana's $__range: the whole time range
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in dashboard["panels"])
    unit_w, unit_h = 0.78, 0.42
    fig = plt.figure(figsize=(24 * unit_w, rows * unit_h + 1.2), facecolor=BG)
    top = 1 - 1.0 / (rows * unit_h + 1.2)
    fig.text(0.01, top + 0.6 * (1 - top), dashboard["title"], color=TEXT, fontsize=17, weight="bold", va="center")
    fig.text(0.99, top + 0.6 * (1 - top),
             f"Office: All   {START:%d %b} to {END:%d %b %Y} (the demo's six simulated weeks)   "
             "rendered with matplotlib from the panels' PromQL on Prometheus; not a Grafana screenshot",
             color="#8e8e8e", fontsize=10, ha="right", va="center")

    def box(g: dict) -> list[float]:
        x0, w = g["x"] / 24, g["w"] / 24
        y1 = top - g["y"] / rows * top
        h = g["h"] / rows * top
        return [x0 + 0.004, y1 - h + 0.004, w - 0.008, h - 0.008]

    for panel in dashboard["panels"]:
        g = panel["gridPos"]
        if panel["type"] == "row":
            left, bottom, _w, h = box(g)
            fig.text(left, bottom + h / 2, panel["title"], color=TEXT, fontsize=13, weight="bold", va="center")
            continue
        rect = box(g)
        if panel["type"] == "timeseries":  # room for the time axis' labels inside the panel
            rect = [rect[0] + 0.025, rect[1] + 0.012, rect[2] - 0.03, rect[3] - 0.012]
        if panel["type"] == "bargauge":  # room for the bars' names inside the panel
            rect = [rect[0] + 0.075 * rect[2] / (8 / 24), rect[1], rect[2] - 0.075 * rect[2] / (8 / 24), rect[3]]
        ax = fig.add_axes(rect, facecolor=PANEL)
        for spine in ax.spines.values():
            spine.set_color(GRID)
        ax.set_title(panel["title"], color=TEXT, fontsize=10.5, loc="left", pad=4)
        ax.tick_params(colors="#a0a0a0", labelsize=8)
        unit = panel["fieldConfig"]["defaults"].get("unit")
        if panel["type"] == "timeseries":
            _timeseries(ax, panel, prom, start, end, days, unit)
        elif panel["type"] == "stat":
            _stat(ax, panel, prom, end, days)
        else:
            _bars(ax, panel, prom, end, days, unit)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80, facecolor=BG)


def _timeseries(ax: Any, panel: dict, prom: Prometheus, start: float, end: float, days: int, unit: str | None) -> None:
    stacked = panel["fieldConfig"]["defaults"]["custom"]["stacking"]["mode"] == "normal"
    lines: list[tuple[str, list[datetime], list[float]]] = []
    for target in panel["targets"]:
        for r in prom.range(expand(target["expr"], days), start, end):
            points = [(datetime.fromtimestamp(float(t)), float(v)) for t, v in r["values"] if v not in ("NaN",)]
            if points:
                lines.append((legend(target["legendFormat"], r["metric"]), *map(list, zip(*points, strict=True))))
    lines.sort(key=lambda item: item[0])
    if stacked and lines:
        times = sorted({t for _l, ts, _v in lines for t in ts})
        values = [[dict(zip(ts, vs, strict=True)).get(t, 0.0) for t in times] for _l, ts, vs in lines]
        ax.stackplot(times, values, labels=[label for label, _t, _v in lines], colors=COLOURS, alpha=0.75)
    else:
        for n, (label, ts, vs) in enumerate(lines):
            ax.plot(ts, vs, label=label, color=COLOURS[n % len(COLOURS)], linewidth=1.8)
    if not lines:
        ax.text(0.5, 0.5, "No data", color="#8e8e8e", ha="center", va="center", transform=ax.transAxes)
    ax.grid(color=GRID, linewidth=0.6)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    if unit == "s":
        ax.set_ylabel("seconds", color="#a0a0a0", fontsize=8)
    # The legend leaves out series that stay at zero throughout (they are drawn, at zero, all the same).
    handles = [(h, label) for h, label in zip(*ax.get_legend_handles_labels(), strict=True)
               if any(any(v for v in vs) for lab, _t, vs in lines if lab == label)]
    if handles:
        ax.legend([h for h, _l in handles], [lab for _h, lab in handles], loc="upper left", fontsize=7,
                  ncol=3 if len(handles) > 6 else 2, frameon=False, labelcolor=TEXT)


def _stat(ax: Any, panel: dict, prom: Prometheus, end: float, days: int) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    values = []
    for target in panel["targets"]:
        result = prom.instant(expand(target["expr"], days), end)
        value = sum(float(r["value"][1]) for r in result) if result else 0.0
        values.append((target["legendFormat"], value))
    steps = panel["fieldConfig"]["defaults"].get("thresholds", {}).get("steps", [])
    for n, (label, value) in enumerate(values):
        colour = "#73bf69"
        for step in steps:
            if step["value"] is None or value >= step["value"]:
                colour = {"green": "#73bf69", "orange": "#ff9830", "red": "#f2495c"}.get(step["color"], colour)
        x = (n + 0.5) / len(values)
        ax.text(x, 0.5, f"{value:.0f}", color=colour, fontsize=30 if len(values) == 1 else 24, ha="center",
                va="center", weight="bold", transform=ax.transAxes)
        if len(values) > 1:
            ax.text(x, 0.15, label, color=TEXT, fontsize=9, ha="center", transform=ax.transAxes)


def _bars(ax: Any, panel: dict, prom: Prometheus, end: float, days: int, unit: str | None) -> None:
    items: list[tuple[str, float]] = []
    for target in panel["targets"]:
        for r in prom.instant(expand(target["expr"], days), end):
            items.append((legend(target["legendFormat"], r["metric"]), float(r["value"][1])))
    if "le" in panel["targets"][0]["legendFormat"]:
        items = [(_days_label(le), v) for le, v in sorted(items, key=lambda i: float(i[0]), reverse=True)]
    else:
        items.sort(key=lambda i: i[0], reverse=True)
    if unit == "percentunit":
        items = [(label, v * 100) for label, v in items]
    labels, values = [i[0] for i in items], [i[1] for i in items]
    ax.barh(labels, values, color=[COLOURS[n % len(COLOURS)] for n in range(len(items))])
    for n, v in enumerate(values):
        ax.text(v, n, f" {v:.0f}{'%' if unit == 'percentunit' else ''}", color=TEXT, va="center", fontsize=8)
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    ax.tick_params(axis="y", labelsize=7.5)
    if unit == "percentunit":
        ax.set_xlim(0, 110)


def _days_label(le: str) -> str:
    return "+Inf" if le == "+Inf" else f"≤ {float(le) / 86400:g} d"


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="hrcase-render-") as tmp:
        work = Path(tmp)
        snapshots = run_scenario(work / "data")
        (work / "metrics.om").write_text(openmetrics(snapshots))
        subprocess.run([_tool("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(work / "metrics.om"),
                        str(work / "tsdb")], check=True, capture_output=True)
        prom = Prometheus(work / "tsdb", work)
        try:
            draw(json.loads(DASHBOARD.read_text()), prom, out)
        finally:
            prom.stop()
    print(f"{out}: {len(snapshots)} scrapes of the demo rendered")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images" / "dashboard-demo.png")
