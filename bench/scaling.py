"""Benchmark 6: benchmark 2 with one and with two casework workers; tick cost and memory from few to many clocks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import REPO, Figure, Result, median

NAME = "scaling"
TITLE = "6. Scaling: casework workers, and open clocks"


def chart(rows: list[list[Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (cost, memory) = plt.subplots(1, 2, figsize=(10, 4))
    for kind, style in (("SQLite", "o-"), ("PostgreSQL", "s-")):
        mine = [r for r in rows if r[0] == kind]
        sizes = [r[1] for r in mine]
        cost.plot(sizes, [r[2] for r in mine], style, label=f"tick, {kind}")
        cost.plot(sizes, [r[3] for r in mine], style.replace("-", ":"), label=f"bare SELECT, {kind}", alpha=0.6)
        memory.plot(sizes, [r[5] for r in mine], style, label=kind)
    for axis in (cost, memory):
        axis.set_xscale("log")
        axis.set_xlabel("open clocks")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    cost.set_yscale("log")
    cost.set_ylabel("ms per tick with nothing due (median)")
    cost.set_title("Tick cost")
    memory.set_ylabel("monitor peak resident memory, MiB")
    memory.set_ylim(bottom=0)
    memory.set_title("Monitor memory")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(bootstrap: str, postgres_url: str, incidents: int, clock_sizes: list[int], runs: int,
        log: Any = print, chart_path: Path | None = None) -> Result:
    from bench import kafka_pipeline, sla

    result = Result(NAME, TITLE, {"incidents": incidents, "clocks": clock_sizes, "runs": runs})
    workers: dict[int, list[dict[str, Any]]] = {}
    for _ in range(runs):  # alternate, so that a slower spell of the machine does not favour one layout
        for count in (1, 2):
            workers.setdefault(count, []).append(
                kafka_pipeline.one_run(bootstrap, postgres_url, incidents, count, log))
    result.figures = [
        Figure("one casework worker: incidents per second", "/s", [r["rate"] for r in workers[1]]),
        Figure("two casework workers: incidents per second", "/s", [r["rate"] for r in workers[2]]),
        Figure("two against one, incidents per second", "",
               [b["rate"] / a["rate"] for a, b in zip(workers[1], workers[2], strict=True)]),
        Figure("two against one, each as a ratio to its own run's baseline", "",
               [b["ratio"] / a["ratio"] for a, b in zip(workers[1], workers[2], strict=True)]),
    ]
    result.tables.append({
        "title": f"Casework workers, {incidents:,} incidents (median of {runs})",
        "columns": ["casework workers", "incidents/s", "ratio to baseline", "casework CPU s (all workers)"],
        "rows": [[count, median([r["rate"] for r in rs]), median([r["ratio"] for r in rs]),
                  median([sum(v for k, v in r["worker_cpu_seconds"].items() if k.startswith("casework"))
                          for r in rs])] for count, rs in workers.items()]})
    rows = []
    for kind, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        for size in clock_sizes:
            burst = max(1, min(10_000, size // 10))
            got = sla.in_process(kind, postgres_url, bootstrap, size, burst, runs, log)
            rows.append([label, size, median([g["quiet_tick_ms"] for g in got]),
                         median([g["bare_select_ms"] for g in got]), median([g["rss_quiet_mib"] for g in got]),
                         median([g["peak_rss_mib"] for g in got]), burst, median([g["burst_total_s"] for g in got])])
    result.tables.append({
        "title": "Open clocks: a tick with nothing due, the bare indexed SELECT, memory, a burst of breaches (median)",
        "columns": ["database", "open clocks", "tick ms", "bare SELECT ms", "RSS before burst MiB",
                    "peak RSS MiB", "burst", "burst tick + relay s"],
        "rows": rows})
    path = chart_path or REPO / "docs" / "images" / "bench-sla-scaling.png"
    chart(rows, path)
    # Relative to the repository when it is in it, so that the results read the same in any clone.
    resolved = path.resolve()
    result.charts.append(str(resolved.relative_to(REPO) if resolved.is_relative_to(REPO) else resolved))
    result.raw = [{"workers": workers, "clocks": rows}]
    return result
