"""The overview's figures taken at most every N seconds: kept while young, the last ones served while the next are
taken, one computation at a time however many readers ask, none kept at an age of 0 (ADR 0025)."""

from __future__ import annotations

import os
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from services.casework.api.snapshots import REFRESH_NICENESS, Snapshots

T0 = datetime(2026, 12, 7, 5, 42, 10, tzinfo=UTC)


class Figures:
    """A computation that counts its runs; `gate`, when given, holds each run until it is set."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.runs, self.gate, self.started = 0, gate, threading.Event()

    def __call__(self) -> tuple[int, datetime]:
        self.runs += 1
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(30), "the test never let the computation finish"
        return self.runs, T0 + timedelta(minutes=self.runs)


class Clock:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def test_at_an_age_of_0_every_reader_gets_figures_taken_for_them() -> None:
    figures, kept = Figures(), Snapshots()
    assert [kept.get("all", 0, figures).value for _ in range(3)] == [1, 2, 3]


def test_young_figures_are_served_again_with_the_instant_they_were_taken_at() -> None:
    clock, figures = Clock(), Figures()
    kept = Snapshots(clock)
    first = kept.get("all", 60, figures)
    clock.seconds += 59
    again = kept.get("all", 60, figures)
    assert (again.value, again.at, figures.runs) == (1, T0 + timedelta(minutes=1), 1)
    assert again is first
    assert kept.get("Gao", 60, figures).value == 2  # another scope has figures of its own


def test_old_figures_are_served_while_one_thread_takes_the_next() -> None:
    clock, gate = Clock(), threading.Event()
    figures = Figures(gate)
    kept = Snapshots(clock)
    gate.set()
    kept.get("all", 60, figures)
    gate.clear()
    figures.started.clear()
    clock.seconds += 61
    readers = [kept.get("all", 60, figures) for _ in range(5)]  # the next is being taken: none of them waits
    assert figures.started.wait(30)
    assert {r.value for r in readers} == {1} and figures.runs == 2
    gate.set()
    for _ in range(3000):  # the next figures replace the last once taken (no duration is asserted)
        if kept.get("all", 60, figures).value == 2:
            break
        time.sleep(0.01)
    assert kept.get("all", 60, figures).value == 2 and figures.runs == 2


def test_readers_with_no_figures_yet_wait_for_the_one_computation_under_way() -> None:
    gate = threading.Event()
    figures = Figures(gate)
    kept = Snapshots()
    got: list[int] = []
    readers = [threading.Thread(target=lambda: got.append(kept.get("all", 60, figures).value)) for _ in range(8)]
    for reader in readers:
        reader.start()
    assert figures.started.wait(30)
    gate.set()
    for reader in readers:
        reader.join(30)
    assert got == [1] * 8 and figures.runs == 1


def test_a_computation_that_fails_fails_its_waiting_readers_and_the_next_reader_tries_again() -> None:
    kept, calls = Snapshots(), []

    def broken() -> tuple[int, datetime]:
        calls.append(1)
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError, match="database gone"):
        kept.get("all", 60, broken)
    assert kept.get("all", 60, Figures()).value == 1 and len(calls) == 1


def test_a_refresh_while_the_last_figures_are_served_runs_below_the_requests_priority_on_linux() -> None:
    # Linux gives each thread its own priority; elsewhere a priority is the whole process's, which must stay as it is.
    linux = sys.platform == "linux"
    clock, seen = Clock(), []

    def figures() -> tuple[int, datetime]:
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id() if linux else 0))
        return len(seen), T0

    ours = os.getpriority(os.PRIO_PROCESS, 0)
    kept = Snapshots(clock)
    kept.get("all", 60, figures)  # none yet: the reader waits for them, taken at the requests' priority
    clock.seconds += 61
    assert kept.get("all", 60, figures).value == 1  # the last ones, while the next are taken
    deadline = time.monotonic() + 30
    while len(seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert seen == [ours, min(ours + REFRESH_NICENESS, 19) if linux else ours]
    assert os.getpriority(os.PRIO_PROCESS, 0) == ours  # the requests' own priority untouched
