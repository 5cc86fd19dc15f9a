"""Benchmark 5: a simulated history replayed through the embedded runtime (`hrcase simulate` then `hrcase import`).

Scale 1 is the built-in `oios-2021-011` profile (1,496 incidents with their case actions); scale k multiplies every
count of it by k over the same period (so each weekly situation report is k times longer). Each history is generated
in one fresh interpreter and imported in another, which samples its own resident memory while it works.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import Figure, MemorySampler, Result, at_most, peak_rss_mib, spawn

NAME = "replay"
TITLE = "5. Replay of a history through the embedded runtime"
TARGET_LARGE_S = 600
LARGE = 1000  # the large history: its time has a target, and `limit` may stop it unfinished


def profile(scale: float) -> Any:
    from services.reporting.simulation.profile import OIOS_2021_011, OfficeSpec

    p = OIOS_2021_011
    if scale == 1:
        return p

    def k(n: int) -> int:
        return round(n * scale)

    offices = tuple(OfficeSpec(o.name, o.weight, max(1, round(o.hros * min(scale, 50))), o.speed) for o in p.offices)
    scaled = replace(p, name=f"{p.name}-x{scale:g}", offices=offices, incidents=k(p.incidents),
                     preliminary=k(p.preliminary), preliminary_since_cut=k(p.preliminary_since_cut),
                     investigation=k(p.investigation), investigation_idle_since_cut=k(p.investigation_idle_since_cut),
                     closed=k(p.closed), closed_without_approval=k(p.closed_without_approval),
                     within_goal=k(p.within_goal))
    # The outcomes must add up to the incidents: what rounding leaves over stays unrecorded.
    outcomes = scaled.preliminary + scaled.investigation + scaled.closed + scaled.concluded + scaled.closure_requested
    return replace(scaled, unrecorded=scaled.incidents - outcomes).check()


def child(params: dict[str, Any]) -> dict[str, Any]:
    folder = Path(params["folder"])
    if params.get("generate"):
        from services.reporting.simulation.files import write_history

        started = time.perf_counter()
        incidents, actions = write_history(profile(float(params["scale"])), folder)
        return {"seconds": time.perf_counter() - started, "incidents": sum(1 for _ in incidents.open()) - 1,
                "actions": sum(1 for _ in actions.open()) - 1, "peak_rss_mib": peak_rss_mib()}
    return replay(folder, float(params["scale"]), params.get("limit"))


class _TimeUp(Exception):
    """The run's time limit passed: the replay stops after the weekly report it was on."""


def replay(folder: Path, scale: float, limit: float | None = None) -> dict[str, Any]:
    from datetime import UTC

    from services.config import Settings
    from services.embedded import EmbeddedRuntime
    from services.reporting.domain.model import end_of
    from services.reporting.history.importer import REPORT_REPLAYED, import_files, topic_counts

    until = end_of(profile(scale).as_of)
    runtime = EmbeddedRuntime(Settings(data_dir=folder / "data"))
    rss_open = peak_rss_mib()
    marks: dict[str, float] = {}

    reports: list[str] = []

    def progress(message: str) -> None:
        elapsed = time.perf_counter() - started
        if message.startswith(REPORT_REPLAYED):
            reports.append(message.rsplit(" ", 1)[-1])
            if limit is not None and elapsed > limit:
                raise _TimeUp
            return
        marks.setdefault("checked" if message.startswith("checked") else message, elapsed)

    stopped = False
    with MemorySampler(interval=0.5) as memory:
        started = time.perf_counter()
        try:
            summary = import_files(runtime, folder / "incidents.csv", folder / "cases.csv", datetime.now(UTC),
                                   until, progress)
            incidents, actions, topics = summary.incidents, summary.actions, summary.topics
        except _TimeUp:
            # What a history too long for the session shows before it is stopped: its rate and its memory at
            # full size. The staged files were checked whole; the counts are what reached the log.
            stopped, topics = True, topic_counts(runtime.log)
            incidents, actions = topics.get("sitrep-incidents", 0), 0  # incidents that reached the log
        seconds = time.perf_counter() - started
    samples = memory.samples
    quartiles = [max((mib for t, _, mib in samples if t <= seconds * q / 4), default=float("nan"))
                 for q in (1, 2, 3, 4)]
    return {"scale": scale, "incidents": incidents, "actions": actions, "seconds": seconds, "stopped": stopped,
            "reports": len(reports), "replayed_to": reports[-1] if reports else None,
            "check_seconds": marks.get("checked", float("nan")), "records": topics,
            "rss_after_open_mib": rss_open, "peak_rss_mib": peak_rss_mib(),
            "rss_by_quarter_mib": quartiles, "rss_samples": samples[:: max(1, len(samples) // 200)]}


def run(scales: list[float], runs: int, log: Any = print, large_runs: int | None = None,
        limit: float | None = None) -> Result:
    """`large_runs`, if given, is the number of runs of histories ten times oios-2021-011 or more; `limit`, if given,
    stops the replay of a history a thousand times oios-2021-011 or more after that many seconds (unfinished)."""
    params: dict[str, Any] = {"scales": scales, "runs": runs}
    if large_runs is not None:
        params["runs of x10 and more"] = large_runs
    if limit is not None:
        params["x1000 and more stopped after (s)"] = limit
    result = Result(NAME, TITLE, params)
    rows, figures = [], []
    for scale in scales:
        got = []
        times = runs if large_runs is None or scale < 10 else large_runs
        for n in range(times):
            with tempfile.TemporaryDirectory(prefix="hrcase-bench-") as tmp:
                made = spawn("replay", {"generate": True, "scale": scale, "folder": tmp})
                one = spawn("replay", {"scale": scale, "folder": tmp, "limit": limit if scale >= LARGE else None})
            one["generated"] = made
            got.append(one)
            if one.get("stopped"):
                log(f"  scale {scale:g}: stopped unfinished after {one['seconds']:.0f} s, {one['reports']} weekly "
                    f"reports replayed (to {one['replayed_to']}), {one['incidents']:,} of {made['incidents']:,} "
                    "incidents on the log")
            log(f"  scale {scale:g} ({one['incidents']:,} incidents, {one['actions']:,} actions), run {n + 1}/{times}: "
                f"{one['seconds']:.1f} s (checked in {one.get('check_seconds', float('nan')):.1f} s; "
                f"{sum(one['records'].values()) / one['seconds']:,.0f} records/s), "
                f"peak RSS {one['peak_rss_mib']:.0f} MiB (by quarter of the run: "
                + ", ".join(f"{q:.0f}" for q in one["rss_by_quarter_mib"]) + f"); generated in {made['seconds']:.1f} s")
        result.raw.append({"scale": scale, "runs": got})
        label = "oios-2021-011" if scale == 1 else f"oios-2021-011 x{scale:g}"
        if any(g.get("stopped") for g in got):
            seconds = Figure(f"{label}: stopped unfinished after", "s", [g["seconds"] for g in got])
            seconds.target, seconds.met = f"< {TARGET_LARGE_S} s", False
            share = Figure(f"{label}: share of its incidents replayed when stopped", "%",
                           [100 * g["incidents"] / g["generated"]["incidents"] for g in got])
            figures += [seconds, share]
        else:
            seconds = Figure(f"{label}: seconds to replay", "s", [g["seconds"] for g in got])
            if scale >= LARGE:
                at_most(seconds, TARGET_LARGE_S, f"< {TARGET_LARGE_S} s")
            figures.append(seconds)
        figures += [Figure(f"{label}: generated by the simulator in", "s", [g["generated"]["seconds"] for g in got]),
                    Figure(f"{label}: peak resident memory", "MiB", [g["peak_rss_mib"] for g in got])]
        mid = sorted(got, key=lambda g: g["seconds"])[len(got) // 2]
        records = sum(mid["records"].values())
        if mid.get("stopped"):
            label = (f"{label}, stopped after {mid['reports']} weekly reports (to {mid['replayed_to'][:10]}): "
                     f"{mid['incidents']:,} of {mid['generated']['incidents']:,} incidents, "
                     f"{mid['generated']['actions']:,} actions in all")
        rows.append([label, mid["incidents"], "-" if mid.get("stopped") else mid["actions"], records, mid["seconds"],
                     mid.get("check_seconds", float("nan")), records / mid["seconds"],
                     mid["incidents"] / mid["seconds"], *mid["rss_by_quarter_mib"]])
    result.figures = figures
    result.tables.append({
        "title": "Each history (median run): size, time, and resident memory at the end of each quarter of the run",
        "columns": ["history", "incidents", "case actions", "records on the log", "seconds", "of which checking",
                    "records/s", "incidents/s",
                    "RSS Q1 MiB", "Q2", "Q3", "Q4"],
        "rows": rows})
    result.notes.append(
        "Generated with the simulator (`hrcase simulate`) and imported with `hrcase import`'s own function "
        "(`import_files`: the whole history checked, then replayed in time order with every weekly report "
        "processed and the SLA monitor run to it), in a fresh data dir each run.")
    if limit is not None and any(s >= LARGE for s in scales):
        result.notes.append(
            f"A history of x{LARGE} or more is stopped, unfinished, after the weekly report being replayed when "
            f"{limit:,.0f} s have passed (checking included): its row gives what reached the log by then, its rate and "
            "its memory at full size; its 'seconds' are not a time to replay the whole history.")
    return result
