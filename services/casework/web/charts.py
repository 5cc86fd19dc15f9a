"""Charts as inline SVG: horizontal stacked bars and a point map, scaling to any screen, each followed by its table."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from markupsafe import Markup

from services.reporting.domain.model import MapPoint, PointMap

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


def point_map(map_id: str, title: str, desc: str, shown: PointMap, marker_title: Callable[[MapPoint], str],
              own_title: Callable[[MapPoint], str]) -> Markup:
    """The point map as inline SVG: a frame of the country's extent with a graticule (there are no boundaries), a
    circle per region at its seat, its area by count and its name and count written beside it, and a black cross per
    incident at its own coordinates. No tiles, no script; the page shows the same figures as a table."""
    b = shown.bounds
    squeeze = math.cos(math.radians((b["south"] + b["north"]) / 2))  # degrees of longitude are shorter
    scale, margin, left = 28.0, 24, 44  # room on the left for the latitudes
    width = round((b["east"] - b["west"]) * squeeze * scale + left + margin)
    height = round((b["north"] - b["south"]) * scale + 2 * margin)

    def x(lon: float) -> float:
        return left + (lon - b["west"]) * squeeze * scale

    def y(lat: float) -> float:
        return margin + (b["north"] - lat) * scale

    parts = [f'<svg class="chart map" id="{map_id}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="{map_id}-title {map_id}-desc" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{map_id}-title">{escape(title)}</title><desc id="{map_id}-desc">{escape(desc)}</desc>',
             f'<rect x="{left}" y="{margin}" width="{width - left - margin}" height="{height - 2 * margin}" '
             'fill="#ffffff" stroke="#8C8C8C"/>']
    for lon in range(math.ceil(b["west"] / 4) * 4, int(b["east"]) + 1, 4):
        parts.append(f'<line x1="{x(lon):.1f}" y1="{margin}" x2="{x(lon):.1f}" y2="{height - margin}" '
                     f'stroke="#e6e6e6"/><text x="{x(lon):.1f}" y="{height - 8}" font-size="11" text-anchor="middle" '
                     f'fill="#555555">{abs(lon)}°{"E" if lon >= 0 else "W"}</text>')
    for lat in range(math.ceil(b["south"] / 4) * 4, int(b["north"]) + 1, 4):
        parts.append(f'<line x1="{left}" y1="{y(lat):.1f}" x2="{width - margin}" y2="{y(lat):.1f}" '
                     f'stroke="#e6e6e6"/><text x="{left - 4}" y="{y(lat) + 4:.1f}" font-size="11" '
                     f'text-anchor="end" fill="#555555">{lat}°N</text>')
    most = max((p.count for p in shown.regions), default=1)
    for point in shown.regions:
        radius = 5 + 25 * math.sqrt(point.count / most)  # area, not radius, by count
        cx, cy = x(point.longitude), y(point.latitude)
        east = cx > left + (width - left) * 0.6  # the label on the side with room for it
        tx, anchor = (cx - radius - 3, "end") if east else (cx + radius + 3, "start")
        parts.append(f'<g class="marker" data-region="{escape(point.label)}" data-count="{point.count}">'
                     f'<title>{escape(marker_title(point))}</title>'
                     f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}" fill="{COLOURS[0]}" fill-opacity="0.5" '
                     f'stroke="#000000"/><text x="{tx:.1f}" y="{cy + 4:.1f}" font-size="12" text-anchor="{anchor}" '
                     f'fill="#1a1a1a">{escape(point.label)}: {point.count}</text></g>')
    for point in shown.incidents:
        cx, cy = x(point.longitude), y(point.latitude)
        parts.append(f'<g class="incident"><title>{escape(own_title(point))}</title>'
                     f'<path d="M{cx - 4:.1f} {cy - 4:.1f}L{cx + 4:.1f} {cy + 4:.1f}M{cx - 4:.1f} {cy + 4:.1f}'
                     f'L{cx + 4:.1f} {cy - 4:.1f}" stroke="#000000" stroke-width="2"/></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
