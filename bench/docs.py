"""Regenerates a benchmark's section of docs/benchmarks.md between its markers; the prose around stays as written."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

from bench.common import REPO

ORDER = ("embedded", "kafka", "latency", "sla", "replay", "scaling", "report_scale")


def number(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 0.1:
        return f"{value:.2f}"
    if magnitude == 0:
        return "0"
    return f"{value:.3g}"


def render(record: dict[str, Any], where: Path) -> str:
    m = record["machine"]
    sizes = ", ".join(f"{k} = {v if isinstance(v, list) else number(v)}" for k, v in record["params"].items())
    lines = [
        f"### {record['title']}",
        "",
        f"`{record['command']}` on {m['date']}: {m['nproc']} cores ({m['cpu']}), {m['memory']}, Python {m['python']}."
        f" Sizes: {sizes}.",
        "",
        "| figure | median | runs | target | |",
        "| --- | ---: | --- | --- | --- |",
    ]
    for f in record["figures"]:
        verdict = "" if f["met"] is None else ("met" if f["met"] else "**missed**")
        unit = f" {f['unit']}" if f["unit"] else ""
        runs = ", ".join(number(v) for v in f["runs"])
        lines.append(f"| {f['name']} | {number(f['median'])}{unit} | {runs} | {f['target']} | {verdict} |")
    for table in record.get("tables", []):
        lines += ["", f"{table['title']}:", "", "| " + " | ".join(table["columns"]) + " |",
                  "|" + " --- |" * len(table["columns"])]
        lines += ["| " + " | ".join(number(c) for c in row) + " |" for row in table["rows"]]
    for chart in record.get("charts", []):
        lines += ["", f"![{record['title']}]({os.path.relpath(REPO / chart, where.parent.resolve())})"]
    for note in record.get("notes", []):
        lines += ["", note]
    return "\n".join(lines)


def update(path: Path, record: dict[str, Any]) -> None:
    """Put the benchmark's section in place (between its markers; appended in order if it has none yet)."""
    name = record["benchmark"]
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{render(record, path)}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        later = [n for n in ORDER[ORDER.index(name) + 1:] if f"<!-- bench:{n}:start -->" in text]
        if later:
            anchor = f"<!-- bench:{later[0]}:start -->"
            text = text.replace(anchor, f"{block}\n\n{anchor}")
        else:
            text = text.rstrip("\n") + f"\n\n{block}\n"
    path.write_text(text)
