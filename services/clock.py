"""Clocks for the runtimes: the wall clock, and a simulated one the demo and replays move by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class SimulatedClock:
    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        self.current += delta
        return self.current

    def set(self, when: datetime) -> datetime:
        if when < self.current:
            raise ValueError(f"simulated time only moves forward ({when} < {self.current})")
        self.current = when
        return self.current
