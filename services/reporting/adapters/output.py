"""Write a report to a folder: report.md, report.html, one CSV per table and one PNG per chart and map."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from services.private_files import open_private, private_file, private_folder, write_private
from services.reporting.adapters import html, markdown
from services.reporting.adapters.cells import csv_writer, raw
from services.reporting.adapters.charts import write_chart, write_map
from services.reporting.domain.model import LazyRows, Report, Table


def write_report(report: Report, folder: Path, charts: bool = True, ready: Mapping[str, Path] = MappingProxyType({}),
                 ) -> list[Path]:
    """The report's files, 0600 in a folder made 0700: a report lists cases by reference and office. `ready`: the
    CSV files of tables already written (by their slug), by another process meanwhile."""
    private_folder(folder)
    written = [_write(folder / "report.md", markdown.render(report)),
               _write(folder / "report.html", html.render(report))]
    written += [ready.get(table.slug) or write_csv(table, folder / f"{table.slug}.csv") for table in report.tables()]
    if charts:
        written += [write_chart(chart, private_file(folder / f"{chart.slug}.png")) for chart in report.charts()]
        written += [write_map(shown, private_file(folder / f"{shown.slug}.png")) for shown in report.maps()]
    return written


def write_csv(table: Table, path: Path) -> Path:
    lines = table.rows.lines() if isinstance(table.rows, LazyRows) else None
    if lines is not None:  # millions of rows, kept written as lines: copied as they come
        return write_lines(table.columns, lines, path)
    with open_private(path, "w", newline="", encoding="utf-8") as out:
        writer = csv_writer(out)
        writer.writerow(table.columns)
        if isinstance(table.rows, LazyRows) and table.rows.plain:  # millions of rows, as they come
            writer.writerows(table.rows)
        else:
            writer.writerows([raw(cell) for cell in row] for row in table.rows)
    return path


def write_lines(columns: Sequence[str], lines: Iterable[str], path: Path) -> Path:
    """A CSV file of rows already written as its lines, under its header."""
    with open_private(path, "w", newline="", encoding="utf-8", buffering=1 << 20) as out:
        csv_writer(out).writerow(columns)
        out.writelines(lines)
    return path


def _write(path: Path, content: str) -> Path:
    return write_private(path, content)
