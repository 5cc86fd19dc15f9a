"""Writes a read-side benchmark's section of docs/benchmarks.md, and its growth chart, from a folder of runs.

    .venv/bin/python -m bench.readdocs [--results bench/results] [--docs docs/benchmarks.md]
    .venv/bin/python -m bench.readdocs --section million     # session 11's, from bench/results/readpath-1m
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import REPO
from bench.docs import number

TARGET_ONE, TARGET_MANY = 200.0, 500.0  # ms: the p95 targets, 1 client and 20 concurrent clients


@dataclass(frozen=True)
class Section:
    """A section of docs/benchmarks.md written from a folder of runs."""

    start: str
    end: str
    heading: str
    chart: str
    results: str  # the runs' folder, under the repository
    intro: str


SCALE = Section(
    "<!-- bench:readpath:start -->", "<!-- bench:readpath:end -->", "## The read side at scale (issue 21)",
    "images/bench-readpath-growth.png", "bench/results",
    "N cases with their history generated straight into a casework database by casework's own code "
    "(registration, the workflow's events, `BatchCases.flush` and the read model it keeps), then the real "
    "server (waitress) asked for each page with its clock at the history's now.")
MILLION = Section(
    "<!-- bench:readpath-1m:start -->", "<!-- bench:readpath-1m:end -->",
    "## The read side at a million cases: the runs (sessions 13 and 17)", "images/bench-readpath-1m-growth.png",
    "bench/results/readpath-1m",
    "N cases with their history: a base of at most 50,000 made by casework's own code as above (bench/readgen.py), "
    "the rest copies of it made in SQL with fresh ids, references, incident keys and officers and the base's dates "
    "(bench/readcopy.py: every table casework keeps, the read model and search index included; `hrcase read-model "
    "check` agrees with every copied row and count). Served by P processes of `hrcase api serve` "
    "(bench/readserve.py, P the cores unless the run says otherwise), each with 8 waitress threads, the clock at "
    "the history's now; the driver spreads its clients over them round-robin as a load balancer would, each client "
    "keeping its connection to one process. The machine may be shared with other sessions: each run gives its load "
    "average, and each page its servers' CPU time per request answered to one client (read from /proc before and "
    "after: what the page costs, whatever else the machine runs).")
SECTIONS = {"scale": SCALE, "million": MILLION}


def load(folder: Path) -> list[dict[str, Any]]:
    records = [json.loads(p.read_text()) for p in sorted(folder.glob("readpath-*.json"))]
    for record in records:  # runs before the deep page had one name at every size named it by its number
        for page in record.get("pages", []):
            if re.fullmatch(r"API GET /cases, page [\d,]+", page["page"]) and page["page"] != "API GET /cases, page 1":
                page["page"] = "API GET /cases, middle page"
    return sorted(records, key=lambda r: (r["backend"], r["cases"]))


def _verdict(value: float | None, target: float) -> str:
    if value is None:
        return "-"
    return f"{number(value)}" + ("" if value < target else " **(over)**")


def render(records: list[dict[str, Any]], docs: Path, notes: list[str] | None = None,
           section: Section = SCALE) -> str:
    lines = [section.heading, "",
             f"Written by `python -m bench.readdocs` from the runs of `python -m bench.readpath` in {section.results} "
             f"(bench/readpath.py): {section.intro} Baseline: the bare SQL "
             "behind the page (its rows and its count, on `case_summaries` or `alerts`), timed on the same database "
             "in the same run. Targets (issue 21): p95 under 200 ms for one client, under 500 ms with 20; "
             "**(over)** marks a figure above its target. Errors: answers 4xx/5xx, and requests left unanswered after "
             "the run's timeout (`timeout_s` in its JSON), counted, not timed. Samples: the requests timed, one client "
             "and concurrent together. A run with 0 concurrent clients measured one client only.",
             "", "Data generated:", "",
             "| backend | cases | events | open alerts | made by casework's code | copied in SQL | generation | "
             "cases/s | database size |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in records:
        g = r.get("generation") or {}
        copied = g.get("copies") or {}
        made = copied.get("base", g.get("cases"))
        rate = g["cases"] / g["seconds"] if g.get("seconds") else None
        lines.append(f"| {r['backend']} | {r['cases']:,} | {number(copied.get('events', g.get('events')))} | "
                     f"{number(copied.get('alerts', g.get('alerts')))} | {number(made)} | "
                     f"{number(g['cases'] - made) if made else '-'} | {number(g.get('seconds'))} s | {number(rate)} | "
                     f"{r.get('db_bytes', 0) / 2**20:,.0f} MiB |")
    for backend in sorted({r["backend"] for r in records}):
        lines += ["", f"{'SQLite' if backend == 'sqlite' else 'PostgreSQL'} (ms; median over the runs):", "",
                  "| page | cases | p50, 1 client | p95, 1 client | p95, concurrent (clients) | errors | samples | "
                  "baseline p50 | baseline p95 | server CPU per request, 1 client |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for r in (r for r in records if r["backend"] == backend):
            for p in r.get("pages", []):
                clients = f" ({r.get('clients')})" if p.get("p95_20") is not None else ""
                if p.get("skipped"):
                    lines.append(f"| {p['page']} | {r['cases']:,} | skipped: {p['skipped']} | | | | | | | |")
                    continue
                lines.append(f"| {p['page']} | {r['cases']:,} | {number(p['p50_1'])} | "
                             f"{_verdict(p['p95_1'], TARGET_ONE)} | {_verdict(p['p95_20'], TARGET_MANY)}{clients} | "
                             f"{p['errors']} | {p['samples']} | {number(p['baseline_p50'])} | "
                             f"{number(p['baseline_p95'])} | {number(p.get('server_cpu_ms'))} |")
    lines += ["", "Every run (the command, when, on what; each run's own figures are in its JSON file):", ""]
    for r in records:
        m = r["machine"]
        runs = len(r.get("runs", []))
        report = r.get("report")
        extra = (f"; report: exit {report['exit']} in {number(report['seconds'])} s, peak RSS "
                 f"{number(report['peak_rss_mib'])} MiB" if report else "")
        served = (f"{r['processes']} server processes of {r.get('threads')} threads" if r.get("processes")
                  else f"{r.get('threads')} server threads")
        load = (f", load average {r['load_before'][0]:.1f} before and {r['load_after'][0]:.1f} after"
                if r.get("load_before") and r.get("load_after") else "")
        lines.append(f"- `{r['command']}` on {m['date']}: {m['nproc']} cores ({m['cpu']}), {m['memory']}, Python "
                     f"{m['python']}; {runs} driver run(s), {r.get('clients', 0)} concurrent clients, "
                     f"{served}{load}{extra}: readpath-{r['backend']}-{r['cases']}.json")
    for note in notes or []:
        lines += ["", note]
    chart = docs.parent / section.chart
    if draw(records, chart):
        lines += ["", f"![p95 of each page with one client, by cases (and the servers' CPU per request, when "
                  f"measured)]({section.chart})"]
    return "\n".join(lines)


def draw(records: list[dict[str, Any]], path: Path) -> bool:
    """p95 (1 client) of each page against the number of cases, per backend, log-log, the baselines dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    backends = sorted({r["backend"] for r in records if r.get("pages")})
    if not backends:
        return False
    cpu = any(p.get("server_cpu_ms") for r in records for p in r.get("pages", []))
    fig, axes = plt.subplots(2 if cpu else 1, len(backends), figsize=(8.5 * len(backends), 9.6 if cpu else 4.8),
                             squeeze=False)
    if cpu:  # the servers' CPU per request: what a page costs, whatever the machine's load
        for ax, backend in zip(axes[1], backends, strict=True):
            mine = [r for r in records if r["backend"] == backend and r.get("pages")]
            for name in dict.fromkeys(p["page"] for r in mine for p in r["pages"] if p.get("server_cpu_ms")):
                points = [(r["cases"], p["server_cpu_ms"]) for r in mine for p in r["pages"]
                          if p["page"] == name and p.get("server_cpu_ms")]
                ax.plot([c for c, _ in points], [v for _, v in points], marker="o", label=name)
            ax.set(xscale="log", yscale="log", xlabel="cases", ylabel="server CPU per request, 1 client (ms)")
            ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    for ax, backend in zip(axes[0], backends, strict=True):
        mine = [r for r in records if r["backend"] == backend and r.get("pages")]
        names = list(dict.fromkeys(p["page"] for r in mine for p in r["pages"] if not p.get("skipped")))
        for name in names:
            points = [(r["cases"], p) for r in mine for p in r["pages"] if p["page"] == name and not p.get("skipped")]
            line = ax.plot([c for c, _ in points], [p["p95_1"] for _, p in points], marker="o", label=name)[0]
            base = [(c, p["baseline_p50"]) for c, p in points if p.get("baseline_p50")]
            if base:
                ax.plot([c for c, _ in base], [b for _, b in base], linestyle="--", color=line.get_color(), alpha=0.6)
        ax.axhline(TARGET_ONE, color="red", linewidth=0.8)
        ax.set(xscale="log", yscale="log", xlabel="cases", ylabel="p95, 1 client (ms); dashed: bare SQL p50",
               title="SQLite" if backend == "sqlite" else "PostgreSQL")
        ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def update(docs: Path, body: str, section: Section = SCALE) -> None:
    text = docs.read_text()
    block = f"{section.start}\n{body}\n{section.end}"
    pattern = re.compile(re.escape(section.start) + r".*?" + re.escape(section.end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + f"\n\n{block}\n"
    docs.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--section", choices=sorted(SECTIONS), default="scale",
                        help="scale: bench/results (sessions 9-10); million: bench/results/readpath-1m (session 11)")
    parser.add_argument("--results", type=Path, default=None, help="default: the section's folder")
    parser.add_argument("--docs", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--note", action="append", default=[], help="a paragraph after the tables (repeatable)")
    args = parser.parse_args(argv)
    section = SECTIONS[args.section]
    results = args.results or REPO / section.results
    records = load(results)
    if not records:
        raise SystemExit(f"no readpath-*.json in {results}: run python -m bench.readpath first")
    update(args.docs, render(records, args.docs, args.note, section), section)
    print(f"{args.docs}: {section.heading[3:]}, from {len(records)} run(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
