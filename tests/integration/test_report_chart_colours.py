"""The report's PNG charts draw late things in the warning colour: the unrecorded past their goal in vermillion."""

from __future__ import annotations

from pathlib import Path

from matplotlib.image import imread

from services.reporting.adapters.charts import write_chart
from services.reporting.domain.model import Chart

VERMILLION, GREEN = (0xD5, 0x5E, 0x00), (0x00, 0x9E, 0x73)


def colours_of(path: Path) -> set[tuple[int, ...]]:
    pixels = (imread(path)[..., :3] * 255).round().reshape(-1, 3)
    return {tuple(int(v) for v in p) for p in pixels}


def test_the_delay_charts_unrecorded_bar_is_vermillion_and_nothing_is_green(tmp_path: Path) -> None:
    chart = Chart("recording_delay", "Recorded cases by recording delay, and the unrecorded past their goal",
                  ("within 4 days", "5 to 30 days", "not recorded, past the goal"), (("cases", (3, 1, 15)),),
                  meanings=("on_time", "late", "overdue"))
    drawn = colours_of(write_chart(chart, tmp_path / "delay.png"))
    assert VERMILLION in drawn and GREEN not in drawn
    plain = colours_of(write_chart(Chart("recording_delay", "t", chart.categories, chart.series),
                                   tmp_path / "plain.png"))
    assert VERMILLION not in plain  # the colour comes from the bar's meaning, not by chance
