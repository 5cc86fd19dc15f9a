"""The report's charts as PNG files (matplotlib, headless); the same data always gives the same bytes."""

from __future__ import annotations

from pathlib import Path

from services.reporting.domain.model import Chart

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
