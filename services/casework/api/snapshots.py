"""Figures taken at most every N seconds and shared by every reader, one computation at a time (ADR 0025).

A reader who finds the last figures younger than the age allowed gets them; older, they get them all the same while
one thread takes the next (so that twenty readers never each run the aggregates); none yet, they wait for the one
computation under way. Each figure says the instant it was taken at, and the page shows it."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)
# A refresh's thread yields the processor to the requests: readers have the last figures meanwhile, and the
# aggregates of a million cases take seconds of CPU (7 s on SQLite), which at normal priority stalled every page
# answered beside them. Linux only, where a thread's priority is its own (elsewhere it is the whole process's).
REFRESH_NICENESS = 10


@dataclass(frozen=True)
class Taken:
    """Figures and the clock's instant they are true at (`at`); `taken` is the monotonic second they were taken."""

    value: Any
    at: datetime
    taken: float


class Snapshots:
    """The last figures of each key (e.g. the overview of one scope), and the computation of the next under way."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._last: dict[Hashable, Taken] = {}
        self._running: dict[Hashable, Future[Taken]] = {}

    def get(self, key: Hashable, max_age: float, compute: Callable[[], tuple[Any, datetime]]) -> Taken:
        """The figures of `key` at most `max_age` seconds old (0: computed now, for this reader alone), else the last
        ones while the next are taken, else the next ones when taken. `compute` gives (figures, their instant)."""
        if max_age <= 0:
            return self._take(compute)
        with self._lock:
            last = self._last.get(key)
            if last is not None and self._monotonic() - last.taken < max_age:
                return last
            running = self._running.get(key)
            if running is None:
                running = self._running[key] = Future()
                threading.Thread(target=self._refresh, args=(key, compute, running, last is not None),
                                 name="hrcase-figures", daemon=True).start()
        return last if last is not None else running.result()

    def _take(self, compute: Callable[[], tuple[Any, datetime]]) -> Taken:
        value, at = compute()
        return Taken(value, at, self._monotonic())

    def _refresh(self, key: Hashable, compute: Callable[[], tuple[Any, datetime]], running: Future[Taken],
                 background: bool) -> None:
        if background and sys.platform == "linux":  # no reader waits for these: the last figures are served
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), REFRESH_NICENESS)
            except OSError:  # a sandbox may forbid it: the refresh runs at normal priority, as before
                log.warning("could not lower the priority of the figures' refresh", exc_info=True)
        try:
            taken = self._take(compute)
        except Exception as exc:  # the readers waiting get the error; the next reader tries again
            log.exception("figures of %s not taken", key)
            with self._lock:
                del self._running[key]
            running.set_exception(exc)
            return
        with self._lock:
            self._last[key] = taken
            del self._running[key]
        running.set_result(taken)
