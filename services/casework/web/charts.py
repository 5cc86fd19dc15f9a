"""Charts as inline SVG: horizontal stacked bars that scale to any screen, each followed by its table."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

# Okabe-Ito: told apart with any colour vision; each also has a pattern-free legend and a table below. Vermillion,
# the warning colour, comes last: series without a meaning (stages) do not borrow it before they run out of others.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#000000", "#D55E00")
# Meanings, where a series has one: nothing late is ever drawn in a colour that reads as "fine" (green, blue).
ON_TIME, LATE, OVERDUE, PENDING = "#0072B2", "#E69F00", "#D55E00", "#8C8C8C"
Series = tuple[str, Sequence[int]] | tuple[str, Sequence[int], str]  # name, one value per category, colour
WIDTH, LABEL, BAR, GAP, TOP = 640, 150, 22, 10, 8


def stacked_bars(chart_id: str, title: str, categories: Sequence[str],
                 series: Sequence[Series]) -> Markup:
    """One bar per category, one coloured segment per series (in its own colour, if it names one); totals at the
    end of each bar."""
    colours = [s[2] if len(s) > 2 else COLOURS[i % len(COLOURS)] for i, s in enumerate(series)]
    totals = [sum(s[1][i] for s in series) for i in range(len(categories))]
    most = max(totals, default=0) or 1
    plot = WIDTH - LABEL - 60
    legend_rows = (len(series) + 1) // 2
    height = TOP + len(categories) * (BAR + GAP) + 12 + legend_rows * 20
    parts = [f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-labelledby="{chart_id}-title" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-title">{escape(title)}</title>']
    for row, category in enumerate(categories):
        y = TOP + row * (BAR + GAP)
        parts.append(f'<text x="{LABEL - 8}" y="{y + BAR * 0.7:.1f}" text-anchor="end" font-size="13" '
                     f'fill="#1a1a1a">{escape(category)}</text>')
        x = float(LABEL)
        for index, (name, values, *_) in enumerate(series):
            width = plot * values[row] / most
            if width > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{BAR}" '
                             f'fill="{colours[index]}"><title>{escape(category)}, {escape(name)}: '
                             f'{values[row]}</title></rect>')
            x += width
        parts.append(f'<text x="{x + 6:.1f}" y="{y + BAR * 0.7:.1f}" font-size="13" fill="#1a1a1a">'
                     f'{totals[row]}</text>')
    y = TOP + len(categories) * (BAR + GAP) + 6
    for index, (name, *_) in enumerate(series):
        lx, ly = LABEL + (index % 2) * 230, y + (index // 2) * 20
        parts.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{colours[index]}"/>'
                     f'<text x="{lx + 18}" y="{ly + 11}" font-size="12" fill="#1a1a1a">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
