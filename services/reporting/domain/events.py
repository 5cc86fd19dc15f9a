"""Events as reports read them: type, event time, typed payload and position in the log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Event:
    type: str
    occurred_at: datetime
    key: str
    payload: Mapping[str, Any]
    offset: int = 0  # position in the log: the order the services saw it in
    event_id: str = ""


@dataclass(frozen=True)
class History:
    """What a report reads: accepted incidents, case events, SLA events (and schedules) and intake's rejections."""

    incidents: tuple[Event, ...] = ()
    case_events: tuple[Event, ...] = ()
    sla_events: tuple[Event, ...] = ()  # crossings and clears
    schedules: tuple[Event, ...] = ()  # SlaScheduled: each clock's due instants and, once stopped, its outcome
    rejected: tuple[Event, ...] = ()
    sources: Mapping[str, int] = field(default_factory=dict)  # records read per topic, for the report's header
