"""The report's charts as PNG files (matplotlib, headless); the same data always gives the same bytes."""

from __future__ import annotations

from pathlib import Path

from services.reporting.domain.model import Chart, PointMap

# As the web pages draw them (Okabe-Ito): on time blue, late orange, overdue and unrecorded in vermillion, never green.
COLOURS = {"on_time": "#0072B2", "late": "#E69F00", "overdue": "#D55E00"}


def write_chart(chart: Chart, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no display; chosen here, not at import, so that importing this module does nothing
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=100)
    positions = range(len(chart.categories))
    bottom = [0] * len(chart.categories)
    for label, values in chart.series:
        colours = [COLOURS[m] for m in chart.meanings] if chart.meanings and len(chart.series) == 1 else None
        bars = ax.bar(positions, values, bottom=bottom, label=label, color=colours)
        if len(chart.series) == 1:
            ax.bar_label(bars, fontsize=8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    if len(chart.series) > 1:
        for x, total in zip(positions, bottom, strict=True):
            ax.annotate(f"{total:,}", (x, total), ha="center", va="bottom", fontsize=9)
        ax.legend(title="year entered", fontsize=8)
    ax.set_xticks(list(positions), [_wrap(c) for c in chart.categories], fontsize=8)
    ax.set_ylabel(chart.ylabel)
    ax.set_title(chart.title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
    return path


def _wrap(label: str, width: int = 16) -> str:
    words, lines, line = label.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])


def write_map(shown: PointMap, path: Path) -> Path:
    """The point map: a frame of the country's extent in degrees (no boundaries), a blue circle per region at its seat
    (area by count, the count written beside it), and a black dot per incident with its own coordinates."""
    import math

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.collections import PathCollection

    b = shown.bounds
    fig, ax = plt.subplots(figsize=(8, 7), dpi=100)
    most = max((p.count for p in shown.regions), default=1)
    ax.scatter([p.longitude for p in shown.regions], [p.latitude for p in shown.regions],
               s=[60 + 1500 * p.count / most for p in shown.regions], color=COLOURS["on_time"], alpha=0.55,
               edgecolors="#000000", linewidths=0.8, label="incidents of a region, at its seat", zorder=2)
    for point in shown.regions:
        ax.annotate(f"{point.label}: {point.count:,}", (point.longitude, point.latitude), xytext=(6, 6),
                    textcoords="offset points", fontsize=8, zorder=4)
    if shown.incidents:
        ax.scatter([p.longitude for p in shown.incidents], [p.latitude for p in shown.incidents], s=10,
                   color="#000000", marker="x", label="an incident at its own coordinates", zorder=3)
    ax.set_xlim(b["west"], b["east"])
    ax.set_ylim(b["south"], b["north"])
    ax.set_aspect(1 / math.cos(math.radians((b["south"] + b["north"]) / 2)))  # degrees of longitude are shorter
    ax.grid(color="#dddddd", linewidth=0.5)
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    title = shown.title + (f"; {shown.unplaced:,} with a free-text place not shown" if shown.unplaced else "")
    ax.set_title(title, fontsize=10)
    legend = ax.legend(fontsize=8, loc="upper right")
    for handle in legend.legend_handles:  # the legend's circle at one size, not the first region's
        if isinstance(handle, PathCollection):
            handle.set_sizes([60])
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
    return path
