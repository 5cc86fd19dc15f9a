"""How a table cell reads in a document and in a CSV file."""

from __future__ import annotations

from typing import Any

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
