"""The report reads the log as a stream: its memory holds each case's facts, not the events, and its SLA events' rows
go to a spill on disk, not memory (issue 21)."""

from __future__ import annotations

import multiprocessing
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from schemas import vocabulary
from services.reporting.adapters import log_source
from services.reporting.adapters.spill import CrossingFile
from services.reporting.domain import sla
from services.reporting.domain.events import Event, HeldCrossings
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


def alone(function: Callable[..., Any], *args: Any) -> Any:
    """`function` run in a fresh interpreter: tracemalloc counts the allocations of every thread, and a thread that
    another test left running in this process (a server's, a relay's) would be counted as the report's."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def peak_of_reading(events_per_case: int) -> tuple[int, Digest]:
    reading = Reading(Scope(as_of=AS_OF), vocabulary.current())
    tracemalloc.start()
    try:
        digest = read(history(events_per_case), reading)
        return tracemalloc.get_traced_memory()[1], digest
    finally:
        tracemalloc.stop()


def test_the_reading_holds_the_same_memory_for_forty_times_the_events_of_the_same_cases() -> None:
    few, small = alone(peak_of_reading, 5)
    many, large = alone(peak_of_reading, 200)
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


def crossings(per_case: int) -> Iterator[tuple[str, Event]]:
    """CASES_N cases, registered, each with `per_case` SLA events (stall breaches), made one at a time."""
    offset = 0
    for case in range(CASES_N):
        offset += 1
        yield CASES, Event("CaseRegistered", T0, f"c{case}", {
            **context(case, "reported"), "incident_key": f"k{case}", "sitrep_id": "SR-1", "location": "Koro",
            "violation_types": ["killing"], "reported_at": T0}, offset)
    for n in range(per_case):
        for case in range(CASES_N):
            offset += 1
            at = T0 + timedelta(days=30 + n, minutes=case)
            yield SLA, Event("SlaBreached", at, f"c{case}", {
                "case_id": f"c{case}", "reference": f"MOP-2020-{case:04d}", "office": "Mopti", "clock": "stall",
                "level": "breach", "period": n + 1, "recipient_role": "hro", "assignee": f"hro{case % 7}",
                "reason": None, "policy_version": "p", "padding": "x" * 200}, offset)


def peaks_of_listing(per_case: int, spill: bool, folder: Path) -> tuple[int, int, int]:
    """peak_of_listing, after a first listing that brings in what sqlite3 allocates once (in the fresh interpreter
    each measure runs in)."""
    peak_of_listing(50, True, folder / "warm")
    return peak_of_listing(per_case, spill, folder)


def peak_of_listing(per_case: int, spill: bool, folder: Path) -> tuple[int, int, int]:
    """The peak of Python's memory while the SLA events are read (to a spill, or held) and then counted and listed as
    sla_events.csv is written; and how many the list and the counts have."""
    folder.mkdir(exist_ok=True)
    sink = CrossingFile.scratch(folder / f"crossings-{per_case}-{spill}.sqlite") if spill else HeldCrossings()
    tracemalloc.start()
    try:
        digest = read(crossings(per_case), Reading(Scope(as_of=AS_OF), vocabulary.current(), crossings=sink))
        listed = sum(1 for _ in sla.event_list(digest.sla_events).rows)
        counted = sla.counts(digest.sla_events)[("stall", "breach")]
        return tracemalloc.get_traced_memory()[1], listed, counted
    finally:
        tracemalloc.stop()
        if isinstance(sink, CrossingFile):
            sink.close()


def test_spilled_sla_events_cost_the_report_no_memory_as_they_grow(tmp_path: Path) -> None:
    few, listed_few, counted_few = alone(peaks_of_listing, 50, True, tmp_path)
    many, listed_many, counted_many = alone(peaks_of_listing, 300, True, tmp_path)
    held, listed_held, _ = alone(peaks_of_listing, 300, False, tmp_path)
    assert (listed_few, counted_few) == (50 * CASES_N, 50 * CASES_N)
    assert (listed_many, counted_many) == (listed_held, 300 * CASES_N) == (60_000, 60_000)
    # 50,000 SLA events more, listed and counted, cost the spilled reading under 1 MiB more (past its first batch of
    # 5,000 rows to insert, its memory is level); held in memory they cost tens of MiB.
    assert many - few < 1024 * 1024, (few, many)
    assert held - many > 8 * 1024 * 1024, (many, held)
