"""The few statistics the report quotes, each defined once (median of two middles, nearest-rank percentile)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

DAY = timedelta(days=1)


def days_between(start: datetime, end: datetime) -> float:
    return (end - start) / DAY


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
