"""Benchmark 7: `hrcase report` at scale (issue 21): the oios-2021-011 history at given multiples, built as
bench/replay.py builds it (simulated, then imported up to 30 June 2020), reported as at 1 July 2020.

Each history is built once into `--histories` (kept: an import of x100 takes a quarter of an hour) and reported
`runs` times, each run `hrcase report` in a fresh process under `/usr/bin/time -v` (wall time, peak resident memory).
`--before CMD` also times another checkout's `hrcase` (the code before a change) on the same histories, its runs
taking turns with this one's, so that both see the same load. This checkout's runs come in two kinds (ADR 0027):
"store built" runs with the reporting store removed first (it is built from the whole log), and "store current" runs
right after (it folds nothing new); `--from-log` times `hrcase report --from-log` too.

`--million DIR` times the report on a data dir whose store bench/report_store_gen.py made at a million cases (current:
nothing new on its log), against the target; `--million-before DIR` times `--before` on its own such store (another
checkout keeps its store in its own format), the two taking turns.
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


STORE = "reporting.sqlite"


def drop_store(data: Path) -> None:
    for path in data.glob(STORE + "*"):
        path.unlink()


def report_once(hrcase: str, data: Path, *extra: str) -> dict[str, Any]:
    """One `hrcase report` in a fresh process: its wall time and peak resident memory, from /usr/bin/time -v."""
    with tempfile.TemporaryDirectory(prefix="hrcase-report-") as out:
        command = ["/usr/bin/time", "-v", hrcase, "report", "--data-dir", str(data), "--as-of", AS_OF,
                   "--out", out, *extra]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"hrcase report failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    cpu = re.search(r"User time \(seconds\): ([\d.]+)\s+System time \(seconds\): ([\d.]+)", done.stderr)
    lines = done.stdout.splitlines()
    return {"seconds": seconds, "peak_rss_mib": int(rss.group(1)) / 1024 if rss else float("nan"),
            "cpu_seconds": float(cpu.group(1)) + float(cpu.group(2)) if cpu else float("nan"),
            "summary": lines[0] if lines else "", "whence": lines[-1] if lines else "",
            "load": Path("/proc/loadavg").read_text().split()[0]}


KINDS = ("before", "store built", "store current", "from the log")


def at_a_million(runs: int, hrcase: str, data: Path, before: str | None, before_data: Path | None,
            log: Any = print) -> tuple[list[Figure], list[Any], dict[str, Any]]:
    """The report on generated million-case stores, this checkout's and (taking turns) the code before's."""
    turns = [("this", hrcase, data)] + ([("before", before, before_data)] if before and before_data else [])
    got: dict[str, list[dict[str, Any]]] = {kind: [] for kind, _, _ in turns}
    for n in range(runs):
        for kind, command, folder in turns:
            one = report_once(command, folder)
            got[kind].append(one)
            log(f"  a million cases, {kind} run {n + 1}/{runs}: {one['seconds']:.1f} s ({one['cpu_seconds']:.1f} s "
                f"CPU), peak RSS {one['peak_rss_mib']:.0f} MiB, load {one['load']}; {one['whence']}")
    figures, rows = [], []
    for kind, runs_of in got.items():
        name = "1,000,000 cases (generated store, current)" + (" before" if kind == "before" else "")
        seconds = Figure(f"{name}: seconds to report", "s", [g["seconds"] for g in runs_of])
        figures += [at_most(seconds, TARGET_S, f"< {TARGET_S} s") if kind == "this" else seconds,
                    Figure(f"{name}: CPU seconds, every process", "s", [g["cpu_seconds"] for g in runs_of]),
                    Figure(f"{name}: peak resident memory of the report's process", "MiB",
                           [g["peak_rss_mib"] for g in runs_of])]
        rows.append([name, *[round(g["seconds"], 1) for g in runs_of], "/".join(g["load"] for g in runs_of)])
    return figures, rows, got


def run(scales: list[float], runs: int, histories: Path, hrcase: str, label: str = "", log: Any = print,
        before: str | None = None, from_log: bool = False, million_data: Path | None = None,
        million_before: Path | None = None) -> Result:
    result = Result(NAME, TITLE, {"scales": scales, "runs": runs, "hrcase": hrcase, "as_of": AS_OF,
                                  "label": label, "before": before or "", "million": str(million_data or ""),
                                  "million_before": str(million_before or "")})
    rows, figures, sizes = [], [], []
    for scale in scales:
        folder = build(scale, histories, log)
        built = json.loads((folder / "built.json").read_text())
        cases = built["imported"]["incidents"]
        records = sum(built["imported"]["records"].values())
        got: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
        data = folder / "data"
        for n in range(runs):
            turns: list[tuple[str, str | None, tuple[str, ...]]] = [("before", before, ())] if before else []
            turns += [("store built", hrcase, ()), ("store current", hrcase, ())]
            turns += [("from the log", hrcase, ("--from-log",))] if from_log else []
            for kind, command, extra in turns:
                assert command is not None
                if kind == "store built":
                    drop_store(data)
                one = report_once(command, data, *extra)
                got[kind].append(one)
                log(f"  x{scale:g} ({cases:,} cases, {records:,} records), {kind} run {n + 1}/{runs}: "
                    f"{one['seconds']:.1f} s ({one['cpu_seconds']:.1f} s CPU), peak RSS {one['peak_rss_mib']:.0f} MiB"
                    f", load {one['load']}; {one['whence']}")
        result.raw.append({"scale": scale, "cases": cases, "records": records, **got})
        name = "oios-2021-011" if scale == 1 else f"oios-2021-011 x{scale:g}"
        for kind in KINDS:
            if not got[kind]:
                continue
            tag = f" ({kind})"
            seconds = Figure(f"{name}{tag}: seconds to report", "s", [g["seconds"] for g in got[kind]])
            cpu = Figure(f"{name}{tag}: CPU seconds", "s", [g["cpu_seconds"] for g in got[kind]])
            memory = Figure(f"{name}{tag}: peak resident memory", "MiB", [g["peak_rss_mib"] for g in got[kind]])
            figures += [seconds, cpu, memory]
            if kind == "store current":
                sizes.append((cases, seconds.value, memory.value))
            rows.append([name + tag, cases, records, *[round(g["seconds"], 1) for g in got[kind]],
                         round(seconds.value, 1), round(cpu.value, 1), round(memory.value),
                         "/".join(g["load"] for g in got[kind])])
    if million_data is not None:
        measured, million_rows, got_million = at_a_million(runs, hrcase, million_data, before, million_before, log)
        figures += measured
        result.raw.append({"million": got_million})
        result.tables.append({"title": "A million cases: `hrcase report` runs on generated stores",
                              "columns": ["store", *[f"run {i + 1} s" for i in range(runs)], "load (1 min) per run"],
                              "rows": million_rows})
    elif len(sizes) >= 2 and sizes[-1][0] >= EXTRAPOLATE_FROM:
        # Per case from the two largest: what a million cases would take if it grows as it did between them.
        (c1, s1, m1), (c2, s2, m2) = sizes[-2], sizes[-1]
        slope_s, slope_m = (s2 - s1) / (c2 - c1), (m2 - m1) / (c2 - c1)
        million = Figure("1,000,000 cases, extrapolated linearly from the two largest (store current): seconds", "s",
                         [s2 + slope_s * (MILLION - c2)])
        figures.append(at_most(million, TARGET_S, f"< {TARGET_S} s"))
        figures.append(Figure("1,000,000 cases, extrapolated linearly from the two largest (store current): peak RSS",
                              "MiB", [m2 + slope_m * (MILLION - c2)]))
    result.figures = figures
    result.tables.append({"title": "Each history: `hrcase report` runs and their median",
                          "columns": ["history", "cases", "records on the log", *[f"run {i + 1} s"
                                                                                   for i in range(runs)],
                                      "median s", "median CPU s", "median peak RSS MiB", "load (1 min) per run"],
                          "rows": rows})
    result.notes.append(f"`hrcase report --data-dir <history>/data --as-of {AS_OF} --out <tmp>` (charts included) "
                        "under /usr/bin/time -v, each run a fresh process; histories built with bench/replay.py's "
                        "generator and `import_files` up to 30 June 2020. 'store built': the reporting store removed "
                        "first; 'store current': the run after it.")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="1,10", help="multiples of oios-2021-011, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--histories", default="/tmp/hrcase-report-scale", help="where histories are built and kept")
    parser.add_argument("--hrcase", default=str(REPO / ".venv/bin/hrcase"), help="the hrcase command to time")
    parser.add_argument("--before", default=None, help="another hrcase command to time in turns (the code before)")
    parser.add_argument("--label", default="", help="what the run measures")
    parser.add_argument("--from-log", action="store_true", help="also time `hrcase report --from-log`")
    parser.add_argument("--million", default=None, help="a data dir with a million-case store (report_store_gen.py)")
    parser.add_argument("--million-before", default=None, help="the same for --before (its own store's format)")
    parser.add_argument("--out", default=str(REPO / "bench/results/report_scale.json"))
    args = parser.parse_args()
    scales = [float(s) for s in args.scales.split(",") if s]
    started = time.perf_counter()
    result = run(scales, args.runs, Path(args.histories), args.hrcase, args.label, before=args.before,
                 from_log=args.from_log, million_data=Path(args.million) if args.million else None,
                 million_before=Path(args.million_before) if args.million_before else None)
    # As bench/run.py records a benchmark (its --docs-only renders this file too).
    record = {**result.as_dict(), "command": "bench/report_scale.py " + " ".join(sys.argv[1:]), "machine": machine(),
              "smoke": False, "seconds": time.perf_counter() - started}
    Path(args.out).write_text(json.dumps(record, indent=2, default=str) + "\n")
    for figure in result.figures:
        print(f"{figure.name}: {figure.value:,.1f} {figure.unit} (runs: "
              + ", ".join(f"{v:,.1f}" for v in figure.values) + ")")


if __name__ == "__main__":
    main()
