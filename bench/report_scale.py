"""Benchmark 7: `hrcase report` at scale (issue 21): the oios-2021-011 history at given multiples, built as
bench/replay.py builds it (simulated, then imported up to 30 June 2020), reported as at 1 July 2020.

Each history is built once into `--histories` (kept: an import of x100 takes a quarter of an hour) and reported
`runs` times, each run `hrcase report` in a fresh process under `/usr/bin/time -v` (wall time, peak resident memory).
`--before CMD` also times another checkout's `hrcase` (the code before a change) on the same histories, its runs
taking turns with this one's, so that both see the same load.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, Figure, Result, at_most, machine, spawn

NAME = "report_scale"
TITLE = "7. `hrcase report` at scale"
AS_OF = "2020-07-01"
TARGET_S = 60  # at 1,000,000 cases
MILLION = 1_000_000
EXTRAPOLATE_FROM = 10_000  # cases in the largest history: below, a start-up of seconds drowns the growth


def build(scale: float, histories: Path, log: Any = print) -> Path:
    """The history of `scale` times oios-2021-011, imported into its own data dir (reused when already built)."""
    folder = histories / f"x{scale:g}"
    done = folder / "built.json"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        made = spawn("replay", {"generate": True, "scale": scale, "folder": str(folder)}, timeout=6 * 3600)
        imported = spawn("replay", {"scale": scale, "folder": str(folder)}, timeout=6 * 3600)
        imported.pop("rss_samples", None)
        done.write_text(json.dumps({"generated": made, "imported": imported}))
        log(f"  x{scale:g}: built in {made['seconds'] + imported['seconds']:.0f} s "
            f"({imported['incidents']:,} incidents, {sum(imported['records'].values()):,} records)")
    return folder


def report_once(hrcase: str, data: Path) -> dict[str, Any]:
    """One `hrcase report` in a fresh process: its wall time and peak resident memory, from /usr/bin/time -v."""
    with tempfile.TemporaryDirectory(prefix="hrcase-report-") as out:
        command = ["/usr/bin/time", "-v", hrcase, "report", "--data-dir", str(data), "--as-of", AS_OF,
                   "--out", out]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"hrcase report failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return {"seconds": seconds, "peak_rss_mib": int(rss.group(1)) / 1024 if rss else float("nan"),
            "summary": done.stdout.splitlines()[0] if done.stdout else ""}


def run(scales: list[float], runs: int, histories: Path, hrcase: str, label: str = "", log: Any = print,
        before: str | None = None) -> Result:
    result = Result(NAME, TITLE, {"scales": scales, "runs": runs, "hrcase": hrcase, "as_of": AS_OF,
                                  "label": label, "before": before or ""})
    rows, figures, sizes = [], [], []
    for scale in scales:
        folder = build(scale, histories, log)
        built = json.loads((folder / "built.json").read_text())
        cases = built["imported"]["incidents"]
        records = sum(built["imported"]["records"].values())
        got: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
        for n in range(runs):
            for which, command in (("before", before), ("after", hrcase)):
                if command is None:
                    continue
                one = report_once(command, folder / "data")
                got[which].append(one)
                log(f"  x{scale:g} ({cases:,} cases, {records:,} records), {which} run {n + 1}/{runs}: "
                    f"{one['seconds']:.1f} s, peak RSS {one['peak_rss_mib']:.0f} MiB")
        result.raw.append({"scale": scale, "cases": cases, "records": records, **got})
        name = "oios-2021-011" if scale == 1 else f"oios-2021-011 x{scale:g}"
        for which in ("before", "after") if before else ("after",):
            tag = f" ({which})" if before else ""
            seconds = Figure(f"{name}{tag}: seconds to report", "s", [g["seconds"] for g in got[which]])
            memory = Figure(f"{name}{tag}: peak resident memory", "MiB", [g["peak_rss_mib"] for g in got[which]])
            figures += [seconds, memory]
            if which == "after":
                sizes.append((cases, seconds.value, memory.value))
            rows.append([name + tag, cases, records, *[round(g["seconds"], 1) for g in got[which]],
                         round(seconds.value, 1), round(memory.value)])
    if len(sizes) >= 2 and sizes[-1][0] >= EXTRAPOLATE_FROM:
        # Per case from the two largest: what a million cases would take if it grows as it did between them.
        (c1, s1, m1), (c2, s2, m2) = sizes[-2], sizes[-1]
        slope_s, slope_m = (s2 - s1) / (c2 - c1), (m2 - m1) / (c2 - c1)
        million = Figure("1,000,000 cases, extrapolated linearly from the two largest (after): seconds", "s",
                         [s2 + slope_s * (MILLION - c2)])
        figures.append(at_most(million, TARGET_S, f"< {TARGET_S} s"))
        figures.append(Figure("1,000,000 cases, extrapolated linearly from the two largest (after): peak RSS",
                              "MiB", [m2 + slope_m * (MILLION - c2)]))
    result.figures = figures
    result.tables.append({"title": "Each history: `hrcase report` runs and their median",
                          "columns": ["history", "cases", "records on the log", *[f"run {i + 1} s"
                                                                                   for i in range(runs)],
                                      "median s", "median peak RSS MiB"], "rows": rows})
    result.notes.append(f"`hrcase report --data-dir <history>/data --as-of {AS_OF} --out <tmp>` (charts included) "
                        "under /usr/bin/time -v, each run a fresh process; histories built with bench/replay.py's "
                        "generator and `import_files` up to 30 June 2020.")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="1,10", help="multiples of oios-2021-011, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--histories", default="/tmp/hrcase-report-scale", help="where histories are built and kept")
    parser.add_argument("--hrcase", default=str(REPO / ".venv/bin/hrcase"), help="the hrcase command to time")
    parser.add_argument("--before", default=None, help="another hrcase command to time in turns (the code before)")
    parser.add_argument("--label", default="", help="what the run measures")
    parser.add_argument("--out", default=str(REPO / "bench/results/report_scale.json"))
    args = parser.parse_args()
    scales = [float(s) for s in args.scales.split(",")]
    started = time.perf_counter()
    result = run(scales, args.runs, Path(args.histories), args.hrcase, args.label, before=args.before)
    # As bench/run.py records a benchmark (its --docs-only renders this file too).
    record = {**result.as_dict(), "command": "bench/report_scale.py " + " ".join(sys.argv[1:]), "machine": machine(),
              "smoke": False, "seconds": time.perf_counter() - started}
    Path(args.out).write_text(json.dumps(record, indent=2, default=str) + "\n")
    for figure in result.figures:
        print(f"{figure.name}: {figure.value:,.1f} {figure.unit} (runs: "
              + ", ".join(f"{v:,.1f}" for v in figure.values) + ")")


if __name__ == "__main__":
    main()
