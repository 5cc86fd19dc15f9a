"""The report as one HTML page with the same content as the Markdown, and the charts as PNG images."""

from __future__ import annotations

from html import escape

from services.reporting.adapters.cells import numeric, text
from services.reporting.domain.model import Report, Table

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; }
th { background: #f0f0f0; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #555; font-size: 0.85em; }
img { max-width: 100%; }
"""


def render(report: Report) -> str:
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(report.title)}</title>",
             f"<style>{STYLE}</style></head><body>", f"<h1>{escape(report.title)}</h1>", "<table>"]
    parts += [f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>" for label, value in report.scope]
    parts += ["</table>", "<h2>Key figures</h2>", "<ul>"] + [f"<li>{escape(s)}</li>" for s in report.summary]
    parts.append("</ul>")
    for section in report.sections:
        parts.append(f"<h2>{escape(section.title)}</h2>")
        parts += [f"<p>{escape(paragraph)}</p>" for paragraph in section.text]
        shown = [(c.title, c.slug) for c in section.charts] + [(m.title, m.slug) for m in section.maps]
        parts += [f"<figure><img src=\"{slug}.png\" alt=\"{escape(title)}\"></figure>" for title, slug in shown]
        for table in section.tables:
            parts += table_html(table)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def table_html(table: Table) -> list[str]:
    out = [f"<h3>{escape(table.title)}</h3>"]
    if not table.rows:
        return [*out, "<p>None.</p>"]
    rows = table.rows if table.preview is None else table.rows[: table.preview]
    out.append("<table><tr>" + "".join(f"<th>{escape(c)}</th>" for c in table.columns) + "</tr>")
    for row in rows:
        cells = "".join(f"<td class=\"n\">{escape(text(c))}</td>" if numeric(c) and i else f"<td>{escape(text(c))}</td>"
                        for i, c in enumerate(row))
        out.append(f"<tr>{cells}</tr>")
    out.append("</table>")
    link = f"<a href=\"{table.slug}.csv\">{table.slug}.csv</a>"
    if len(rows) < len(table.rows):
        out.append(f"<p class=\"note\">First {len(rows):,} of {len(table.rows):,} rows; all of them are in {link}.</p>")
    else:
        out.append(f"<p class=\"note\">CSV: {link}</p>")
    if table.note:
        out.append(f"<p class=\"note\">{escape(table.note)}</p>")
    return out
