"""The names of every series hrcase exports (from the metrics registry), for tests of rules and dashboards."""

from __future__ import annotations

from pathlib import Path

from services.config import Settings
from services.embedded import EmbeddedRuntime

SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def exported_names(data_dir: Path) -> set[str]:
    """Counters as `..._total`, histograms as their `_bucket`, `_count` and `_sum`, gauges as they are."""
    registry = EmbeddedRuntime(Settings(data_dir=data_dir)).metrics.registry
    return {family.name + suffix for family in registry.collect() if family.name.startswith("hrcase_")
            for suffix in SUFFIXES[family.type]}
