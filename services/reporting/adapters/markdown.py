"""The report as Markdown: key figures, then each section's text, tables and charts (PNG files beside it)."""

from __future__ import annotations

from services.reporting.adapters.cells import numeric, text
from services.reporting.domain.model import Report, Table


def render(report: Report) -> str:
    lines = [f"# {report.title}", "", "| | |", "| --- | --- |"]
    lines += [f"| {label} | {_esc(value)} |" for label, value in report.scope]
    lines += ["", "## Key figures", ""] + [f"- {s}" for s in report.summary]
    for section in report.sections:
        lines += ["", f"## {section.title}", ""]
        for paragraph in section.text:
            lines += [paragraph, ""]
        for title, slug in [(c.title, c.slug) for c in section.charts] + [(m.title, m.slug) for m in section.maps]:
            lines += [f"![{title}]({slug}.png)", ""]
        for table in section.tables:
            lines += table_lines(table)
    return "\n".join(lines).rstrip() + "\n"


def table_lines(table: Table) -> list[str]:
    out = [f"### {table.title}", ""]
    if not table.rows:
        return [*out, "None.", "", f"(CSV: `{table.slug}.csv`)", ""]
    rows = table.rows if table.preview is None else table.rows[: table.preview]
    aligns = ["---:" if (i in table.numeric_columns or all(numeric(r[i]) for r in table.rows)) and i else "---"
              for i in range(len(table.columns))]
    out += ["| " + " | ".join(_esc(c) for c in table.columns) + " |", "| " + " | ".join(aligns) + " |"]
    out += ["| " + " | ".join(_esc(text(cell)) for cell in row) + " |" for row in rows]
    out.append("")
    if len(rows) < len(table.rows):
        out += [f"First {len(rows):,} of {len(table.rows):,} rows; all of them are in `{table.slug}.csv`.", ""]
    else:
        out += [f"(CSV: `{table.slug}.csv`)", ""]
    if table.note:
        out += [f"_{table.note}_", ""]
    return out


def _esc(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")
