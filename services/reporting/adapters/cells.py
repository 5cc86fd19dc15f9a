"""How a table cell reads in a document and in a CSV file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import IO, Any

from services.reporting.domain.model import Pct

NOTHING = "\u2013"  # an en dash: nothing to show


def text(cell: Any) -> str:
    """For Markdown and HTML: thousands separated, one decimal, percentages, a dash for nothing."""
    if cell is None:
        return NOTHING
    if isinstance(cell, Pct):
        return NOTHING if cell.value is None else f"{cell.value * 100:.1f}%"
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, int):
        return f"{cell:,}"
    if isinstance(cell, float):
        return f"{cell:,.1f}"
    return str(cell)


def raw(cell: Any) -> str | int | float:
    """For CSV: plain numbers (a percentage as a number of percent, one decimal), empty for nothing."""
    if cell is None:
        return ""
    if isinstance(cell, Pct):
        return "" if cell.value is None else round(cell.value * 100, 1)
    if isinstance(cell, float):
        return round(cell, 1)
    return cell


def numeric(cell: Any) -> bool:
    return isinstance(cell, int | float | Pct) or cell is None


def csv_writer(out: IO[str]) -> Any:
    """How every CSV file of a report is written (the csv module's defaults, lines ended by a newline)."""
    return csv.writer(out, lineterminator="\n")


class CsvLines:
    """Rows written as CSV lines one at a time, exactly as `csv_writer` writes them into a file (rows kept rendered)."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv_writer(self.buffer)

    def line(self, row: Iterable[Any]) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(row)
        return self.buffer.getvalue()
