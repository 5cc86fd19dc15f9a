"""The report reads the log as a stream: its memory holds each case's facts, not the events (issue 21)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas import vocabulary
from services.reporting.adapters import log_source
from services.reporting.domain.events import Event
from services.reporting.domain.model import Scope
from services.reporting.domain.reading import CASES, SLA, Digest, Reading, read

T0 = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)
AS_OF = T0 + timedelta(days=3000)
CASES_N = 200


def history(events_per_case: int) -> Iterator[tuple[str, Event]]:
    """CASES_N cases, each registered then worked on `events_per_case` times, its stall clock rescheduled each time
    (the monitor's schedules first, as the report reads the log); made one event at a time, never as a list."""
    offset = 0
    for n in range(events_per_case):
        for case in range(CASES_N):
            offset += 1
            at = T0 + timedelta(days=n + 1, minutes=case)
            yield SLA, Event("SlaScheduled", at, f"c{case}", schedule(case, at), offset)
    for case in range(CASES_N):
        offset += 1
        yield CASES, Event("CaseRegistered", T0, f"c{case}", {
            **context(case, "reported"), "incident_key": f"k{case}", "sitrep_id": "SR-1", "location": "Koro",
            "violation_types": ["killing"], "reported_at": T0}, offset)
    for n in range(events_per_case):
        for case in range(CASES_N):
            offset += 1
            yield CASES, Event("ActivityLogged", T0 + timedelta(days=n + 1, minutes=case), f"c{case}",
                               {**context(case, "preliminary"), "description": f"visit {n}"}, offset)


def context(case: int, stage: str) -> dict[str, Any]:
    return {"case_id": f"c{case}", "reference": f"MOP-2020-{case:04d}", "office": "Mopti", "stage": stage,
            "actor": "hro1", "assignee": f"hro{case % 7}"}


def schedule(case: int, at: datetime) -> dict[str, Any]:
    return {"case_id": f"c{case}", "clock": "stall", "state": "running", "due_at": at + timedelta(days=30),
            "warn_at": at + timedelta(days=25), "outcome": None, "episode": at.isoformat(), "reference": "r",
            "office": "Mopti", "stage": "preliminary", "assignee": "hro1", "policy_version": "p"}


def peak_of_reading(events_per_case: int) -> tuple[int, Digest]:
    reading = Reading(Scope(as_of=AS_OF), vocabulary.current())
    tracemalloc.start()
    try:
        digest = read(history(events_per_case), reading)
        return tracemalloc.get_traced_memory()[1], digest
    finally:
        tracemalloc.stop()


def test_the_reading_holds_the_same_memory_for_forty_times_the_events_of_the_same_cases() -> None:
    few, small = peak_of_reading(5)
    many, large = peak_of_reading(200)
    # The same cases, the last activity and the last schedule differ: the figures come out of both...
    assert len(small.cases) == len(large.cases) == CASES_N
    assert {c.work_since for c in large.cases} != {c.work_since for c in small.cases}
    assert all(set(c.clocks) == {"stall"} for c in large.cases)
    # ...and 80,000 events more (each payload some hundreds of bytes) cost no more than a few KiB: nothing kept
    # them. Holding them would have taken tens of MiB.
    assert many - few < 64 * 1024, (few, many)


def test_the_log_is_read_one_record_at_a_time() -> None:
    made: list[int] = []

    def records() -> Iterator[Any]:
        for n in range(3):
            made.append(n)
            yield type("Record", (), {"topic": "other-topic", "offset": n})()

    stream = log_source.events_of(records())
    assert made == []  # nothing is read before the report asks for it
    assert list(stream) == [] and made == [0, 1, 2]  # a topic a report does not read is skipped
